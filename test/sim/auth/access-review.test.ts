// SubjectAccessReview and its relatives, as a kubelet-like server uses them to authorize
// its callers: the same RBAC evaluation that guards the API, asked about any user and
// groups — kubelet subresources (nodes/proxy, nodes/stats, nodes/log), pods/log, and
// non-resource URLs — with kube's reasons and validation.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from '../e2e/helpers.js';
import { call, clusterRole, clusterRoleBinding, create, group, role, roleBinding, sa, startAuthCluster, user, type AuthCluster } from './helpers.js';

const AUTHZ = 'authorization.k8s.io/v1';
const SAR_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
const NS = 'jobs';

let t: AuthCluster;

interface Verdict {
  allowed: boolean;
  reason?: string;
}

async function sar(spec: Record<string, unknown>, token?: string): Promise<Verdict> {
  const r = await call(t.access, 'POST', SAR_PATH, { apiVersion: AUTHZ, kind: 'SubjectAccessReview', spec }, token);
  expect(r.status, r.body).toBe(201);
  expect(r.json!['spec']).toEqual(spec);
  return r.json!['status'] as Verdict;
}

const nodeAccess = (who: Record<string, unknown>, verb: string, subresource: string, name = 'vk-node') =>
  sar({ ...who, resourceAttributes: { verb, group: '', version: 'v1', resource: 'nodes', subresource, name } });

