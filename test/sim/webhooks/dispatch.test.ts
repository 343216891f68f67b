// The simulated apiserver calls the MutatingWebhookConfigurations it stores: a real HTTPS
// POST of an AdmissionReview, verified with caBundle, honouring rules, selectors,
// failurePolicy, timeoutSeconds, sideEffects and reinvocationPolicy, with the answer's
// patch applied before validation, its warnings as Warning headers and a refusal as the
// request's error — in kube-apiserver's words.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accessFor, expectStatus, podManifest, raw, startTestSim, type ClusterAccess, type RawResponse, type TestSim } from '../e2e/helpers.js';
import { allow, deny, startStandIn, type StandIn } from './stand-in.js';

let t: TestSim;
let host: ClusterAccess;
let hook: StandIn;

const CONFIGS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const PODS = (ns = 'default'): string => `/api/v1/namespaces/${ns}/pods`;
const POD_RULE = { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] };

function webhook(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'stand-in.tidepool.dev',
    clientConfig: { url: hook.url(), caBundle: hook.caBundle },
    rules: [POD_RULE],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...over,
  };
}

async function configure(name: string, ...webhooks: Record<string, unknown>[]): Promise<void> {
  const r = await raw(host, 'POST', CONFIGS, { body: JSON.stringify({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name }, webhooks }) });
  expect(r.status, r.body).toBe(201);
}

async function createPod(name: string, extra: Parameters<typeof podManifest>[1] = {}, query = ''): Promise<RawResponse> {
  return raw(host, 'POST', `${PODS(extra.namespace)}${query}`, { body: JSON.stringify(podManifest(name, extra)) });
}

async function namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  const r = await raw(host, 'POST', '/api/v1/namespaces', { body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }) });
  expect(r.status, r.body).toBe(201);
}

const labelsOf = (r: RawResponse): Record<string, string> => ((r.json?.['metadata'] as { labels?: Record<string, string> }).labels ?? {});

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host'], nodes: 1 });
  host = accessFor(t.sim.kubeconfig, 'host');
  hook = await startStandIn({ dnsNames: ['hook.tidepool-system.svc'] });
});

afterEach(async () => {
  const r = await raw(host, 'DELETE', CONFIGS);
  expect(r.status).toBe(200);
  hook.received.length = 0;
  hook.answer = (req) => allow(req);
  hook.dropNextReused = false;
});

afterAll(async () => {
  await hook?.close();
  await t?.stop();
});

