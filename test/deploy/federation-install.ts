// What the federation overlay's RBAC tests install first, as docs/deploy.md tells an installer:
// the components' identities (namespaces, ServiceAccounts, RBAC, CRDs) from overlays/federation
// in the host and from member/ in the member `east`, then east's kubeconfig for the
// tidepool-member ServiceAccount as a Secret in the host and a MemberCluster pointing at it.
import { renderKubeconfig } from '../../sim/index.js';
import type { Kubectl } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/wait.js';
import type { TestSim } from '../sim/e2e/helpers.js';
import { identityObjects, render, toYaml, type K8sObject } from './kustomize.js';

export const NS = 'tidepool-system';

export async function installFederationIdentity(t: TestSim, kubectl: Kubectl, memberTokenSeconds: number): Promise<{ hostObjects: K8sObject[]; memberObjects: K8sObject[] }> {
  const hostObjects = await render('overlays/federation');
  const memberObjects = await render('member');
  await kubectl.ok(['--context', 'host', 'apply', '--server-side', '-f', kubectl.writeFile('host-identity.yaml', toYaml(identityObjects(hostObjects)))], { timeoutMs: 60_000 });
  await kubectl.ok(['--context', 'east', 'apply', '--server-side', '-f', kubectl.writeFile('member-identity.yaml', toYaml(identityObjects(memberObjects)))], { timeoutMs: 60_000 });
  await waitFor('MemberClusters served', async () => (await kubectl.run(['--context', 'host', 'get', 'memberclusters'])).code === 0, 20_000);
  const east = t.sim.cluster('east');
  const memberKubeconfig = renderKubeconfig([{ ...east.kubeconfigEntry(), token: east.issueToken(NS, 'tidepool-member', { expirationSeconds: memberTokenSeconds }) }]);
  await kubectl.ok(['--context', 'host', '-n', NS, 'create', 'secret', 'generic', 'east-kubeconfig', `--from-file=kubeconfig=${kubectl.writeFile('east.kubeconfig', memberKubeconfig)}`]);
  await kubectl.ok(['--context', 'host', 'apply', '-f', '-'], { input: `apiVersion: tidepool.dev/v1alpha1\nkind: MemberCluster\nmetadata: { name: east }\nspec: { kubeconfigSecretRef: { name: east-kubeconfig } }\n` });
  return { hostObjects, memberObjects };
}
