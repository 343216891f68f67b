// Who may use the virtual node's kubelet API: authentication by client certificate (the
// client CA) or bearer token (TokenReview on the host cluster), authorization by
// SubjectAccessReview on the host (RBAC on nodes/proxy, nodes/stats, ...), as a kubelet
// with webhook authn/authz does it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, KubeClient } from '../../../kube/index.js';
import { startKubeletApi, type KubeletApi } from '../../../virtual-node/kubelet-api/index.js';
import { expectStatus } from '../../sim/e2e/helpers.js';
import { grant, metricValue, MemoryBackend, NODE, requestTo, startFixture, type Fixture } from './fixture.js';

let f: Fixture;

const SAR_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

async function serviceAccountToken(name: string): Promise<string> {
  await f.host.request({ method: 'POST', path: '/api/v1/namespaces/default/serviceaccounts', body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } } });
  const tr = await f.host.requestJson<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/default/serviceaccounts/${name}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  return tr.status.token;
}

const countTo = (path: string): number => f.hostRequests.filter((r) => r.path === path).length;

beforeAll(async () => {
  // Denials kept for 1 ms: a test that grants a permission after a denial sees it at once.
  f = await startFixture({ authCacheTtlMs: { deniedMs: 1 } });
  await f.addPlacedPod('web');
});

afterAll(async () => {
  await f?.stop();
});

describe('authentication', () => {
  it('accepts a client certificate from the client CA: the user is its CN, the groups its O', async () => {
    await grant(f.host, 'node-readers', { kind: 'Group', name: 'node-readers' }, ['nodes/proxy']);
    const alice = f.clientCa.issue({ commonName: 'alice', organization: ['node-readers'], usage: 'client' });
    const r = await f.get('/pods', { cert: alice });
    expect(r.status).toBe(200);
    expect(r.json?.['kind']).toBe('PodList');
  });

  it('refuses a client certificate from another CA with 401', async () => {
    const mallory = createCertificateAuthority('other-ca').issue({ commonName: 'alice', organization: ['system:masters'], usage: 'client' });
    expectStatus(await f.get('/pods', { cert: mallory }), 401, 'Unauthorized');
  });

  it('refuses a certificate from the client CA that is not for client authentication', async () => {
    const serving = f.clientCa.issue({ commonName: 'alice', organization: ['system:masters'], usage: 'server' });
    expectStatus(await f.get('/pods', { cert: serving }), 401, 'Unauthorized');
  });

  it('refuses a request with no credentials with 401 (no anonymous access)', async () => {
    expectStatus(await f.get('/pods'), 401, 'Unauthorized');
    expectStatus(await f.get('/stats/summary'), 401, 'Unauthorized');
    expectStatus(await f.get('/containerLogs/default/web/app'), 401, 'Unauthorized');
  });

  it("accepts a bearer token the host cluster's TokenReview authenticates", async () => {
    const token = await serviceAccountToken('log-reader');
    await grant(f.host, 'log-reader', { kind: 'ServiceAccount', name: 'log-reader', namespace: 'default' }, ['nodes/proxy']);
    const reviews = countTo(TOKEN_REVIEW_PATH);
    const r = await f.get('/containerLogs/default/web/app?tailLines=1', { token });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^app default\/web-mirror line \d+/);
    expect(countTo(TOKEN_REVIEW_PATH)).toBe(reviews + 1);
    // The answer is cached: the same token again costs no review.
    expect((await f.get('/pods', { token })).status).toBe(200);
    expect(countTo(TOKEN_REVIEW_PATH)).toBe(reviews + 1);
  });

  it('refuses a token the TokenReview does not authenticate with 401', async () => {
    expectStatus(await f.get('/pods', { token: 'not-a-real-token' }), 401, 'Unauthorized');
  });
});