describe('a matching create goes through the webhook', () => {
  it('sends an AdmissionReview v1 of the decoded, defaulted pod and stores the pod as patched', async () => {
    await configure('stand-in', webhook());
    hook.answer = (req) => allow(req, [{ op: 'add', path: '/metadata/labels/tidepool.dev~1seen', value: 'yes' }]);
    const r = await createPod('patched', { labels: { app: 'web' } });
    expect(r.status, r.body).toBe(201);
    expect(labelsOf(r)).toEqual({ app: 'web', 'tidepool.dev/seen': 'yes' });
    expect(labelsOf(await raw(host, 'GET', `${PODS()}/patched`))).toEqual({ app: 'web', 'tidepool.dev/seen': 'yes' });

    expect(hook.received).toHaveLength(1);
    const { path, request } = hook.received[0]!;
    expect(path).toBe('/mutate?timeout=10s');
    expect(request).toMatchObject({
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'patched',
      namespace: 'default',
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    });
    const obj = request.object as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    // As kube-apiserver: the namespace is filled in and defaults applied; no uid before storage.
    expect(obj.metadata['namespace']).toBe('default');
    expect(obj.metadata['uid']).toBeUndefined();
    expect(obj.spec['restartPolicy']).toBe('Always');
    expect(obj.spec['schedulerName']).toBe('default-scheduler');
  });

  it("tells the webhook who asked: a ServiceAccount token's user, not the admin", async () => {
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder' } };
    expect((await raw(host, 'POST', '/api/v1/namespaces/default/serviceaccounts', { body: JSON.stringify(sa) })).status).toBe(201);
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'builder-edit' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'ServiceAccount', name: 'builder', namespace: 'default' }],
    };
    expect((await raw(host, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', { body: JSON.stringify(binding) })).status).toBe(201);
    const tr = await raw(host, 'POST', '/api/v1/namespaces/default/serviceaccounts/builder/token', { body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }) });
    expect(tr.status, tr.body).toBe(201);
    const token = (tr.json?.['status'] as { token: string }).token;
    await configure('stand-in', webhook());
    const r = await raw(host, 'POST', PODS(), { body: JSON.stringify(podManifest('by-builder')), token });
    expect(r.status, r.body).toBe(201);
    expect(hook.received[0]!.request.userInfo).toMatchObject({ username: 'system:serviceaccount:default:builder' });
    expect(hook.received[0]!.request.userInfo.groups).toContain('system:serviceaccounts:default');
  });

  it("returns the webhook's warnings as Warning headers", async () => {
    await configure('stand-in', webhook());
    hook.answer = (req) => allow(req, undefined, ['requests moved to batch resources', 'scheduler name replaced']);
    const r = await createPod('warned');
    expect(r.status).toBe(201);
    expect(r.headers['warning']).toBe('299 - "requests moved to batch resources", 299 - "scheduler name replaced"');
  });

  it('validation runs after mutation: a patch that makes the pod invalid fails the create with 422', async () => {
    await configure('stand-in', webhook());
    hook.answer = (req) => allow(req, [{ op: 'add', path: '/metadata/labels', value: { 'tidepool.dev/qos': 'not a valid value!' } }]);
    const r = await createPod('invalid-after');
    expect(expectStatus(r, 422, 'Invalid')['message']).toContain('metadata.labels: Invalid value: "not a valid value!"');
    expectStatus(await raw(host, 'GET', `${PODS()}/invalid-after`), 404, 'NotFound');
  });

  it('a dry run calls webhooks without side effects with dryRun: true and stores nothing', async () => {
    await configure('stand-in', webhook({ sideEffects: 'None' }));
    const r = await createPod('dry', {}, '?dryRun=All');
    expect(r.status).toBe(201);
    expect(hook.received[0]!.request.dryRun).toBe(true);
    expectStatus(await raw(host, 'GET', `${PODS()}/dry`), 404, 'NotFound');
  });

  it('a dry run is refused when a matching webhook may have side effects', async () => {
    await configure('stand-in', webhook({ sideEffects: 'Some' }));
    const r = await createPod('dry-some', {}, '?dryRun=All');
    expect(expectStatus(r, 400, 'BadRequest')['message']).toBe('admission webhook "stand-in.tidepool.dev" does not support dry run');
    expect(hook.received).toHaveLength(0);
  });
});

