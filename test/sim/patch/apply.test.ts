// Server-side apply's merge and field ownership, without a server: what an applier owns,
// what leaves the object when it stops applying a field, conflicts and force, keyed-list
// merging, kube's FieldsV1 format, and the Update entries of non-apply writes.
import { describe, expect, it } from 'vitest';
import { schemaFor } from '../../../sim/admission.js';
import { applyConfiguration, ApplyConflictError, ApplyInputError, BEFORE_FIRST_APPLY, type ApplyOptions } from '../../../sim/patch/apply.js';
import type { JsonObject } from '../../../sim/patch/json.js';
import { fromFieldsV1, pathText, SEP, toFieldsV1, trackUpdate, managerFromUserAgent } from '../../../sim/patch/managed-fields.js';
import { ResourceRegistry } from '../../../sim/resources.js';

type Obj = JsonObject & { metadata: JsonObject };

const reg = new ResourceRegistry();
const CM = reg.lookup('', 'v1', 'configmaps')!;
const DEPLOY = reg.lookup('apps', 'v1', 'deployments')!;
const NOW = '2026-11-23T10:00:00Z';
const LATER = '2026-11-23T10:05:00Z';

function opts(manager: string, extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return { root: schemaFor(CM), manager, force: false, now: NOW, apiVersion: 'v1', statusSubresource: false, ...extra };
}

const cm = (data: Record<string, string>, labels?: Record<string, string>): JsonObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cfg', namespace: 'default', ...(labels ? { labels } : {}) },
  data,
});

/** The stored form of an apply result (what the next apply sees as live). */
const stored = (o: Obj): Obj => JSON.parse(JSON.stringify(o)) as Obj;

function managers(o: Obj): Array<{ manager: string; operation: string; fieldsV1: unknown }> {
  return (o.metadata['managedFields'] as Array<{ manager: string; operation: string; fieldsV1: unknown }>).map((e) => ({
    manager: e.manager,
    operation: e.operation,
    fieldsV1: e.fieldsV1,
  }));
}

function conflictOf(fn: () => unknown): ApplyConflictError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApplyConflictError) return e;
    throw e;
  }
  throw new Error('expected a conflict');
}

