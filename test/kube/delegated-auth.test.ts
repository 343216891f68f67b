// Delegated authentication and authorization against a real API server (the sim): a bearer
// token reviewed with a TokenReview, its user checked with a SubjectAccessReview for a
// resource or a URL path, each answer cached for its own time, one review for a burst of
// the same question, and no answer cached when the cluster cannot give one.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DelegatedAuth, KubeClient, bearerToken, resourceVerbOf, type DelegatedAuthOptions, type UserInfo } from '../../kube/index.js';
import { renderKubeconfig } from '../../sim/index.js';
import { clusterRole, clusterRoleBinding, create, group, roleBinding, role, sa, startAuthCluster, user, type AuthCluster } from '../sim/auth/helpers.js';
import { raw } from '../sim/e2e/helpers.js';

const NS = 'apps';
const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

let t: AuthCluster;
let reviewer: KubeClient;
/** Requests the reviewer client sent, by path. */
const sent: string[] = [];
const count = (path: string): number => sent.filter((p) => p === path).length;
let nowMs = 1_000_000;

function auth(opts: Partial<DelegatedAuthOptions> = {}): DelegatedAuth {
  return new DelegatedAuth({ reviewer, clock: { now: () => nowMs }, ...opts });
}

async function serviceAccountToken(name: string, audiences?: string[]): Promise<string> {
  await create(t.access, `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
  return t.cluster.issueToken(NS, name, audiences ? { audiences } : {});
}

const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };
const nodeProxy = (verb: string, name = 'vk-1') => ({ resourceAttributes: { verb, group: '', version: 'v1', resource: 'nodes', subresource: 'proxy', name } });

beforeAll(async () => {
  t = await startAuthCluster('reviewer');
  reviewer = new KubeClient({
    config: { kind: 'inline', text: renderKubeconfig([t.cluster.kubeconfigEntry()]), context: 'reviewer' },
    timeoutMs: 5_000,
    maxAttempts: 1,
    onRequest: (e) => sent.push(e.path),
  });
  await create(t.access, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await create(t.access, ...clusterRole('node-proxy', [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }]));
  await create(t.access, ...clusterRole('metrics-reader', [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]));
  await create(t.access, ...clusterRoleBinding('monitoring-metrics', 'metrics-reader', [group('monitoring')]));
});

afterAll(async () => {
  reviewer?.close();
  await t?.stop();
});

describe('authenticateToken', () => {
  it("names the ServiceAccount a token belongs to, with kube's groups and uid", async () => {
    const token = await serviceAccountToken('reader');
    const d = await auth().authenticateToken(token);
    expect(d.authenticated).toBe(true);
    if (!d.authenticated) return;
    expect(d.user.username).toBe(`system:serviceaccount:${NS}:reader`);
    expect(d.user.groups).toEqual(expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']));
    expect(d.user.uid).toMatch(/.+/);
    expect(d.cached).toBe(false);
  });

  it('refuses a token the cluster did not sign, with the reviewer\'s reason', async () => {
    const d = await auth().authenticateToken('not-a-token');
    expect(d).toMatchObject({ authenticated: false, cached: false });
    expect(d.authenticated ? '' : d.reason).not.toBe('');
  });

  it('sends the audiences: a token for another audience is refused unless that audience is asked for', async () => {
    const token = await serviceAccountToken('vault-client', ['vault']);
    expect((await auth().authenticateToken(token)).authenticated).toBe(false);
    expect((await auth({ audiences: ['vault'] }).authenticateToken(token)).authenticated).toBe(true);
  });

  it('reviews a token once for a burst of requests and reuses the answer until it expires', async () => {
    const token = await serviceAccountToken('burst');
    const a = auth({ ttls: { authenticatedMs: 60_000 } });
    const before = count(TOKEN_REVIEWS);
    const burst = await Promise.all(Array.from({ length: 5 }, () => a.authenticateToken(token)));
    expect(burst.every((d) => d.authenticated)).toBe(true);
    expect(count(TOKEN_REVIEWS)).toBe(before + 1);
    expect((await a.authenticateToken(token)).cached).toBe(true);
    nowMs += 60_000;
    expect((await a.authenticateToken(token)).cached).toBe(false);
    expect(count(TOKEN_REVIEWS)).toBe(before + 2);
  });

  it('keeps a refusal for its own, shorter time', async () => {
    const a = auth({ ttls: { authenticatedMs: 60_000, unauthenticatedMs: 5_000 } });
    await a.authenticateToken('refused-token');
    expect((await a.authenticateToken('refused-token')).cached).toBe(true);
    nowMs += 5_000;
    expect((await a.authenticateToken('refused-token')).cached).toBe(false);
  });

  it('keeps at most cacheSize answers, dropping the oldest', async () => {
    const a = auth({ cacheSize: 1 });
    const before = count(TOKEN_REVIEWS);
    await a.authenticateToken('first');
    await a.authenticateToken('second');
    expect((await a.authenticateToken('first')).cached).toBe(false);
    expect(count(TOKEN_REVIEWS)).toBe(before + 3);
  });
});

describe('authorize', () => {
  it('asks for a resource, and says why the cluster allowed it', async () => {
    await create(t.access, ...clusterRoleBinding('alice-node-proxy', 'node-proxy', [user('alice')]));
    const d = await auth().authorize({ username: 'alice', groups: [] }, nodeProxy('get'));
    expect(d).toEqual({ allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "alice-node-proxy" of ClusterRole "node-proxy" to User "alice"', cached: false });
    expect((await auth().authorize({ username: 'alice', groups: [] }, nodeProxy('create'))).allowed).toBe(false);
  });

  it('asks for a namespaced resource', async () => {
    await create(t.access, ...role(NS, 'services-proxy', [{ apiGroups: [''], resources: ['services/proxy'], verbs: ['get'], resourceNames: ['capacity'] }]));
    await create(t.access, ...roleBinding(NS, 'carol-proxy', { kind: 'Role', name: 'services-proxy' }, [user('carol')]));
    const asks = (name: string) => ({ resourceAttributes: { verb: 'get', group: '', version: 'v1', resource: 'services', subresource: 'proxy', namespace: NS, name } });
    expect((await auth().authorize({ username: 'carol', groups: [] }, asks('capacity'))).allowed).toBe(true);
    expect((await auth().authorize({ username: 'carol', groups: [] }, asks('other'))).allowed).toBe(false);
  });

  it('asks for a URL path, for the user or its groups', async () => {
    const path = (p: string) => ({ nonResourceAttributes: { verb: 'get', path: p } });
    expect((await auth().authorize({ username: 'prom', groups: ['monitoring'] }, path('/metrics'))).allowed).toBe(true);
    expect((await auth().authorize({ username: 'prom', groups: [] }, path('/metrics'))).allowed).toBe(false);
    expect((await auth().authorize({ username: 'prom', groups: ['monitoring'] }, path('/debug'))).allowed).toBe(false);
  });

  it('asks once for a burst of one question, and separately for another', async () => {
    const a = auth();
    const before = count(ACCESS_REVIEWS);
    await Promise.all(Array.from({ length: 5 }, () => a.authorize(bob, nodeProxy('get'))));
    expect((await a.authorize(bob, nodeProxy('get'))).cached).toBe(true);
    expect(count(ACCESS_REVIEWS)).toBe(before + 1);
    await a.authorize(bob, nodeProxy('get', 'vk-2'));
    await a.authorize({ ...bob, groups: ['system:authenticated', 'ops'] }, nodeProxy('get'));
    expect(count(ACCESS_REVIEWS)).toBe(before + 3);
  });

  it('sees a grant once the denial expires, and a revocation once the allowance expires', async () => {
    const a = auth({ ttls: { allowedMs: 60_000, deniedMs: 1_000 } });
    const dave: UserInfo = { username: 'dave', groups: [] };
    expect((await a.authorize(dave, nodeProxy('get'))).allowed).toBe(false);
    await create(t.access, ...clusterRoleBinding('dave-node-proxy', 'node-proxy', [user('dave')]));
    expect(await a.authorize(dave, nodeProxy('get'))).toMatchObject({ allowed: false, cached: true });
    nowMs += 1_000;
    expect(await a.authorize(dave, nodeProxy('get'))).toMatchObject({ allowed: true, cached: false });

    const del = await raw(t.access, 'DELETE', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/dave-node-proxy');
    expect(del.status).toBe(200);
    expect(await a.authorize(dave, nodeProxy('get'))).toMatchObject({ allowed: true, cached: true });
    nowMs += 60_000;
    expect((await a.authorize(dave, nodeProxy('get'))).allowed).toBe(false);
  });
});

describe('when the cluster cannot answer', () => {
  it('throws for a token and for an access, and keeps nothing: the next question after recovery is reviewed', async () => {
    const token = await serviceAccountToken('unlucky');
    await create(t.access, ...clusterRoleBinding('unlucky-node-proxy', 'node-proxy', [sa(NS, 'unlucky')]));
    const a = auth({ retry: false, reviewTimeoutMs: 2_000 });
    const who: UserInfo = { username: `system:serviceaccount:${NS}:unlucky`, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'] };
    await t.cluster.outage(true);
    try {
      await expect(a.authenticateToken(token)).rejects.toThrow();
      await expect(a.authorize(who, nodeProxy('get'))).rejects.toThrow();
    } finally {
      await t.cluster.outage(false);
    }
    expect(await a.authenticateToken(token)).toMatchObject({ authenticated: true, cached: false });
    expect(await a.authorize(who, nodeProxy('get'))).toMatchObject({ allowed: true, cached: false });
  });
});

describe('request parsing', () => {
  it('reads the token of an Authorization: Bearer header, and nothing else', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });

  it('maps a method to the verb it asks for on a resource', () => {
    expect(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'get', 'OPTIONS'].map(resourceVerbOf)).toEqual(['get', 'get', 'create', 'update', 'patch', 'delete', 'get', 'options']);
  });
});