describe('authorization', () => {
  it('answers 403 naming the user and the permission it lacks', async () => {
    const bob = f.clientCa.issue({ commonName: 'bob', usage: 'client' });
    const logs = expectStatus(await f.get('/containerLogs/default/web/app', { cert: bob }), 403, 'Forbidden');
    expect(logs['message']).toMatch(new RegExp(`^nodes "${NODE}" is forbidden: User "bob" cannot get resource "nodes/proxy" in API group "" at the cluster scope`));
    expect(logs['details']).toEqual({ kind: 'nodes', name: NODE });
    const stats = expectStatus(await f.get('/stats/summary', { cert: bob }), 403, 'Forbidden');
    expect(stats['message']).toMatch(/User "bob" cannot get resource "nodes\/stats"/);
    const metrics = expectStatus(await f.get('/metrics/resource', { cert: bob }), 403, 'Forbidden');
    expect(metrics['message']).toMatch(/User "bob" cannot get resource "nodes\/metrics"/);
    const exec = expectStatus(await f.get('/exec/default/web/app?command=true&output=1', { cert: bob, method: 'POST' }), 403, 'Forbidden');
    expect(exec['message']).toMatch(/User "bob" cannot create resource "nodes\/proxy"/);
  });

  it('checks the permission the path needs: nodes/stats opens /stats but not /pods', async () => {
    await grant(f.host, 'stats-reader', { kind: 'User', name: 'carol' }, ['nodes/stats', 'nodes/metrics']);
    const carol = f.clientCa.issue({ commonName: 'carol', usage: 'client' });
    expect((await f.get('/stats/summary', { cert: carol })).status).toBe(200);
    expect((await f.get('/metrics/resource', { cert: carol })).status).toBe(200);
    expectStatus(await f.get('/pods', { cert: carol }), 403, 'Forbidden');
  });

  it('asks the host once for a burst of requests by one user, and keeps denials apart', async () => {
    await grant(f.host, 'burst-reader', { kind: 'User', name: 'dave' }, ['nodes/proxy']);
    const dave = f.clientCa.issue({ commonName: 'dave', usage: 'client' });
    const before = countTo(SAR_PATH);
    const answers = await Promise.all(Array.from({ length: 5 }, () => f.get('/pods', { cert: dave })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await f.get('/pods', { cert: dave })).status).toBe(200);
    expect(countTo(SAR_PATH)).toBe(before + 1);
    expect(await metricValue(f.registry, 'tidepool_virtual_node_kubelet_auth_decisions_total', { step: 'authorization', result: 'allowed', cached: 'true' })).toBeGreaterThanOrEqual(1);
    // dave may not read stats: a different question, asked separately.
    expectStatus(await f.get('/stats/summary', { cert: dave }), 403, 'Forbidden');
    expect(countTo(SAR_PATH)).toBe(before + 2);
  });

  it("lets the host API server's kubelet-client identity (system:masters) through", async () => {
    const apiserver = f.clientCa.issue({ commonName: 'kube-apiserver-kubelet-client', organization: ['system:masters'], usage: 'client' });
    expect((await f.get('/containerLogs/default/web/app?tailLines=1', { cert: apiserver })).status).toBe(200);
  });

  it('needs no credentials for /healthz', async () => {
    expect((await f.get('/healthz')).status).toBe(200);
  });
});

describe('when the host cluster cannot answer', () => {
  let api: KubeletApi;
  let dead: KubeClient;
  const clientCa = createCertificateAuthority('dead-host-clients');

  beforeAll(async () => {
    // A host client aimed at a closed port: every review fails to connect.
    dead = new KubeClient({ config: { kind: 'inline', text: f.t.sim.kubeconfig.replace(/server: https:\/\/127\.0\.0\.1:\d+/g, 'server: https://127.0.0.1:1'), context: 'host' }, maxAttempts: 1, timeoutMs: 2_000 });
    api = await startKubeletApi({ backend: f.backend, host: dead, listen: { host: '127.0.0.1', port: 0 }, clientCaPem: clientCa.cert });
  });

  afterAll(async () => {
    await api?.close();
    dead?.close();
  });

  it('a token cannot be reviewed: 401, as the kubelet answers', async () => {
    expectStatus(await requestTo(api, '/pods', { token: 'some-token' }), 401, 'Unauthorized');
  });

  it('access cannot be reviewed: 500 naming the user and the request, not a denial', async () => {
    const erin = clientCa.issue({ commonName: 'erin', usage: 'client' });
    const s = expectStatus(await requestTo(api, '/pods', { cert: erin }), 500, 'InternalError');
    expect(String(s['message'])).toMatch(/^Authorization error \(user=erin, verb=get, resource=nodes, subresource=proxy\)/);
  });
});

describe('a node the endpoint does not serve', () => {
  it('is not reachable through it: its pods are unknown here', async () => {
    const backend = new MemoryBackend();
    backend.nodes = ['vn', 'vn-2'];
    backend.pods.set('default/other', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: 'default', uid: 'o' }, spec: { nodeName: 'vn-2', containers: [{ name: 'app' }] } });
    const api = await startKubeletApi({ backend, host: f.host, listen: { host: '127.0.0.1', port: 0 }, clientCaPem: f.clientCa.cert, nodeNames: ['vn'], authorizationMode: 'AlwaysAllow' });
    try {
      const admin = f.clientCa.issue({ commonName: 'admin', usage: 'client' });
      expectStatus(await requestTo(api, '/containerLogs/default/other/app', { cert: admin }), 404, 'NotFound');
      // Its pods are not listed either.
      expect(((await requestTo(api, '/pods', { cert: admin })).json?.['items'] as unknown[]).length).toBe(0);
    } finally {
      await api.close();
    }
  });
});