describe('applyConfiguration', () => {
  it('creates: the applier owns exactly the fields it set, in FieldsV1 form, minus identity metadata', () => {
    const r = applyConfiguration(undefined, cm({ a: '1' }, { app: 'web' }), opts('kubectl'));
    expect(r.changed).toBe(true);
    expect(r.object['data']).toEqual({ a: '1' });
    expect(r.object.metadata['managedFields']).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: NOW,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
      },
    ]);
  });

  it('re-applying the same configuration changes nothing (no write, same timestamp)', () => {
    const first = stored(applyConfiguration(undefined, cm({ a: '1' }), opts('kubectl')).object);
    const again = applyConfiguration(first, cm({ a: '1' }), opts('kubectl', { now: LATER }));
    expect(again.changed).toBe(false);
    expect((again.object.metadata['managedFields'] as Array<{ time: string }>)[0]!.time).toBe(NOW);
  });

  it('a field dropped from the configuration leaves the object; one someone else also owns stays', () => {
    let live = stored(applyConfiguration(undefined, cm({ a: '1', b: '2', c: '3' }), opts('a')).object);
    // b co-applies c with the same value: no conflict, shared ownership.
    live = stored(applyConfiguration(live, cm({ c: '3' }), opts('b')).object);
    const r = applyConfiguration(live, cm({ a: '1' }), opts('a', { now: LATER }));
    expect(r.object['data']).toEqual({ a: '1', c: '3' });
    // Entries in kube's order: by operation, then time (a's entry is newer now).
    expect(managers(r.object)).toEqual([
      { manager: 'b', operation: 'Apply', fieldsV1: { 'f:data': { 'f:c': {} } } },
      { manager: 'a', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {} } } },
    ]);
  });

  it('a changed value another manager owns is a conflict worded like kube; force moves the field', () => {
    const live = stored(applyConfiguration(undefined, cm({ a: '1', b: '1' }), opts('a')).object);
    const e = conflictOf(() => applyConfiguration(live, cm({ a: '2' }), opts('b')));
    expect(e.message).toBe('Apply failed with 1 conflict: conflict with "a": .data.a');
    expect(e.causes()).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.data.a' }]);

    const two = conflictOf(() => applyConfiguration(live, cm({ a: '2', b: '2' }), opts('b')));
    expect(two.message).toBe('Apply failed with 2 conflicts: conflicts with "a":\n- .data.a\n- .data.b');

    const forced = applyConfiguration(live, cm({ a: '2' }), opts('b', { force: true }));
    expect(forced.object['data']).toEqual({ a: '2', b: '1' });
    expect(managers(forced.object)).toEqual([
      { manager: 'a', operation: 'Apply', fieldsV1: { 'f:data': { 'f:b': {} } } },
      { manager: 'b', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {} } } },
    ]);
  });

  it('an object that never had managedFields is owned by before-first-apply', () => {
    const live: Obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default', uid: 'u', resourceVersion: '5' }, data: { a: '1' } };
    const e = conflictOf(() => applyConfiguration(live, cm({ a: '2' }), opts('kubectl')));
    expect(e.message).toBe(`Apply failed with 1 conflict: conflict with "${BEFORE_FIRST_APPLY}" using v1: .data.a`);
    // The same value co-owns without a conflict.
    const same = applyConfiguration(live, cm({ a: '1' }), opts('kubectl'));
    expect(managers(same.object).map((m) => m.manager)).toEqual(['kubectl', BEFORE_FIRST_APPLY]);
  });

  it('associative lists merge by key and the items are named k:{...}; other lists are atomic', () => {
    const dep = (containers: unknown[]): JsonObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { spec: { containers } } },
    });
    const o = { ...opts('a'), root: schemaFor(DEPLOY), apiVersion: 'apps/v1' };
    let live = stored(applyConfiguration(undefined, dep([{ name: 'main', image: 'nginx:1', args: ['x', 'y'] }]), o).object);
    // Another manager adds a sidecar: the list merges, a's container is untouched.
    live = stored(applyConfiguration(live, dep([{ name: 'side', image: 'envoy' }]), { ...o, manager: 'b' }).object);
    const containers = ((live['spec'] as JsonObject)['template'] as { spec: { containers: Array<{ name: string; args?: string[] }> } }).spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['main', 'side']);
    const aSet = fromFieldsV1(managers(live).find((m) => m.manager === 'a')!.fieldsV1);
    const item = ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"main"}'].join(SEP);
    expect(aSet.has(item)).toBe(true);
    expect(aSet.has(`${item}${SEP}f:args`)).toBe(true);
    expect(pathText(`${item}${SEP}f:image`)).toBe('.spec.template.spec.containers[name="main"].image');

    // a drops its container: it goes; b's stays.
    const r = applyConfiguration(live, dep([]), { ...o, now: LATER });
    const after = ((r.object['spec'] as JsonObject)['template'] as { spec: { containers: Array<{ name: string }> } }).spec.containers;
    expect(after.map((c) => c.name)).toEqual(['side']);
  });

  it('set lists (finalizers) merge by value, are owned item by item as v:, and lose only the applier\'s items', () => {
    const withFinalizers = (f: string[]): JsonObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default', finalizers: f } });
    let live = stored(applyConfiguration(undefined, withFinalizers(['a.example/x']), opts('one')).object);
    live = stored(applyConfiguration(live, withFinalizers(['b.example/y']), opts('two')).object);
    expect(live.metadata['finalizers']).toEqual(['a.example/x', 'b.example/y']);
    expect(managers(live)[1]!.fieldsV1).toEqual({ 'f:metadata': { 'f:finalizers': { 'v:"b.example/y"': {} } } });
    const r = applyConfiguration(live, withFinalizers([]), opts('one', { now: LATER }));
    expect(r.object.metadata['finalizers']).toEqual(['b.example/y']);
  });

  it('an apply to the status subresource merges and owns only .status', () => {
    const svcRt = reg.lookup('', 'v1', 'services')!;
    const o = { ...opts('lb'), root: schemaFor(svcRt), statusSubresource: true, subresource: 'status' };
    const live: Obj = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default', managedFields: [] }, spec: { ports: [{ port: 80 }] } };
    const r = applyConfiguration(live, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 1 }] }, status: { loadBalancer: {} } }, o);
    expect(r.object['spec']).toEqual({ ports: [{ port: 80 }] });
    expect(r.object['status']).toEqual({ loadBalancer: {} });
    const mine = (r.object.metadata['managedFields'] as Array<{ manager: string; subresource?: string; fieldsV1: unknown }>).find((e) => e.manager === 'lb');
    expect(mine).toMatchObject({ subresource: 'status', fieldsV1: { 'f:status': { 'f:loadBalancer': {} } } });
  });

  it('a keyed item without its key is refused', () => {
    const bad: JsonObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ image: 'x' }] } } } };
    expect(() => applyConfiguration(undefined, bad, { ...opts('a'), root: schemaFor(DEPLOY) })).toThrow(ApplyInputError);
    expect(() => applyConfiguration(undefined, bad, { ...opts('a'), root: schemaFor(DEPLOY) })).toThrow(/omits key field "name"/);
  });
});

describe('FieldsV1', () => {
  it('round-trips, marking members that have children with "."', () => {
    const v1 = { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:list': { 'k:{"name":"x"}': { '.': {}, 'f:name': {} }, 'v:"s"': {} } } };
    expect(toFieldsV1(fromFieldsV1(v1))).toEqual(v1);
  });
});

describe('trackUpdate (non-apply writes to objects with managedFields)', () => {
  const ctx = (manager: string | undefined) => ({ root: schemaFor(CM), apiVersion: 'v1', now: LATER, manager, subresource: undefined, dropStatus: false });

  it('gives the writer an Update entry for what it changed and takes those fields from the applier', () => {
    const live = stored(applyConfiguration(undefined, cm({ a: '1', b: '1' }), opts('kubectl')).object);
    const next = stored(live);
    (next['data'] as JsonObject)['a'] = '2';
    (next.metadata as JsonObject)['labels'] = { x: 'y' };
    trackUpdate(live, next, ctx('kubectl-edit'));
    expect(managers(next)).toEqual([
      { manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': { 'f:b': {} } } },
      { manager: 'kubectl-edit', operation: 'Update', fieldsV1: { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } } } },
    ]);
  });

  it('keeps the stored entries when the body has none, clears them on [{}], records nothing for in-process writes', () => {
    const live = stored(applyConfiguration(undefined, cm({ a: '1' }), opts('kubectl')).object);
    const put = stored(live);
    delete put.metadata['managedFields'];
    trackUpdate(live, put, ctx(undefined));
    expect(put.metadata['managedFields']).toEqual(live.metadata['managedFields']);

    const reset = stored(live);
    reset.metadata['managedFields'] = [{}];
    trackUpdate(live, reset, ctx('x'));
    expect(reset.metadata['managedFields']).toBeUndefined();
  });

  it('names a writer without fieldManager after its user agent program', () => {
    expect(managerFromUserAgent('kubectl/v1.32.0 (linux/amd64) kubernetes/abc')).toBe('kubectl');
    expect(managerFromUserAgent('node-fetch')).toBe('node-fetch');
  });
});
