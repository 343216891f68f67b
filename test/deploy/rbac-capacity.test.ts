// The capacity API as deploy/ runs it: its Deployment's args (HTTPS, --authenticate, authorized as
// services/proxy on tidepool-capacity), the in-cluster kubeconfig, the tidepool-capacity
// ServiceAccount in the host and tidepool-member in a member, while every request it makes is
// recorded. Callers get in only with the Role deploy/ ships for them; its own RBAC must match
// what it used, both ways; the dashboard's federation metrics must be on its /metrics.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kubectl, hasKubectl } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/wait.js';
import { startTestSim, type TestSim } from '../sim/e2e/helpers.js';
import { freePort, startComponent, type ComponentProcess } from './component-process.js';
import { missingFromExport } from './dashboard.js';
import { installFederationIdentity, NS } from './federation-install.js';
import { argsOf, find, inClusterKubeconfig, type K8sObject } from './kustomize.js';
import { audit, grantsOf, recordRequests, type Recording } from './rbac-audit.js';


let t: TestSim;
let dir: string;
let kubectl: Kubectl;
let hostObjects: K8sObject[];
let memberObjects: K8sObject[];
let capacity: ComponentProcess;
let hostRec: Recording;
let memberRec: Recording;
let metricsText = '';

function get(base: string, path: string, token: string | null): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // The server's certificate is made at start and trusted by no one; what is checked here is who gets in.
    const req = request(new URL(path, base), { headers: token ? { Authorization: `Bearer ${token}` } : {}, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  if (!hasKubectl) return;
  dir = mkdtempSync(join(tmpdir(), 'tidepool-deploy-capacity-'));
  t = await startTestSim({ clusters: ['host', 'east'], nodes: 2, hostNodes: 1 });
  kubectl = new Kubectl(t.sim.kubeconfig);
  ({ hostObjects, memberObjects } = await installFederationIdentity(t, kubectl, 3600));
}, 120_000);

afterAll(async () => {
  await capacity?.stop();
  hostRec?.stop();
  memberRec?.stop();
  kubectl?.cleanup();
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('the capacity API with the RBAC deploy/ gives it', () => {
  it('serves the pool to callers bound to tidepool-capacity-reader only, running as tidepool-capacity', { timeout: 120_000 }, async () => {
    const host = t.sim.cluster('host');
    writeFileSync(join(dir, 'token'), host.issueToken(NS, 'tidepool-capacity', { expirationSeconds: 3600 }));
    writeFileSync(join(dir, 'ca.crt'), host.kubeconfigEntry().caPem);
    writeFileSync(join(dir, 'kubeconfig'), inClusterKubeconfig(hostObjects, host.url, dir));
    const port = await freePort();
    const args = argsOf(find(hostObjects, 'Deployment', 'tidepool-capacity', NS), { '--kubeconfig': `--kubeconfig=${join(dir, 'kubeconfig')}` }, { POD_IP: '127.0.0.1' }).map((a) =>
      a === '--serve=127.0.0.1:8443' ? `--serve=127.0.0.1:${port}` : a,
    );
    expect(args).toContain(`--serve=127.0.0.1:${port}`);
    hostRec = recordRequests(host, `system:serviceaccount:${NS}:tidepool-capacity`);
    memberRec = recordRequests(t.sim.cluster('east'), `system:serviceaccount:${NS}:tidepool-member`);
    capacity = startComponent(args);
    const base = (await capacity.logLine('federation capacity API and console listening'))['addr'] as string;

    // A reader as the docs describe one: a ServiceAccount bound to the shipped Role.
    await kubectl.ok(['--context', 'host', 'create', 'serviceaccount', 'dashboard']);
    await kubectl.ok(['--context', 'host', '-n', NS, 'create', 'rolebinding', 'dashboard-reads-capacity', '--role=tidepool-capacity-reader', '--serviceaccount=default:dashboard']);
    await kubectl.ok(['--context', 'host', 'create', 'serviceaccount', 'stranger']);
    const reader = host.issueToken('default', 'dashboard');
    const stranger = host.issueToken('default', 'stranger');

    expect((await get(base, '/api/v1/capacity', null)).status).toBe(401);
    expect((await get(base, '/api/v1/capacity', stranger)).status).toBe(403);
    const doc = await waitFor('east Ready in the capacity document', async () => {
      const r = await get(base, '/api/v1/capacity', reader);
      const d = JSON.parse(r.body) as { clusters?: Array<{ name: string; ready: boolean; nodes: number }> };
      return d.clusters?.find((c) => c.name === 'east' && c.ready) ? d : undefined;
    }, 60_000, 250);
    expect(doc.clusters).toEqual([expect.objectContaining({ name: 'east', ready: true, nodes: 2 })]);
    await waitFor('the MemberCluster status written', async () => (await kubectl.ok(['--context', 'host', 'get', 'mc', 'east', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])) === 'True', 60_000, 250);
    metricsText = (await get(base, '/metrics', reader)).body;
    await capacity.stop();
  });

  it('was refused nothing and holds no host permission it did not use', () => {
    const a = audit(hostRec.records, grantsOf(hostObjects, NS, 'tidepool-capacity'));
    expect({ missing: a.missing, unused: a.unused, staleExcuses: a.staleExcuses }, JSON.stringify(a.asked, null, 1)).toEqual({ missing: [], unused: [], staleExcuses: [] });
  });

  it('needs nothing in the member beyond what the virtual node is given there', () => {
    // tidepool-member is shared with the virtual node (one kubeconfig per MemberCluster), whose test holds it to its use.
    expect(audit(memberRec.records, grantsOf(memberObjects, NS, 'tidepool-member')).missing).toEqual([]);
    expect(memberRec.records.length).toBeGreaterThan(0);
  });

  it('exports every federation metric the Grafana dashboard queries', () => {
    expect(metricsText).toContain('tidepool_federation_');
    expect(missingFromExport('capacity', metricsText)).toEqual([]);
  });
});
