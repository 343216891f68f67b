// Server-side apply against the sim as kubectl 1.32 and a raw HTTPS client see it:
// create-by-apply, re-apply, removal of fields dropped from the configuration, conflicts
// between field managers with kube's wording, --force-conflicts, managedFields in
// `kubectl get --show-managed-fields`, and the Status errors of bad apply requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { hasKubectl, Kubectl } from '../../helpers/kubectl.js';
import { accessFor, expectStatus, raw, startTestSim, type ClusterAccess, type TestSim } from './helpers.js';

let t: TestSim;
let k: Kubectl;
let host: ClusterAccess;

const APPLY = 'application/apply-patch+yaml';
const CM = '/api/v1/namespaces/default/configmaps';

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  time: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
}
interface Obj {
  metadata: { resourceVersion: string; labels?: Record<string, string>; managedFields?: Entry[] };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
}

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): string =>
  YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data });

async function getJson(kind: string, name: string): Promise<Obj> {
  return JSON.parse(await k.ok(['get', kind, name, '-o', 'json', '--show-managed-fields'])) as Obj;
}

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host'], nodes: 1 });
  k = new Kubectl(t.sim.kubeconfig);
  host = accessFor(t.sim.kubeconfig, 'host');
});

afterAll(async () => {
  k?.cleanup();
  await t?.stop();
});

