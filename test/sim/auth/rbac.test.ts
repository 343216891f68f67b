// RBAC on the sim's API: a ServiceAccount token may do what its Roles and ClusterRoles
// grant through RoleBindings and ClusterRoleBindings, and nothing else — refused with
// kube's 403 Forbidden Status and wording. The admin (system:masters) is never asked.

import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from '../e2e/helpers.js';
import { call, clusterRole, clusterRoleBinding, create, group, role, roleBinding, sa, startAuthCluster, type AuthCluster } from './helpers.js';

const NS = 'team';
const OTHER = 'elsewhere';
const SA_USER = `system:serviceaccount:${NS}:reader`;

let t: AuthCluster;
let token: string;

const grant = async ([path, body]: [string, unknown]): Promise<void> => {
  await create(t.access, path, body);
};
const as = (method: string, path: string, body?: unknown) => call(t.access, method, path, body, token);

beforeAll(async () => {
  t = await startAuthCluster();
  for (const ns of [NS, OTHER]) await create(t.access, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await create(t.access, `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader' } });
  for (const name of ['allowed', 'hidden']) {
    await create(t.access, `/api/v1/namespaces/${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });
  }
  await grant(role(NS, 'pod-reader', [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }]));
  await grant(role(NS, 'one-config', [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['allowed'], verbs: ['get', 'list'] }]));
  await grant(roleBinding(NS, 'read-pods', { kind: 'Role', name: 'pod-reader' }, [sa(NS, 'reader')]));
  // An unqualified ServiceAccount subject of a RoleBinding is one in the binding's namespace.
  await grant(roleBinding(NS, 'read-one-config', { kind: 'Role', name: 'one-config' }, [{ kind: 'ServiceAccount', name: 'reader' }]));
  token = t.cluster.issueToken(NS, 'reader');
});

afterAll(async () => {
  await t?.stop();
});