beforeAll(async () => {
  t = await startAuthCluster();
  await create(t.access, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  for (const [path, body] of [
    // What kube's system:kubelet-api-admin grants, for one user.
    clusterRole('kubelet-api', [{ apiGroups: [''], resources: ['nodes/proxy', 'nodes/stats', 'nodes/log'], verbs: ['get', 'create'] }]),
    clusterRoleBinding('alice-kubelet-api', 'kubelet-api', [user('alice')]),
    clusterRole('metrics-scraper', [{ nonResourceURLs: ['/metrics', '/logs/*'], verbs: ['get'] }]),
    clusterRoleBinding('monitoring-scrapes', 'metrics-scraper', [group('monitoring')]),
    clusterRole('any-log', [{ apiGroups: ['*'], resources: ['*/log'], verbs: ['get'] }]),
    role(NS, 'log-reader', [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get'] }]),
    roleBinding(NS, 'runner-logs', { kind: 'Role', name: 'log-reader' }, [sa(NS, 'runner')]),
  ] as Array<[string, unknown]>) {
    await create(t.access, path, body);
  }
});

afterAll(async () => {
  await t?.stop();
});

describe('SubjectAccessReview', () => {
  it('allows a user the kubelet subresources a ClusterRoleBinding grants, and says which binding', async () => {
    expect(await nodeAccess({ user: 'alice' }, 'get', 'proxy')).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by ClusterRoleBinding "alice-kubelet-api" of ClusterRole "kubelet-api" to User "alice"',
    });
    expect((await nodeAccess({ user: 'alice' }, 'create', 'stats')).allowed).toBe(true);
    expect((await nodeAccess({ user: 'alice' }, 'get', 'log')).allowed).toBe(true);
    expect(await nodeAccess({ user: 'alice' }, 'get', 'metrics')).toEqual({ allowed: false });
    expect(await nodeAccess({ user: 'bob' }, 'get', 'proxy')).toEqual({ allowed: false });
    expect((await nodeAccess({ user: 'alice' }, 'delete', 'proxy')).allowed).toBe(false);
  });

  it('judges non-resource URLs for groups, with `*` as a path prefix', async () => {
    const url = (groups: string[], path: string) => sar({ user: 'scraper', groups, nonResourceAttributes: { path, verb: 'get' } });
    expect((await url(['monitoring'], '/metrics')).allowed).toBe(true);
    expect((await url(['monitoring'], '/logs/kubelet.log')).allowed).toBe(true);
    expect((await url(['monitoring'], '/metrics/cadvisor')).allowed).toBe(false);
    expect((await url(['other'], '/metrics')).allowed).toBe(false);
    expect((await sar({ groups: ['monitoring'], nonResourceAttributes: { path: '/metrics', verb: 'post' } })).allowed).toBe(false);
  });

  it('allows pods/log to a ServiceAccount through a RoleBinding in its namespace only', async () => {
    const runner = { user: `system:serviceaccount:${NS}:runner`, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'] };
    const log = (namespace: string) => sar({ ...runner, resourceAttributes: { namespace, verb: 'get', resource: 'pods', subresource: 'log', name: 'job-1' } });
    expect(await log(NS)).toEqual({ allowed: true, reason: `RBAC: allowed by RoleBinding "runner-logs/${NS}" of Role "log-reader" to ServiceAccount "runner/${NS}"` });
    expect((await log('default')).allowed).toBe(false);
    expect((await sar({ ...runner, resourceAttributes: { namespace: NS, verb: 'get', resource: 'pods', subresource: 'exec' } })).allowed).toBe(false);
  });

  it('matches `*/log` rules to the log subresource of any resource', async () => {
    await create(t.access, ...clusterRoleBinding('carol-logs', 'any-log', [user('carol')]));
    expect((await sar({ user: 'carol', resourceAttributes: { verb: 'get', resource: 'nodes', subresource: 'log' } })).allowed).toBe(true);
    expect((await sar({ user: 'carol', resourceAttributes: { namespace: NS, verb: 'get', resource: 'pods', subresource: 'log' } })).allowed).toBe(true);
    expect((await sar({ user: 'carol', resourceAttributes: { namespace: NS, verb: 'get', resource: 'pods' } })).allowed).toBe(false);
  });

  it('allows system:masters everything', async () => {
    expect((await sar({ user: 'root', groups: ['system:masters'], resourceAttributes: { verb: 'delete', resource: 'nodes', name: 'x' } })).allowed).toBe(true);
  });

  it('refuses a spec without a user or group, or with both kinds of attributes, with 422', async () => {
    const noUser = await call(t.access, 'POST', SAR_PATH, { apiVersion: AUTHZ, kind: 'SubjectAccessReview', spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } });
    expect(expectStatus(noUser, 422, 'Invalid')['message']).toBe(
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
    );
    const both = await call(t.access, 'POST', SAR_PATH, {
      apiVersion: AUTHZ,
      kind: 'SubjectAccessReview',
      spec: { user: 'a', resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/x', verb: 'get' } },
    });
    expect(expectStatus(both, 422, 'Invalid')['message']).toBe(
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: cannot be specified in combination with resourceAttributes',
    );
  });

  it('may be asked by a ServiceAccount bound to system:auth-delegator, as a kubelet-like server is, and not otherwise', async () => {
    await create(t.access, `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'vk' } });
    const token = t.cluster.issueToken(NS, 'vk');
    const ask = () => call(t.access, 'POST', SAR_PATH, { apiVersion: AUTHZ, kind: 'SubjectAccessReview', spec: { user: 'alice', resourceAttributes: { verb: 'get', resource: 'nodes', subresource: 'proxy' } } }, token);
    expect(expectStatus(await ask(), 403, 'Forbidden')['message']).toBe(
      `subjectaccessreviews.authorization.k8s.io is forbidden: User "system:serviceaccount:${NS}:vk" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope`,
    );
    await create(t.access, ...clusterRoleBinding('vk-delegator', 'system:auth-delegator', [sa(NS, 'vk')]));
    const r = await ask();
    expect(r.status).toBe(201);
    expect((r.json!['status'] as Verdict).allowed).toBe(true);
    const review = await call(t.access, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }, token);
    expect(review.status).toBe(201);
    expect((review.json!['status'] as { user: { username: string } }).user.username).toBe(`system:serviceaccount:${NS}:vk`);
  });
});

describe('LocalSubjectAccessReview', () => {
  const path = (ns: string) => `/apis/authorization.k8s.io/v1/namespaces/${ns}/localsubjectaccessreviews`;

  it('reviews access within the namespace of its URL', async () => {
    const r = await call(t.access, 'POST', path(NS), {
      apiVersion: AUTHZ,
      kind: 'LocalSubjectAccessReview',
      spec: { user: `system:serviceaccount:${NS}:runner`, resourceAttributes: { namespace: NS, verb: 'get', resource: 'pods' } },
    });
    expect(r.status).toBe(201);
    expect(r.json!['metadata']).toMatchObject({ namespace: NS });
    expect((r.json!['status'] as Verdict).allowed).toBe(true);
  });

  it('refuses attributes for another namespace (400) and non-resource attributes (422)', async () => {
    const other = await call(t.access, 'POST', path(NS), { apiVersion: AUTHZ, kind: 'LocalSubjectAccessReview', spec: { user: 'a', resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } } });
    expect(expectStatus(other, 400, 'BadRequest')['message']).toBe(`spec.resourceAttributes.namespace must match namespace: ${NS}`);
    const nonResource = await call(t.access, 'POST', path(NS), { apiVersion: AUTHZ, kind: 'LocalSubjectAccessReview', spec: { user: 'a', nonResourceAttributes: { path: '/x', verb: 'get' } } });
    expect(expectStatus(nonResource, 422, 'Invalid')['message']).toContain('disallowed on this kind of request');
  });
});

describe('SelfSubjectAccessReview and SelfSubjectRulesReview', () => {
  it('answer for the caller: the admin may do anything, a ServiceAccount what it is bound to', async () => {
    await create(t.access, `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runner' } });
    const runner = t.cluster.issueToken(NS, 'runner');
    const self = async (spec: Record<string, unknown>, token?: string): Promise<Verdict> => {
      const r = await call(t.access, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: AUTHZ, kind: 'SelfSubjectAccessReview', spec }, token);
      expect(r.status, r.body).toBe(201);
      return r.json!['status'] as Verdict;
    };
    const deleteNodes = { resourceAttributes: { verb: 'delete', resource: 'nodes' } };
    expect((await self(deleteNodes)).allowed).toBe(true);
    expect((await self(deleteNodes, runner)).allowed).toBe(false);
    expect((await self({ resourceAttributes: { namespace: NS, verb: 'get', resource: 'pods', subresource: 'log' } }, runner)).allowed).toBe(true);

    const rules = await call(t.access, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: AUTHZ, kind: 'SelfSubjectRulesReview', spec: { namespace: NS } }, runner);
    expect(rules.status).toBe(201);
    const status = rules.json!['status'] as { resourceRules: unknown[]; nonResourceRules: Array<{ nonResourceURLs: string[] }>; incomplete: boolean };
    expect(status.resourceRules).toContainEqual({ verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/log'] });
    expect(status.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    expect(status.nonResourceRules.flatMap((r) => r.nonResourceURLs)).toContain('/apis/*');
    expect(status.incomplete).toBe(false);
  });

  it('need exactly one kind of attributes, and a namespace for the rules', async () => {
    const none = await call(t.access, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: AUTHZ, kind: 'SelfSubjectAccessReview', spec: {} });
    expect(expectStatus(none, 422, 'Invalid')['message']).toBe(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    const noNs = await call(t.access, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: AUTHZ, kind: 'SelfSubjectRulesReview', spec: {} });
    expect(expectStatus(noNs, 400, 'BadRequest')['message']).toBe('no namespace on request');
  });
});
