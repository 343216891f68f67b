import { describe, it, expect } from 'vitest';
import { applyPatch, PatchError } from '../../../sim/patch/index.js';

const JSON_PATCH = 'application/json-patch+json';
const POD = { group: '', kind: 'Pod' };

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests index deep into patched JSON

const pod = (): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web', tier: 'front' } },
  spec: { containers: [{ name: 'a', image: 'a:1' }] },
});

function patchError(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error('expected a PatchError');
}

describe('JSON patch (RFC 6902)', () => {
  it('adds, replaces, tests and removes with ~1-escaped label keys', () => {
    const original = pod();
    const out = applyPatch(
      JSON_PATCH,
      original,
      [
        { op: 'test', path: '/metadata/labels/app.kubernetes.io~1name', value: 'web' },
        { op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'api' },
        { op: 'add', path: '/metadata/labels/tidepool.dev~1qos', value: 'offline' },
        { op: 'remove', path: '/metadata/labels/tier' },
        { op: 'add', path: '/spec/containers/-', value: { name: 'b', image: 'b:1' } },
        { op: 'replace', path: '/spec/containers/0/image', value: 'a:2' },
      ],
      POD,
    ) as Obj;
    expect(out.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'api', 'tidepool.dev/qos': 'offline' });
    expect(out.spec.containers).toEqual([{ name: 'a', image: 'a:2' }, { name: 'b', image: 'b:1' }]);
    expect(original).toEqual(pod());
  });

  it('reports a failed test as Invalid and applies nothing', () => {
    const original = pod();
    const err = patchError(() =>
      applyPatch(JSON_PATCH, original, [
        { op: 'replace', path: '/metadata/labels/tier', value: 'back' },
        { op: 'test', path: '/metadata/labels/tier', value: 'front' },
      ], POD),
    );
    expect(err.reason).toBe('Invalid');
    expect(err.code).toBe(422);
    expect(err.message).toMatch(/test failed: operation 1 \(test \/metadata\/labels\/tier\)/);
    expect(original.metadata.labels.tier).toBe('front');
  });

  it('reports a path that does not exist as Invalid, with an escaping hint', () => {
    const err = patchError(() => applyPatch(JSON_PATCH, pod(), [{ op: 'remove', path: '/metadata/labels/app.kubernetes.io/name' }], POD));
    expect(err.reason).toBe('Invalid');
    expect(err.message).toMatch(/does not exist.*~1/);
    const add = patchError(() => applyPatch(JSON_PATCH, pod(), [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }], POD));
    expect(add.reason).toBe('Invalid');
  });

  it('rejects malformed operation lists as BadRequest', () => {
    expect(patchError(() => applyPatch(JSON_PATCH, pod(), { op: 'add' }, POD)).reason).toBe('BadRequest');
    expect(patchError(() => applyPatch(JSON_PATCH, pod(), [{ op: 'frobnicate', path: '/a' }], POD)).message).toMatch(/unknown op "frobnicate"/);
    expect(patchError(() => applyPatch(JSON_PATCH, pod(), [{ op: 'add', path: '/a' }], POD)).message).toMatch(/has no "value"/);
  });

  it('works for custom resources', () => {
    const cr = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } };
    const out = applyPatch(JSON_PATCH, cr, [{ op: 'replace', path: '/spec/size', value: 3 }], { group: 'example.com', kind: 'Widget' }) as Obj;
    expect(out.spec.size).toBe(3);
  });
});