describe('a ServiceAccount token under RBAC', () => {
  it('reads what its RoleBinding grants', async () => {
    expect((await as('GET', `/api/v1/namespaces/${NS}/pods`)).status).toBe(200);
    expect((await as('GET', `/api/v1/namespaces/${NS}/configmaps/allowed`)).status).toBe(200);
  });

  it("gets kube's 403 for what it is not granted, worded per scope and name", async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', `/api/v1/namespaces/${OTHER}/pods`, `pods is forbidden: User "${SA_USER}" cannot list resource "pods" in API group "" in the namespace "${OTHER}"`],
      ['POST', `/api/v1/namespaces/${NS}/pods`, `pods is forbidden: User "${SA_USER}" cannot create resource "pods" in API group "" in the namespace "${NS}"`],
      ['GET', `/api/v1/namespaces/${NS}/configmaps/hidden`, `configmaps "hidden" is forbidden: User "${SA_USER}" cannot get resource "configmaps" in API group "" in the namespace "${NS}"`],
      ['GET', '/api/v1/nodes', `nodes is forbidden: User "${SA_USER}" cannot list resource "nodes" in API group "" at the cluster scope`],
      ['GET', `/apis/apps/v1/namespaces/${NS}/deployments`, `deployments.apps is forbidden: User "${SA_USER}" cannot list resource "deployments" in API group "apps" in the namespace "${NS}"`],
      ['GET', `/api/v1/namespaces/${NS}/pods?watch=true`, `pods is forbidden: User "${SA_USER}" cannot watch resource "pods" in API group "" in the namespace "${NS}"`],
      ['DELETE', `/api/v1/namespaces/${NS}/pods`, `pods is forbidden: User "${SA_USER}" cannot deletecollection resource "pods" in API group "" in the namespace "${NS}"`],
      ['GET', '/logs', `forbidden: User "${SA_USER}" cannot get path "/logs"`],
    ];
    for (const [method, path, message] of cases) {
      const s = expectStatus(await as(method, path, method === 'POST' ? { apiVersion: 'v1', kind: 'Pod' } : undefined), 403, 'Forbidden');
      expect(s['message'], `${method} ${path}`).toBe(message);
    }
    const named = expectStatus(await as('GET', `/api/v1/namespaces/${NS}/configmaps/hidden`), 403, 'Forbidden');
    expect(named['details']).toEqual({ name: 'hidden', kind: 'configmaps' });
  });

  it('matches resourceNames on gets, and on lists that pin metadata.name with a field selector', async () => {
    expect((await as('GET', `/api/v1/namespaces/${NS}/configmaps?fieldSelector=metadata.name%3Dallowed`)).status).toBe(200);
    expectStatus(await as('GET', `/api/v1/namespaces/${NS}/configmaps?fieldSelector=metadata.name%3Dhidden`), 403, 'Forbidden');
    expectStatus(await as('GET', `/api/v1/namespaces/${NS}/configmaps`), 403, 'Forbidden');
  });

  it('may read discovery and the OpenAPI documents (system:discovery) and ask about itself (system:basic-user)', async () => {
    for (const path of ['/api', '/api/v1', '/apis', '/apis/apps/v1', '/openapi/v3']) expect((await as('GET', path)).status, path).toBe(200);
    const ssar = await as('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: NS, verb: 'get', resource: 'pods', subresource: 'log' } },
    });
    expect(ssar.status).toBe(201);
    expect(ssar.json!['status']).toEqual({ allowed: true, reason: `RBAC: allowed by RoleBinding "read-pods/${NS}" of Role "pod-reader" to ServiceAccount "reader/${NS}"` });
  });

  it('gains cluster-wide rights through a ClusterRoleBinding to one of its groups', async () => {
    expectStatus(await as('GET', '/api/v1/nodes'), 403, 'Forbidden');
    await grant(clusterRole('node-lister', [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }]));
    await grant(clusterRoleBinding('team-lists-nodes', 'node-lister', [group(`system:serviceaccounts:${NS}`)]));
    expect((await as('GET', '/api/v1/nodes')).status).toBe(200);
  });

  it('gets the aggregated view role through a RoleBinding to the ClusterRole, in that namespace only', async () => {
    await grant(roleBinding(NS, 'team-view', { kind: 'ClusterRole', name: 'view' }, [sa(NS, 'reader')]));
    expect((await as('GET', `/apis/apps/v1/namespaces/${NS}/deployments`)).status).toBe(200);
    expectStatus(await as('GET', `/apis/apps/v1/namespaces/${OTHER}/deployments`), 403, 'Forbidden');
    expectStatus(await as('GET', `/api/v1/namespaces/${NS}/secrets`), 403, 'Forbidden');
  });

  it('sees a ClusterRole that starts aggregating into view at once', async () => {
    expectStatus(await as('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`), 403, 'Forbidden');
    const [path, body] = clusterRole('view-leases', [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch'] }]);
    (body as { metadata: Record<string, unknown> }).metadata['labels'] = { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' };
    await create(t.access, path, body);
    await expect.poll(async () => (await as('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`)).status, { timeout: 5000 }).toBe(200);
  });

  it('names a binding to a missing role in the reason', async () => {
    await grant(roleBinding(NS, 'dangling', { kind: 'Role', name: 'ghost' }, [sa(NS, 'reader')]));
    const s = expectStatus(await as('GET', `/api/v1/namespaces/${NS}/secrets/x`), 403, 'Forbidden');
    expect(s['message']).toBe(
      `secrets "x" is forbidden: User "${SA_USER}" cannot get resource "secrets" in API group "" in the namespace "${NS}": RBAC: role.rbac.authorization.k8s.io "ghost" not found`,
    );
  });

  it('is refused (401) without a valid token, and the admin token keeps every right', async () => {
    expectStatus(await call(t.access, 'GET', `/api/v1/namespaces/${NS}/pods`, undefined, `${token}x`), 401, 'Unauthorized');
    expect((await call(t.access, 'GET', `/api/v1/namespaces/${OTHER}/secrets`)).status).toBe(200);
    expect((await call(t.access, 'GET', '/api/v1/nodes')).status).toBe(200);
  });
});

describe('impersonation', () => {
  it('lets the admin act as another user, who then gets that user\'s answers', async () => {
    const r = await getWith(t.access.token, `/api/v1/namespaces/${OTHER}/pods`, { 'Impersonate-User': SA_USER });
    expect(r.status).toBe(403);
    expect(r.message).toContain(`User "${SA_USER}" cannot list resource "pods"`);
    expect((await getWith(t.access.token, `/api/v1/namespaces/${NS}/pods`, { 'Impersonate-User': SA_USER })).status).toBe(200);
  });

  it('needs the impersonate verb: a ServiceAccount without it is refused', async () => {
    const r = await getWith(token, '/api/v1/nodes', { 'Impersonate-User': 'alice' });
    expect(r.status).toBe(403);
    expect(r.message).toBe(`users "alice" is forbidden: User "${SA_USER}" cannot impersonate resource "users" in API group "" at the cluster scope`);
  });
});

/** A GET with extra headers (the e2e helper sends only the standard ones). */
function getWith(bearer: string, path: string, headers: Record<string, string>): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, t.access.server), { headers: { Authorization: `Bearer ${bearer}`, ...headers }, ca: t.access.ca, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        let message = '';
        try {
          message = String((JSON.parse(body) as { message?: string }).message ?? '');
        } catch {
          message = body;
        }
        resolve({ status: res.statusCode ?? 0, message });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