describe('refusals and failures', () => {
  it("allowed: false fails the request with the webhook's status, named", async () => {
    await configure('stand-in', webhook());
    hook.answer = (req) => deny(req, { code: 403, reason: 'Forbidden', message: 'no pods on Fridays' });
    const r = await createPod('refused');
    expect(expectStatus(r, 403, 'Forbidden')['message']).toBe('admission webhook "stand-in.tidepool.dev" denied the request: no pods on Fridays');
    expectStatus(await raw(host, 'GET', `${PODS()}/refused`), 404, 'NotFound');

    hook.answer = (req) => deny(req, {});
    const bare = await createPod('refused');
    expect(bare.status).toBe(400);
    expect(bare.json?.['message']).toBe('admission webhook "stand-in.tidepool.dev" denied the request without explanation');
  });

  it('failurePolicy Fail: a webhook that is down fails the request with kube-apiserver\'s message', async () => {
    const down = await startStandIn();
    const port = down.port;
    await down.close();
    await configure('down', webhook({ name: 'down.tidepool.dev', clientConfig: { url: down.url(), caBundle: down.caBundle }, failurePolicy: 'Fail' }));
    const r = await createPod('while-down');
    expect(expectStatus(r, 500, 'InternalError')['message']).toBe(
      `Internal error occurred: failed calling webhook "down.tidepool.dev": failed to call webhook: Post "https://127.0.0.1:${port}/mutate?timeout=10s": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    expectStatus(await raw(host, 'GET', `${PODS()}/while-down`), 404, 'NotFound');
  });

  it('failurePolicy Ignore: a webhook that is down lets the pod in unchanged', async () => {
    const down = await startStandIn();
    await down.close();
    await configure('down', webhook({ name: 'down.tidepool.dev', clientConfig: { url: down.url(), caBundle: down.caBundle }, failurePolicy: 'Ignore' }));
    const before = t.sim.cluster('host').webhooks.stats.failedOpen;
    const r = await createPod('ignored', { labels: { app: 'web' } });
    expect(r.status, r.body).toBe(201);
    expect(labelsOf(r)).toEqual({ app: 'web' });
    expect(t.sim.cluster('host').webhooks.stats.failedOpen).toBe(before + 1);
  });

  it('timeoutSeconds bounds the call: Fail names the deadline, Ignore admits the pod', async () => {
    hook.answer = (req) => ({ delayMs: 3_000, then: allow(req, [{ op: 'add', path: '/metadata/labels/late', value: 'yes' }]) });
    await configure('slow', webhook({ timeoutSeconds: 1, failurePolicy: 'Fail' }));
    const failed = await createPod('slow-fail');
    expect(expectStatus(failed, 500, 'InternalError')['message']).toBe(
      `Internal error occurred: failed calling webhook "stand-in.tidepool.dev": failed to call webhook: Post "https://127.0.0.1:${hook.port}/mutate?timeout=1s": context deadline exceeded`,
    );
    await raw(host, 'DELETE', CONFIGS);
    await configure('slow', webhook({ timeoutSeconds: 1, failurePolicy: 'Ignore' }));
    const admitted = await createPod('slow-ignore');
    expect(admitted.status).toBe(201);
    expect(labelsOf(admitted)['late']).toBeUndefined();
  });

  it('a pooled connection the webhook dropped is retried once on a new one', async () => {
    await configure('stand-in', webhook({ failurePolicy: 'Fail' }));
    expect((await createPod('first-on-connection')).status).toBe(201);
    hook.dropNextReused = true;
    const r = await createPod('second-on-connection');
    expect(r.status, r.body).toBe(201);
    expect(hook.dropNextReused).toBe(false);
    expect(hook.received.map((x) => x.request.name)).toEqual(['first-on-connection', 'second-on-connection']);
  });

  it('the server is verified with caBundle: a certificate from another CA fails the call', async () => {
    const other = await startStandIn();
    try {
      await configure('wrong-ca', webhook({ clientConfig: { url: hook.url(), caBundle: other.caBundle } }));
      const r = await createPod('wrong-ca');
      expect(expectStatus(r, 500, 'InternalError')['message']).toContain('failed to call webhook: Post "https://127.0.0.1:');
      expect(r.json?.['message']).toContain('tls: failed to verify certificate: x509: certificate signed by unknown authority');
      expect(hook.received).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('answers that are not valid AdmissionReviews are failed calls', async () => {
    await configure('broken', webhook());
    const cases: Array<[(req: { uid: string }) => Record<string, unknown> | { status: number; body: string }, string]> = [
      [() => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'someone-else', allowed: true } }), 'received invalid webhook response: expected response.uid='],
      [(req) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: req.uid, allowed: true, patchType: 'MergePatch', patch: Buffer.from('{}').toString('base64') } }), 'unsupported patch type "MergePatch"'],
      [(req) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: req.uid, allowed: true, patch: Buffer.from('[]').toString('base64') } }), 'received invalid webhook response: webhook returned response.patch but not response.patchType'],
      [() => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), 'received invalid webhook response: webhook response was absent'],
      [() => ({ status: 500, body: 'boom' }), 'failed to call webhook: an error on the server ("boom") has prevented the request from succeeding'],
    ];
    for (const [answer, message] of cases) {
      hook.answer = answer;
      const r = await createPod('broken');
      expect(expectStatus(r, 500, 'InternalError')['message']).toContain(`failed calling webhook "stand-in.tidepool.dev": ${message}`);
    }
  });

  it('a patch that does not apply fails the request whatever the failurePolicy', async () => {
    await configure('bad-patch', webhook({ failurePolicy: 'Ignore' }));
    hook.answer = (req) => allow(req, [{ op: 'replace', path: '/spec/nothingHere', value: 1 }]);
    const r = await createPod('bad-patch');
    expect(expectStatus(r, 500, 'InternalError')['message']).toMatch(/^Internal error occurred: /);
  });
});

describe('which requests reach a webhook', () => {
  it('objectSelector: only pods whose labels match', async () => {
    await configure('executors', webhook({ objectSelector: { matchLabels: { 'spark-role': 'executor' } } }));
    expect((await createPod('plain')).status).toBe(201);
    expect((await createPod('executor', { labels: { 'spark-role': 'executor' } })).status).toBe(201);
    expect(hook.received.map((r) => r.request.name)).toEqual(['executor']);
  });

  it('namespaceSelector: only pods in namespaces whose labels match', async () => {
    await namespace('batch-ns', { 'tidepool.dev/colocation': 'enabled' });
    await namespace('web-ns');
    await configure('opted-in', webhook({ namespaceSelector: { matchExpressions: [{ key: 'tidepool.dev/colocation', operator: 'In', values: ['enabled'] }] } }));
    expect((await createPod('in-batch', { namespace: 'batch-ns' })).status).toBe(201);
    expect((await createPod('in-web', { namespace: 'web-ns' })).status).toBe(201);
    expect(hook.received.map((r) => `${r.request.namespace}/${r.request.name}`)).toEqual(['batch-ns/in-batch']);
  });

  it('rules: operations and subresources decide; an UPDATE carries the old object', async () => {
    expect((await createPod('updated', { labels: { app: 'web' } })).status).toBe(201);
    await configure('updates', webhook({ rules: [{ ...POD_RULE, operations: ['UPDATE'] }] }));
    hook.answer = (req) => allow(req, [{ op: 'add', path: '/metadata/annotations', value: { 'tidepool.dev/reviewed': 'true' } }]);
    const patched = await raw(host, 'PATCH', `${PODS()}/updated`, { body: JSON.stringify({ metadata: { labels: { tier: 'gold' } } }), contentType: 'application/merge-patch+json' });
    expect(patched.status, patched.body).toBe(200);
    expect((patched.json?.['metadata'] as { annotations?: Record<string, string> }).annotations).toEqual({ 'tidepool.dev/reviewed': 'true' });
    const review = hook.received[0]!.request;
    expect(review.operation).toBe('UPDATE');
    expect((review.oldObject as { metadata: { labels: Record<string, string> } }).metadata.labels).toEqual({ app: 'web' });
    expect((review.object as { metadata: { labels: Record<string, string> } }).metadata.labels).toEqual({ app: 'web', tier: 'gold' });

    // "pods" does not cover pods/status; "pods/status" does, and the review says so.
    const status = JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    expect((await raw(host, 'PATCH', `${PODS()}/updated/status`, { body: status, contentType: 'application/merge-patch+json' })).status).toBe(200);
    expect(hook.received).toHaveLength(1);
    await raw(host, 'DELETE', CONFIGS);
    await configure('status', webhook({ rules: [{ ...POD_RULE, operations: ['UPDATE'], resources: ['pods/status'] }] }));
    hook.answer = (req) => allow(req);
    expect((await raw(host, 'PATCH', `${PODS()}/updated/status`, { body: status, contentType: 'application/merge-patch+json' })).status).toBe(200);
    expect(hook.received[1]!.request.subResource).toBe('status');
  });

  it('a DELETE is sent with the old object and can be refused', async () => {
    expect((await createPod('keep-me')).status).toBe(201);
    await configure('deletes', webhook({ rules: [{ ...POD_RULE, operations: ['DELETE'] }] }));
    hook.answer = (req) => deny(req, { code: 403, reason: 'Forbidden', message: 'this pod stays' });
    expectStatus(await raw(host, 'DELETE', `${PODS()}/keep-me`), 403, 'Forbidden');
    expect((await raw(host, 'GET', `${PODS()}/keep-me`)).status).toBe(200);
    expect(hook.received[0]!.request).toMatchObject({ operation: 'DELETE', object: null, name: 'keep-me' });
  });

  it('a Service is reached through its Endpoints on loopback, verified as <name>.<namespace>.svc', async () => {
    await namespace('tidepool-system');
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hook' }, spec: { ports: [{ name: 'https', port: 443, targetPort: 9443 }] } };
    expect((await raw(host, 'POST', `/api/v1/namespaces/tidepool-system/services`, { body: JSON.stringify(svc) })).status).toBe(201);
    await configure('via-service', webhook({ clientConfig: { service: { namespace: 'tidepool-system', name: 'hook', path: '/mutate' }, caBundle: hook.caBundle } }));

    const noEndpoints = await createPod('before-endpoints');
    expect(expectStatus(noEndpoints, 500, 'InternalError')['message']).toBe(
      'Internal error occurred: failed calling webhook "stand-in.tidepool.dev": failed to call webhook: Post "https://hook.tidepool-system.svc:443/mutate?timeout=10s": no endpoints available for service "hook"',
    );
    const eps = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'hook' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: hook.port }] }] };
    expect((await raw(host, 'POST', `/api/v1/namespaces/tidepool-system/endpoints`, { body: JSON.stringify(eps) })).status).toBe(201);
    expect((await createPod('after-endpoints')).status).toBe(201);
    expect(hook.received.map((r) => r.request.name)).toEqual(['after-endpoints']);
  });

  it('a deleted configuration is no longer called', async () => {
    await configure('short-lived', webhook());
    expect((await createPod('while-configured')).status).toBe(201);
    await raw(host, 'DELETE', `${CONFIGS}/short-lived`);
    expect(t.sim.cluster('host').webhooks.active).toBe(false);
    expect((await createPod('after-delete')).status).toBe(201);
    expect(hook.received.map((r) => r.request.name)).toEqual(['while-configured']);
  });
});

describe('order and reinvocation', () => {
  const first = (over: Record<string, unknown>): Record<string, unknown> => webhook({ name: 'first.tidepool.dev', clientConfig: { url: hook.url('/first'), caBundle: hook.caBundle }, ...over });
  const second = (): Record<string, unknown> => webhook({ name: 'second.tidepool.dev', clientConfig: { url: hook.url('/second'), caBundle: hook.caBundle } });

  it('configurations run in name order, each seeing the previous patch; IfNeeded webhooks run again after a later change', async () => {
    hook.answer = (req, path) => (path === '/second' ? allow(req, [{ op: 'add', path: '/metadata/labels/second', value: 'was-here' }]) : allow(req));
    await configure('a-first', first({ reinvocationPolicy: 'IfNeeded' }));
    await configure('b-second', second());
    expect((await createPod('reinvoked', { labels: { app: 'web' } })).status).toBe(201);
    expect(hook.received.map((r) => r.path.split('?')[0])).toEqual(['/first', '/second', '/first']);
    const again = hook.received[2]!.request.object as { metadata: { labels: Record<string, string> } };
    expect(again.metadata.labels['second']).toBe('was-here');
  });

  it('reinvocationPolicy Never: each webhook once', async () => {
    hook.answer = (req, path) => (path === '/second' ? allow(req, [{ op: 'add', path: '/metadata/labels/second', value: 'was-here' }]) : allow(req));
    await configure('a-first', first({ reinvocationPolicy: 'Never' }));
    await configure('b-second', second());
    expect((await createPod('once', { labels: { app: 'web' } })).status).toBe(201);
    expect(hook.received.map((r) => r.path.split('?')[0])).toEqual(['/first', '/second']);
  });
});
