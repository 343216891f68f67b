import { describe, expect, it } from 'vitest';
import { DEFAULT_COLOCATION_SETTINGS, MIN_EVICTION_GAP_PERCENT, colocationFor, validateColocationPolicy } from '../../api/index.js';

const policy = (spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'tidepool.dev/v1alpha1',
  kind: 'ColocationPolicy',
  metadata: { name: 'default' },
  spec,
  ...extra,
});

describe('validateColocationPolicy', () => {
  it('fills every default into an empty spec', () => {
    const r = validateColocationPolicy(policy({}));
    expect(r.errors).toBeUndefined();
    expect(r.policy).toEqual({ name: 'default', spec: { ...DEFAULT_COLOCATION_SETTINGS, nodePools: [] } });
  });

  it('keeps the defaults apart: eviction sits at least the required gap above the offline load threshold', () => {
    const t = DEFAULT_COLOCATION_SETTINGS.thresholds;
    for (const res of ['cpu', 'memory'] as const) {
      expect(t.evictionPercent[res] - t.offlineLoadPercent[res]).toBeGreaterThanOrEqual(MIN_EVICTION_GAP_PERCENT);
    }
  });

  it('takes a full policy with node pools, per-resource thresholds merged onto the defaults', () => {
    const r = validateColocationPolicy(
      policy({
        thresholds: { reclaimPercent: { cpu: 70 }, offlineLoadPercent: { cpu: 60, memory: 70 }, evictionPercent: { cpu: 75, memory: 85 } },
        usageWindowSeconds: 600,
        staleAfterSeconds: 60,
        nodePools: [{ name: 'gpu', nodeSelector: { pool: 'gpu' }, thresholds: { reclaimPercent: { memory: 40 } }, usageWindowSeconds: 120 }],
      }),
    );
    expect(r.errors).toBeUndefined();
    expect(r.policy!.spec).toEqual({
      thresholds: { reclaimPercent: { cpu: 70, memory: 65 }, offlineLoadPercent: { cpu: 60, memory: 70 }, evictionPercent: { cpu: 75, memory: 85 } },
      usageWindowSeconds: 600,
      staleAfterSeconds: 60,
      nodePools: [{ name: 'gpu', nodeSelector: { pool: 'gpu' }, thresholds: { reclaimPercent: { memory: 40 } }, usageWindowSeconds: 120 }],
    });
  });

  it('refuses an eviction threshold too close to the offline load threshold, saying why', () => {
    const r = validateColocationPolicy(policy({ thresholds: { offlineLoadPercent: { cpu: 70 }, evictionPercent: { cpu: 75 } } }));
    expect(r.policy).toBeUndefined();
    expect(r.errors).toEqual([
      `spec.thresholds.evictionPercent.cpu: must be at least ${MIN_EVICTION_GAP_PERCENT} above offlineLoadPercent.cpu (70), got 75: a pod placed just under the load threshold would be evicted at once`,
    ]);
  });

  it('checks a node pool as its nodes will see it: its overrides merged onto the policy', () => {
    // The pool only raises the load threshold; with the policy's eviction threshold the gap is gone.
    const r = validateColocationPolicy(policy({ nodePools: [{ name: 'hot', nodeSelector: { tier: 'hot' }, thresholds: { offlineLoadPercent: { memory: 85 } } }] }));
    expect(r.errors).toEqual([expect.stringMatching(/^spec\.nodePools\[0\]\.thresholds\.evictionPercent\.memory: must be at least 10 above offlineLoadPercent\.memory \(85\), got 90/)]);
  });

  it('names every bad field at once', () => {
    const r = validateColocationPolicy({
      apiVersion: 'tidepool.dev/v1',
      kind: 'ColocationPolicy',
      metadata: {},
      spec: {
        thresholds: { reclaimPercent: { cpu: 120, memory: '65' }, offline: {} },
        usageWindowSeconds: 0.5,
        staleAfterSeconds: '2m',
        nodePools: [{ name: 'a', nodeSelector: {} }, { name: 'a', nodeSelector: { x: 1 } }, 'pool'],
        windowSeconds: 5,
      },
    });
    expect(r.errors).toEqual([
      'apiVersion: must be tidepool.dev/v1alpha1, got "tidepool.dev/v1"',
      'metadata.name: required',
      'spec.windowSeconds: unknown field (known: thresholds, usageWindowSeconds, staleAfterSeconds, nodePools)',
      'spec.thresholds.offline: unknown field (known: reclaimPercent, offlineLoadPercent, evictionPercent)',
      'spec.thresholds.reclaimPercent.cpu: must be a percent between 0 and 100, got 120',
      'spec.thresholds.reclaimPercent.memory: must be a percent between 0 and 100, got "65"',
      'spec.usageWindowSeconds: must be a whole number of seconds between 1 and 86400, got 0.5',
      'spec.staleAfterSeconds: must be a whole number of seconds between 1 and 86400, got "2m"',
      'spec.nodePools[0].nodeSelector: must map node label keys to values, at least one (an empty selector would pick every node)',
      'spec.nodePools[1].name: "a" is used by an earlier pool',
      'spec.nodePools[1].nodeSelector: must map node label keys to values, at least one (an empty selector would pick every node)',
      'spec.nodePools[2]: must be an object with name and nodeSelector',
    ]);
  });

  it('refuses what is not a ColocationPolicy', () => {
    expect(validateColocationPolicy(null).errors).toEqual(['must be an object (a ColocationPolicy)']);
    expect(validateColocationPolicy(policy({}, { kind: 'MemberCluster' })).errors).toEqual(['kind: must be ColocationPolicy, got "MemberCluster"']);
    expect(validateColocationPolicy(policy([])).errors).toEqual(['spec: must be an object']);
  });
});

describe('colocationFor', () => {
  const { policy: p } = validateColocationPolicy(
    policy({
      thresholds: { reclaimPercent: { cpu: 60 } },
      nodePools: [
        { name: 'batch', nodeSelector: { pool: 'batch', zone: 'a' }, thresholds: { reclaimPercent: { cpu: 90 } }, staleAfterSeconds: 30 },
        { name: 'any-batch', nodeSelector: { pool: 'batch' }, usageWindowSeconds: 60 },
      ],
    }),
  );

  it("gives a node the first pool whose selector all matches, merged onto the policy's settings", () => {
    const e = colocationFor(p!.spec, { pool: 'batch', zone: 'a', other: 'x' });
    expect(e.pool).toBe('batch');
    expect(e.thresholds.reclaimPercent).toEqual({ cpu: 90, memory: 65 });
    expect(e.staleAfterSeconds).toBe(30);
    expect(e.usageWindowSeconds).toBe(DEFAULT_COLOCATION_SETTINGS.usageWindowSeconds);
    expect(colocationFor(p!.spec, { pool: 'batch', zone: 'b' })).toMatchObject({ pool: 'any-batch', usageWindowSeconds: 60, thresholds: { reclaimPercent: { cpu: 60 } } });
  });

  it("gives a node no pool matches the policy's own settings", () => {
    expect(colocationFor(p!.spec, { zone: 'a' })).toEqual({
      pool: null,
      thresholds: { ...DEFAULT_COLOCATION_SETTINGS.thresholds, reclaimPercent: { cpu: 60, memory: 65 } },
      usageWindowSeconds: DEFAULT_COLOCATION_SETTINGS.usageWindowSeconds,
      staleAfterSeconds: DEFAULT_COLOCATION_SETTINGS.staleAfterSeconds,
    });
  });
});
