import { describe, it, expect } from 'vitest';
import { applyPatch, PatchError } from '../../../sim/patch/index.js';

const MERGE = 'application/merge-patch+json';
const POD = { group: '', kind: 'Pod' };

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests index deep into patched JSON

const pod = (): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, annotations: { note: 'x' } },
  spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] },
});

describe('JSON merge patch (kubectl label / annotate)', () => {
  it('kubectl label sets and removes labels (null removes)', () => {
    const original = pod();
    const out = applyPatch(MERGE, original, { metadata: { labels: { env: 'prod', tier: null } } }, POD) as Obj;
    expect(out.metadata.labels).toEqual({ app: 'web', env: 'prod' });
    expect(original.metadata.labels).toEqual({ app: 'web', tier: 'front' });
  });

  it('kubectl annotate adds labels to an object that had none', () => {
    const original = pod();
    delete original.metadata.annotations;
    const out = applyPatch(MERGE, original, { metadata: { annotations: { 'example.com/owner': 'team-a' } } }, POD) as Obj;
    expect(out.metadata.annotations).toEqual({ 'example.com/owner': 'team-a' });
  });

  it('replaces lists whole, even containers', () => {
    const out = applyPatch(MERGE, pod(), { spec: { containers: [{ name: 'b', image: 'b:2' }] } }, POD) as Obj;
    expect(out.spec.containers).toEqual([{ name: 'b', image: 'b:2' }]);
  });

  it('works on custom resources', () => {
    const cr = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1, color: 'red' } };
    const out = applyPatch(MERGE, cr, { spec: { size: 2, color: null } }, { group: 'example.com', kind: 'Widget', custom: true }) as Obj;
    expect(out.spec).toEqual({ size: 2 });
  });

  it('accepts a raw JSON body with a charset parameter', () => {
    const out = applyPatch(`${MERGE}; charset=utf-8`, pod(), '{"metadata":{"labels":{"app":"api"}}}', POD) as Obj;
    expect(out.metadata.labels.app).toBe('api');
  });

  it('rejects bodies that are not objects or not JSON', () => {
    expect(() => applyPatch(MERGE, pod(), [1, 2], POD)).toThrow(PatchError);
    expect(() => applyPatch(MERGE, pod(), '{not json', POD)).toThrow(/not valid JSON/);
  });

  it('answers 415 for a content type no resource accepts', () => {
    try {
      applyPatch('application/apply-patch+yaml', pod(), {}, POD);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PatchError);
      expect((e as PatchError).reason).toBe('UnsupportedMediaType');
      expect((e as PatchError).message).toMatch(/application\/strategic-merge-patch\+json$/);
    }
  });
});
