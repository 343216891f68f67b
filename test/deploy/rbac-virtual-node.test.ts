// The virtual node as deploy/ runs it — the Deployment's own args, the in-cluster kubeconfig,
// the tidepool-virtual-node ServiceAccount in the host and the tidepool-member one in a member —
// taken through its whole job on simulated clusters while every request it makes is recorded:
// registering the Node, heartbeats, the leader Lease, a pod with a ConfigMap, a Secret and a
// projected token mirrored into the member, logs and exec through the host, a kubelet API call
// it checks with TokenReview and SubjectAccessReview, a pod nothing can take (Events), a mirror
// lost in the member, deletions and garbage collection. Then its RBAC must match what it used:
// nothing refused, nothing granted that it never needed (unless excused with a reason).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../kube/index.js';
import { Kubectl, hasKubectl } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/wait.js';
import { startTestSim, type TestSim } from '../sim/e2e/helpers.js';
import { startComponent, type ComponentProcess } from './component-process.js';
import { missingFromExport } from './dashboard.js';
import { installFederationIdentity, NS } from './federation-install.js';
import { argsOf, find, inClusterKubeconfig, type K8sObject } from './kustomize.js';
import { audit, grantsOf, recordRequests, type Recording } from './rbac-audit.js';

const VN_USER = `system:serviceaccount:${NS}:tidepool-virtual-node`;
const MEMBER_USER = `system:serviceaccount:${NS}:tidepool-member`;

let t: TestSim;
let dir: string;
let kubectl: Kubectl;
let hostObjects: K8sObject[];
let memberObjects: K8sObject[];
let east: KubeClient;
let vn: ComponentProcess;
let hostRec: Recording;
let memberRec: Recording;
let metricsText = '';

function podYaml(name: string, extra: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeSelector: { type: virtual-kubelet }
  tolerations: [{ key: virtual-kubelet.io/provider, operator: Exists, effect: NoSchedule }]
${extra}`;
}

const HELLO = `apiVersion: v1
kind: ServiceAccount
metadata: { name: app-sa }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: greeting }
data: { GREETING: hello from the host }
---
apiVersion: v1
kind: Secret
metadata: { name: creds }
stringData: { password: s3cret }
---
${podYaml(
  'hello',
  `  serviceAccountName: app-sa
  containers:
    - name: app
      image: busybox
      envFrom: [{ configMapRef: { name: greeting } }]
      resources: { requests: { cpu: 100m, memory: 64Mi } }
      volumeMounts:
        - { name: creds, mountPath: /etc/creds }
        - { name: token, mountPath: /var/run/secrets/tokens }
  volumes:
    - { name: creds, secret: { secretName: creds } }
    - name: token
      projected:
        sources: [{ serviceAccountToken: { path: token, expirationSeconds: 3600 } }]
`,
)}`;

const TOO_BIG = podYaml(
  'too-big',
  `  containers:
    - { name: app, image: busybox, resources: { requests: { cpu: "20", memory: 64Mi } } }
`,
);

const LOST = podYaml(
  'lost',
  `  containers:
    - { name: app, image: busybox, resources: { requests: { cpu: 10m, memory: 16Mi } } }
