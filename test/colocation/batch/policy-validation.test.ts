// What a ColocationPolicy may say (api's validateColocationPolicy, which the controller applies
// to every object): a table of specs and the error each gets, and how pools override.
import { describe, expect, it } from 'vitest';
import { colocationFor, validateColocationPolicy } from '../../../api/index.js';
import { desiredPolicyStatus, type PolicyState } from '../../../colocation/batch/index.js';

const policy = (spec: unknown): unknown => ({ apiVersion: 'tidepool.dev/v1alpha1', kind: 'ColocationPolicy', metadata: { name: 'default' }, spec });

describe('ColocationPolicy validation', () => {
  const invalid: Array<[string, unknown, RegExp]> = [
    ['a percent above 100', { thresholds: { reclaimPercent: { cpu: 120 } } }, /spec\.thresholds\.reclaimPercent\.cpu: must be a percent between 0 and 100, got 120/],
    ['a negative percent', { thresholds: { reclaimPercent: { memory: -1 } } }, /reclaimPercent\.memory: must be a percent/],
    ['a percent as a string', { thresholds: { offlineLoadPercent: { cpu: '60' } } }, /offlineLoadPercent\.cpu: must be a percent between 0 and 100, got "60"/],
    ['eviction too close to the load threshold', { thresholds: { offlineLoadPercent: { cpu: 70 }, evictionPercent: { cpu: 75 } } }, /evictionPercent\.cpu: must be at least 10 above offlineLoadPercent\.cpu \(70\), got 75/],
    ['eviction below the load threshold', { thresholds: { evictionPercent: { memory: 50 } } }, /evictionPercent\.memory: must be at least 10 above offlineLoadPercent\.memory \(80\), got 50/],
    ['a zero window', { usageWindowSeconds: 0 }, /spec\.usageWindowSeconds: must be a whole number of seconds between 1 and 86400, got 0/],
    ['a fractional staleness bound', { staleAfterSeconds: 1.5 }, /spec\.staleAfterSeconds: must be a whole number/],
    ['an unknown field', { reclaim: 65 }, /spec\.reclaim: unknown field/],
    ['a pool without a selector', { nodePools: [{ name: 'gpu' }] }, /spec\.nodePools\[0\]\.nodeSelector: must map node label keys to values/],
    ['two pools with one name', { nodePools: [{ name: 'a', nodeSelector: { x: '1' } }, { name: 'a', nodeSelector: { x: '2' } }] }, /spec\.nodePools\[1\]\.name: "a" is used by an earlier pool/],
    ['a pool whose merged thresholds lose the gap', { nodePools: [{ name: 'a', nodeSelector: { x: '1' }, thresholds: { offlineLoadPercent: { cpu: 75 } } }] }, /spec\.nodePools\[0\]\.thresholds\.evictionPercent\.cpu: must be at least 10 above offlineLoadPercent\.cpu \(75\), got 80/],
  ];
  it.each(invalid)('refuses %s', (_name, spec, error) => {
    const r = validateColocationPolicy(policy(spec));
    expect(r.policy).toBeUndefined();
    expect(r.errors!.join('\n')).toMatch(error);
  });

  it('reports every problem at once', () => {
    const r = validateColocationPolicy(policy({ usageWindowSeconds: -5, thresholds: { reclaimPercent: { cpu: 101 } }, extra: true }));
    expect(r.errors).toHaveLength(3);
  });

  it('fills defaults and lets the first matching pool override per node', () => {
    const r = validateColocationPolicy(
      policy({
        thresholds: { reclaimPercent: { cpu: 60 } },
        nodePools: [
          { name: 'gpu', nodeSelector: { pool: 'gpu' }, thresholds: { reclaimPercent: { cpu: 30 } }, staleAfterSeconds: 30 },
          { name: 'any-big', nodeSelector: { size: 'big' }, usageWindowSeconds: 600 },
        ],
      }),
    );
    const spec = r.policy!.spec;
    expect(colocationFor(spec, { pool: 'cpu' })).toMatchObject({ pool: null, thresholds: { reclaimPercent: { cpu: 60, memory: 65 } }, usageWindowSeconds: 300, staleAfterSeconds: 120 });
    expect(colocationFor(spec, { pool: 'gpu', size: 'big' })).toMatchObject({ pool: 'gpu', thresholds: { reclaimPercent: { cpu: 30, memory: 65 } }, staleAfterSeconds: 30, usageWindowSeconds: 300 });
    expect(colocationFor(spec, { size: 'big' })).toMatchObject({ pool: 'any-big', usageWindowSeconds: 600 });
  });
});

describe('ColocationPolicy status', () => {
  const good = validateColocationPolicy(policy({})).policy!;
  const state = (over: Partial<PolicyState>): PolicyState => ({ name: 'default', generation: 4, errors: [], lastGood: good, lastGoodGeneration: 4, observedStatus: undefined, ...over });

  it('keeps a condition\'s transition time while its status holds, and moves it when the status flips', () => {
    const observed = { conditions: [{ type: 'Valid', status: 'True', reason: 'Valid', message: 'spec accepted', lastTransitionTime: '2025-01-01T00:00:00Z' }] };
    const same = desiredPolicyStatus(state({ observedStatus: observed }), 'default', '2026-01-01T00:00:00Z');
    expect(same.conditions.find((c) => c.type === 'Valid')!.lastTransitionTime).toBe('2025-01-01T00:00:00Z');
    const flipped = desiredPolicyStatus(state({ observedStatus: observed, generation: 5, errors: ['spec.x: unknown field'] }), 'default', '2026-01-01T00:00:00Z');
    expect(flipped.conditions).toEqual([
      { type: 'Valid', status: 'False', reason: 'InvalidSpec', message: 'spec.x: unknown field', lastTransitionTime: '2026-01-01T00:00:00Z' },
      { type: 'Active', status: 'True', reason: 'LastValidInEffect', message: 'generation 5 is invalid; generation 4 stays in effect', lastTransitionTime: '2026-01-01T00:00:00Z' },
    ]);
    expect(flipped.inEffect).toMatchObject({ generation: 4 });
  });

  it('says the defaults are in effect when the selected policy was never valid', () => {
    const s = desiredPolicyStatus(state({ errors: ['bad'], lastGood: undefined, lastGoodGeneration: undefined }), 'default', '2026-01-01T00:00:00Z');
    expect(s.conditions[1]).toMatchObject({ type: 'Active', status: 'False', reason: 'NeverValid' });
    expect(s.inEffect).toBeNull();
  });
});