describe.skipIf(!hasKubectl)('kubectl apply --server-side', { timeout: 60_000 }, () => {
  it('creates, re-applies unchanged without a write, applies a change, and removes a field dropped from the config', async () => {
    const created = await k.run(['apply', '--server-side', '-f', '-'], { input: configMap('ssa-1', { a: '1', b: '2' }, { app: 'web' }) });
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toBe('configmap/ssa-1 serverside-applied');
    const first = await getJson('cm', 'ssa-1');
    expect(first.data).toEqual({ a: '1', b: '2' });

    await k.ok(['apply', '--server-side', '-f', '-'], { input: configMap('ssa-1', { a: '1', b: '2' }, { app: 'web' }) });
    expect((await getJson('cm', 'ssa-1')).metadata.resourceVersion).toBe(first.metadata.resourceVersion);

    await k.ok(['apply', '--server-side', '-f', '-'], { input: configMap('ssa-1', { a: '3', b: '2' }, { app: 'web' }) });
    expect((await getJson('cm', 'ssa-1')).data).toEqual({ a: '3', b: '2' });

    await k.ok(['apply', '--server-side', '-f', '-'], { input: configMap('ssa-1', { a: '3' }) });
    const last = await getJson('cm', 'ssa-1');
    expect(last.data).toEqual({ a: '3' });
    expect(last.metadata.labels).toBeUndefined();
  });

  it('a conflict between two field managers is reported in kube\'s words; --force-conflicts takes the field', async () => {
    await k.ok(['apply', '--server-side', '--field-manager=a', '-f', '-'], { input: configMap('ssa-2', { x: '1', z: '1' }) });
    const refused = await k.run(['apply', '--server-side', '--field-manager=b', '-f', '-'], { input: configMap('ssa-2', { x: '2' }) });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Apply failed with 1 conflict: conflict with "a": .data.x');
    expect(refused.stderr).toContain('--force-conflicts');
    expect((await getJson('cm', 'ssa-2')).data).toEqual({ x: '1', z: '1' });

    // The same value is no conflict: b co-owns z.
    await k.ok(['apply', '--server-side', '--field-manager=b', '-f', '-'], { input: configMap('ssa-2', { z: '1' }) });

    const forced = await k.run(['apply', '--server-side', '--field-manager=b', '--force-conflicts', '-f', '-'], { input: configMap('ssa-2', { x: '2', z: '1' }) });
    expect(forced.code).toBe(0);
    const o = await getJson('cm', 'ssa-2');
    expect(o.data).toEqual({ x: '2', z: '1' });
    const owners = Object.fromEntries((o.metadata.managedFields ?? []).map((e) => [e.manager, e.fieldsV1]));
    expect(owners).toEqual({ a: { 'f:data': { 'f:z': {} } }, b: { 'f:data': { 'f:x': {}, 'f:z': {} } } });

    // Now a no longer owns x: applying without it leaves b's value alone; dropping z keeps it (b owns it too).
    await k.ok(['apply', '--server-side', '--field-manager=a', '-f', '-'], { input: configMap('ssa-2', {}) });
    expect((await getJson('cm', 'ssa-2')).data).toEqual({ x: '2', z: '1' });
  });

  it('kubectl get -o yaml --show-managed-fields shows the entries (and hides them without the flag)', async () => {
    const dep = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa-web
spec:
  replicas: 1
  selector: {matchLabels: {app: ssa-web}}
  template:
    metadata: {labels: {app: ssa-web}}
    spec:
      containers:
      - name: main
        image: ${image}
`;
    await k.ok(['apply', '--server-side', '-f', '-'], { input: dep('nginx:1.27') });
    await k.ok(['apply', '--server-side', '-f', '-'], { input: dep('nginx:1.28') });
    const shown = YAML.parse(await k.ok(['get', 'deploy', 'ssa-web', '-o', 'yaml', '--show-managed-fields'])) as Obj;
    const entries = shown.metadata.managedFields ?? [];
    expect(entries.map((e) => [e.manager, e.operation, e.apiVersion, e.fieldsType])).toEqual([['kubectl', 'Apply', 'apps/v1', 'FieldsV1']]);
    expect(entries[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const spec = (entries[0]!.fieldsV1['f:spec'] as Record<string, Record<string, Record<string, Record<string, unknown>>>>);
    expect(spec['f:template']!['f:spec']!['f:containers']).toEqual({ 'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {} } });
    expect(((shown.spec!['template'] as Obj).spec!['containers'] as Array<{ image: string }>)[0]!.image).toBe('nginx:1.28');

    const hidden = YAML.parse(await k.ok(['get', 'deploy', 'ssa-web', '-o', 'yaml'])) as Obj;
    expect(hidden.metadata.managedFields).toBeUndefined();
  });

  it('a later non-apply write (kubectl patch, kubectl scale) is recorded as an Update entry that owns what it changed', async () => {
    await k.ok(['patch', 'deploy/ssa-web', '-p', '{"spec":{"replicas":3}}']);
    const o = await getJson('deploy', 'ssa-web');
    const patched = (o.metadata.managedFields ?? []).find((e) => e.operation === 'Update');
    expect(patched?.manager).toBe('kubectl-patch');
    expect(patched?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    const replicas5 = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ssa-web}\nspec: {replicas: 5}\n';
    const refused = await k.run(['apply', '--server-side', '--field-manager=other', '-f', '-'], { input: replicas5 });
    expect(refused.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl-patch" using apps/v1: .spec.replicas');

    await k.ok(['scale', 'deploy/ssa-web', '--replicas=4']);
    const scaled = await getJson('deploy', 'ssa-web');
    const managers = (scaled.metadata.managedFields ?? []).map((e) => [e.manager, e.operation]);
    // kubectl 1.32 sends no fieldManager for scale: the writer is named after its user agent, as kube does.
    expect(managers).toContainEqual(['kubectl', 'Update']);
    expect(managers).not.toContainEqual(['kubectl-patch', 'Update']);
  });
});

describe.skipIf(!hasKubectl)('server-side apply of a custom resource', { timeout: 60_000 }, () => {
  it('merges x-kubernetes-list-type: map lists by their keys and removes the items the applier dropped', async () => {
    await k.ok(['apply', '--server-side', '-f', '-'], {
      input: `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              slots:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [id]
                items: {type: object, properties: {id: {type: string}, v: {type: string}}}
`,
    });
    const widget = (slots: string): string => `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec:\n  size: 1\n  slots: [${slots}]\n`;
    // The CRD's resource is served once the registry has it: retry the first apply briefly.
    let created = await k.run(['apply', '--server-side', '-f', '-'], { input: widget('{id: s1, v: "1"}, {id: s2, v: "2"}') });
    for (let i = 0; i < 20 && created.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      created = await k.run(['apply', '--server-side', '-f', '-'], { input: widget('{id: s1, v: "1"}, {id: s2, v: "2"}') });
    }
    expect(created.stderr).toBe('');
    await k.ok(['apply', '--server-side', '--field-manager=other', '-f', '-'], { input: widget('{id: s3, v: "3"}') });
    await k.ok(['apply', '--server-side', '-f', '-'], { input: widget('{id: s2, v: "two"}') });
    const o = await getJson('widget', 'w1');
    expect(o.spec!['slots']).toEqual([
      { id: 's2', v: 'two' },
      { id: 's3', v: '3' },
    ]);
    const mine = (o.metadata.managedFields ?? []).find((e) => e.manager === 'kubectl')!;
    expect((mine.fieldsV1['f:spec'] as Record<string, unknown>)['f:slots']).toEqual({ 'k:{"id":"s2"}': { '.': {}, 'f:id': {}, 'f:v': {} } });
  });
});

describe.skipIf(!hasKubectl)('moving from kubectl apply to kubectl apply --server-side', { timeout: 60_000 }, () => {
  it('does not conflict on fields of the last-applied configuration (kube forces those for kubectl); other managers still conflict', async () => {
    await k.ok(['apply', '-f', '-'], { input: configMap('csa-1', { a: '1' }) });
    const moved = await k.run(['apply', '--server-side', '-f', '-'], { input: configMap('csa-1', { a: '2' }) });
    expect(moved.stderr).toBe('');
    expect((await getJson('cm', 'csa-1')).data).toEqual({ a: '2' });

    await k.ok(['apply', '-f', '-'], { input: configMap('csa-2', { a: '1' }) });
    const other = await k.run(['apply', '--server-side', '--field-manager=ci', '-f', '-'], { input: configMap('csa-2', { a: '2' }) });
    expect(other.stderr).toContain('Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a');
  });
});

describe('apply over raw HTTPS', () => {
  const apply = (name: string, body: string, query = 'fieldManager=test&fieldValidation=Strict') =>
    raw(host, 'PATCH', `${CM}/${name}?${query}`, { contentType: APPLY, body });

  it('answers 201 when it creates and 200 after; takes YAML as well as JSON', async () => {
    const created = await apply('raw-1', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw-1\ndata:\n  a: "1"\n');
    expect(created.status).toBe(201);
    expect((created.json as unknown as Obj).metadata.managedFields?.[0]?.manager).toBe('test');
    const again = await apply('raw-1', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'raw-1' }, data: { a: '2' } }));
    expect(again.status).toBe(200);
    expect((again.json as unknown as Obj).data).toEqual({ a: '2' });
  });

  it('without fieldManager -> 422 Invalid with kube\'s message', async () => {
    const r = await apply('raw-2', configMap('raw-2', { a: '1' }), 'fieldValidation=Strict');
    const s = expectStatus(r, 422, 'Invalid');
    expect(s['message']).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    expect((await raw(host, 'GET', `${CM}/raw-2`)).status).toBe(404);
  });

  it('force on a patch that is not an apply -> 422 Invalid, as kube validates PatchOptions', async () => {
    const r = await raw(host, 'PATCH', `${CM}/raw-1?force=true`, { contentType: 'application/merge-patch+json', body: '{"data":{"a":"3"}}' });
    expect(expectStatus(r, 422, 'Invalid')['message']).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  });

  it('bad YAML -> 400 BadRequest Status', async () => {
    const s = expectStatus(await apply('raw-3', 'apiVersion: v1\nkind: [ConfigMap\n'), 400, 'BadRequest');
    expect(s['message']).toMatch(/^error decoding YAML: /);
    expectStatus(await apply('raw-3', '- just\n- a list\n'), 400, 'BadRequest');
  });

  it('a wrong apiVersion, or a name other than the URL\'s -> 400', async () => {
    const wrongVersion = expectStatus(await apply('raw-4', 'apiVersion: v2\nkind: ConfigMap\nmetadata: {name: raw-4}\n'), 400, 'BadRequest');
    expect(wrongVersion['message']).toBe('Incorrect version specified in apply patch. Specified patch version: v2, expected: v1');
    expectStatus(await apply('raw-4', configMap('other', { a: '1' })), 400, 'BadRequest');
  });

  it('fieldValidation=Strict refuses an unknown field; Warn applies without it and warns', async () => {
    const body = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: raw-5}\ndata: {a: "1"}\nbogus: 1\n';
    const s = expectStatus(await apply('raw-5', body), 400, 'BadRequest');
    expect(s['message']).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"');
    expect((await raw(host, 'GET', `${CM}/raw-5`)).status).toBe(404);
    const warned = await apply('raw-5', body, 'fieldManager=test&fieldValidation=Warn');
    expect(warned.status).toBe(201);
    expect(String(warned.headers['warning'])).toContain('unknown field \\"bogus\\"');
    expect(warned.json?.['bogus']).toBeUndefined();
  });

  it('invalid values get admission\'s 422; dryRun=All stores nothing', async () => {
    const bad = await apply('raw-6', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: raw-6}\ndata: {"bad key!": "1"}\n');
    expectStatus(bad, 422, 'Invalid');
    const dry = await apply('raw-6', configMap('raw-6', { a: '1' }), 'fieldManager=test&dryRun=All');
    expect(dry.status).toBe(201);
    expect((await raw(host, 'GET', `${CM}/raw-6`)).status).toBe(404);
  });

  it('a conflict is a 409 Conflict Status with FieldManagerConflict causes', async () => {
    expect((await apply('raw-7', configMap('raw-7', { a: '1' }), 'fieldManager=one')).status).toBe(201);
    const r = await apply('raw-7', configMap('raw-7', { a: '2' }), 'fieldManager=two');
    const s = expectStatus(r, 409, 'Conflict');
    expect(s['message']).toBe('Apply failed with 1 conflict: conflict with "one": .data.a');
    expect((s['details'] as { causes: unknown[] }).causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "one"', field: '.data.a' }]);
    expect((await apply('raw-7', configMap('raw-7', { a: '2' }), 'fieldManager=two&force=true')).status).toBe(200);
  });

  it('an apply to the status subresource owns status fields under subresource "status" and leaves the spec alone', async () => {
    const SVC = '/api/v1/namespaces/default/services';
    const svc = (ports: unknown, status?: unknown) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'raw-svc' }, spec: { type: 'LoadBalancer', ports }, ...(status ? { status } : {}) });
    expect((await raw(host, 'PATCH', `${SVC}/raw-svc?fieldManager=test`, { contentType: APPLY, body: svc([{ port: 80 }]) })).status).toBe(201);
    const r = await raw(host, 'PATCH', `${SVC}/raw-svc/status?fieldManager=lb`, {
      contentType: APPLY,
      body: svc([{ port: 99 }], { loadBalancer: { ingress: [{ ip: '10.0.0.9' }] } }),
    });
    expect(r.status).toBe(200);
    const o = r.json as unknown as Obj & { status: { loadBalancer: { ingress: Array<{ ip: string }> } } };
    expect(o.status.loadBalancer.ingress).toEqual([{ ip: '10.0.0.9' }]);
    expect((o.spec!['ports'] as Array<{ port: number }>).map((p) => p.port)).toEqual([80]);
    const lb = (o.metadata.managedFields ?? []).find((e) => e.manager === 'lb') as (Entry & { subresource?: string }) | undefined;
    expect(lb?.subresource).toBe('status');
    expect(lb?.fieldsV1).toEqual({ 'f:status': { 'f:loadBalancer': { 'f:ingress': {} } } });
  });

  it('an object created without apply is owned by before-first-apply', async () => {
    expect((await raw(host, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'raw-8' }, data: { a: '1' } }) })).status).toBe(201);
    const s = expectStatus(await apply('raw-8', configMap('raw-8', { a: '2' })), 409, 'Conflict');
    expect(s['message']).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a');
  });
});