`,
);

async function mirrorOf(name: string): Promise<string | undefined> {
  const list = await east.requestJson<{ items: Array<{ metadata: { name: string; annotations?: Record<string, string> } }> }>({ path: '/api/v1/namespaces/default/pods' });
  return list.items.find((p) => p.metadata.annotations?.['tidepool.dev/origin-name'] === name)?.metadata.name;
}

function kubeletGet(port: number, path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  if (!hasKubectl) return;
  dir = mkdtempSync(join(tmpdir(), 'tidepool-deploy-vn-'));
  t = await startTestSim({ clusters: ['host', 'east'], nodes: 2, hostNodes: 1 });
  kubectl = new Kubectl(t.sim.kubeconfig);
  // Who the components are and what they may do, and the member east, applied as an installer would.
  ({ hostObjects, memberObjects } = await installFederationIdentity(t, kubectl, 7200));
  east = new KubeClient({ config: { kind: 'inline', text: t.sim.kubeconfig, context: 'east' }, timeoutMs: 10_000 });

  // The pod's ServiceAccount volume: its token and the cluster CA, where the kubeconfig points.
  const host = t.sim.cluster('host');
  writeFileSync(join(dir, 'token'), host.issueToken(NS, 'tidepool-virtual-node', { expirationSeconds: 7200 }));
  writeFileSync(join(dir, 'ca.crt'), host.kubeconfigEntry().caPem);
  writeFileSync(join(dir, 'kubeconfig'), inClusterKubeconfig(hostObjects, host.url, dir));

  hostRec = recordRequests(host, VN_USER);
  memberRec = recordRequests(t.sim.cluster('east'), MEMBER_USER);
  const deployment = find(hostObjects, 'Deployment', 'tidepool-virtual-node', NS);
  const args = argsOf(
    deployment,
    {
      '--kubeconfig': `--kubeconfig=${join(dir, 'kubeconfig')}`,
      '--kubelet-port': '--kubelet-port=0',
      '--metrics-port': '--metrics-port=127.0.0.1:0',
      '--lease-duration': '--lease-duration=4',
      // Exercised with the host API given to mirrors, as an operator who sets it runs it (TokenRequest).
      '--no-host-api': `--host-api-server=${host.url}`,
    },
    { POD_IP: '127.0.0.1' },
  );
  vn = startComponent(args);
}, 180_000);

afterAll(async () => {
  await vn?.stop();
  hostRec?.stop();
  memberRec?.stop();
  east?.close();
  kubectl?.cleanup();
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('the virtual node with the RBAC deploy/ gives it', () => {
  it('does its whole job as tidepool-virtual-node (host) and tidepool-member (member)', { timeout: 240_000 }, async () => {
    const started = await vn.logLine('virtual node started', 90_000);
    await waitFor('the virtual node Ready', async () => (await kubectl.run(['--context', 'host', 'get', 'node', 'tidepool', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True', 60_000, 250);

    await kubectl.ok(['--context', 'host', 'apply', '-f', '-'], { input: HELLO });
    await waitFor('hello Running', async () => (await kubectl.run(['--context', 'host', 'get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 60_000, 250);
    const mirror = (await mirrorOf('hello'))!;
    expect(mirror).toBeDefined();
    await east.request({ path: '/api/v1/namespaces/default/configmaps/greeting' });
    expect(await kubectl.ok(['--context', 'host', 'exec', 'hello', '--', 'env'])).toContain('GREETING=hello from the host');
    expect(await kubectl.ok(['--context', 'host', 'logs', 'hello', '--tail', '1'])).toMatch(/\S/);

    // Streams through the host: attach and port-forward reach the member's pods/attach and pods/portforward.
    await kubectl.run(['--context', 'host', 'attach', 'hello', '-c', 'app', '-i'], { input: '', timeoutMs: 10_000 });
    // The sim's containers listen on no port: the member's refusal, after it authorized the stream, reaches kubectl.
    const forward = await kubectl.run(['--context', 'host', 'port-forward', 'pod/hello', ':8080'], { timeoutMs: 20_000 });
    expect(forward.stderr).toContain('portforward is not available');

    // Changes on the host follow into the member: the ConfigMap, the Secret, the ServiceAccount's pull secrets.
    await kubectl.ok(['--context', 'host', 'patch', 'configmap', 'greeting', '-p', '{"data":{"GREETING":"hello again"}}']);
    await kubectl.ok(['--context', 'host', 'patch', 'secret', 'creds', '-p', '{"stringData":{"password":"n3w"}}']);
    await kubectl.ok(['--context', 'host', 'patch', 'serviceaccount', 'app-sa', '-p', '{"imagePullSecrets":[{"name":"registry"}]}']);
    await waitFor('the ConfigMap updated in the member', async () => (await east.requestJson<{ data?: Record<string, string> }>({ path: '/api/v1/namespaces/default/configmaps/greeting' })).data?.['GREETING'] === 'hello again', 30_000, 250);
    await waitFor('the ServiceAccount updated in the member', async () => ((await east.requestJson<{ imagePullSecrets?: unknown[] }>({ path: '/api/v1/namespaces/default/serviceaccounts/app-sa' })).imagePullSecrets ?? []).length === 1, 30_000, 250);

    // A mirror whose host pod never existed (left by a crash): collected after the host confirms it is gone.
    const model = await east.requestJson<{ metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: Record<string, unknown> }>({ path: `/api/v1/namespaces/default/pods/${mirror}` });
    await east.request({
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'ghost-mirror', labels: model.metadata.labels, annotations: { ...model.metadata.annotations, 'tidepool.dev/origin-name': 'ghost', 'tidepool.dev/origin-uid': randomUUID() } },
        spec: { containers: [{ name: 'app', image: 'busybox' }] },
      },
    });

    // A caller of the kubelet API with a bearer token: reviewed on the host (TokenReview, SubjectAccessReview).
    await kubectl.ok(['--context', 'host', 'create', 'serviceaccount', 'scraper']);
    const scraper = t.sim.cluster('host').issueToken('default', 'scraper');
    expect(await kubeletGet(started['kubeletPort'] as number, '/stats/summary', scraper)).toBe(403);

    // A pod the pool as a whole could hold but no member node can take: Pending with Events, retried.
    await kubectl.ok(['--context', 'host', 'apply', '-f', '-'], { input: TOO_BIG });
    await waitFor('a FailedPlacement Event', async () => (await kubectl.ok(['--context', 'host', 'get', 'events', '--field-selector', 'involvedObject.name=too-big', '-o', 'jsonpath={.items[*].reason}'])).includes('FailedPlacement'), 60_000, 500);

    // A mirror deleted in the member: the host pod fails with the reason.
    await kubectl.ok(['--context', 'host', 'apply', '-f', '-'], { input: LOST });
    const lostMirror = await waitFor('the lost pod mirrored', () => mirrorOf('lost'), 60_000, 250);
    await waitFor('lost Running', async () => (await kubectl.run(['--context', 'host', 'get', 'pod', 'lost', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 60_000, 250);
    await east.request({ method: 'DELETE', path: `/api/v1/namespaces/default/pods/${lostMirror}`, query: { gracePeriodSeconds: 0 } });
    await waitFor('lost Failed on the host', async () => (await kubectl.run(['--context', 'host', 'get', 'pod', 'lost', '-o', 'jsonpath={.status.phase}'])).stdout === 'Failed', 60_000, 250);

    // Deletion with a grace period on both sides, then the ConfigMap and Secret it used are collected.
    await kubectl.ok(['--context', 'host', 'delete', 'pod', 'hello', 'lost', 'too-big', '--grace-period', '2', '--wait=true'], { timeoutMs: 90_000 });
    await expect(east.request({ path: `/api/v1/namespaces/default/pods/${mirror}` })).rejects.toMatchObject({ code: 404 });
    await waitFor('the synced ConfigMap collected in the member', async () => {
      try {
        await east.request({ path: '/api/v1/namespaces/default/configmaps/greeting' });
        return false;
      } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    }, 90_000, 500);

    await waitFor('the orphan mirror collected', async () => {
      try {
        await east.request({ path: '/api/v1/namespaces/default/pods/ghost-mirror' });
        return false;
      } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    }, 60_000, 500);

    metricsText = await (await fetch(`${started['health'] as string}/metrics`)).text();
    await vn.stop();
  });

  it('was refused nothing, in the host or the member', () => {
    expect(audit(hostRec.records, grantsOf(hostObjects, NS, 'tidepool-virtual-node')).missing).toEqual([]);
    expect(audit(memberRec.records, grantsOf(memberObjects, NS, 'tidepool-member')).missing).toEqual([]);
  });

  it('holds no host permission it did not use', () => {
    const a = audit(hostRec.records, grantsOf(hostObjects, NS, 'tidepool-virtual-node'), {
      'get core/pods': 'the periodic orphan sweep reads a host pod its cache lacks before deleting a mirror (virtual-node/pod-controller.ts collect); here the work queue settled the orphan first',
      'patch core/events': 'an Event repeated within the recorder window is a PATCH of its count (kube/event-recorder.ts); this run\'s Events all differed',
    });
    expect({ unused: a.unused, staleExcuses: a.staleExcuses }, JSON.stringify(a.asked, null, 1)).toEqual({ unused: [], staleExcuses: [] });
  });

  it('holds no member permission the virtual node did not use', () => {
    const a = audit(memberRec.records, grantsOf(memberObjects, NS, 'tidepool-member'), {
      'get core/pods': 'read when a mirror of the same deterministic name already exists (a previous leader made it): adopt it or leave it (virtual-node/pod-controller.ts)',
    });
    expect({ unused: a.unused, staleExcuses: a.staleExcuses }, JSON.stringify(a.asked, null, 1)).toEqual({ unused: [], staleExcuses: [] });
  });

  it('exports every virtual-node and API-client metric the Grafana dashboard queries', () => {
    expect(metricsText).toContain('tidepool_virtual_node_');
    expect(missingFromExport('virtual-node', metricsText)).toEqual([]);
  });
});
