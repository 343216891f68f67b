import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, makePolicy, PolicyValidationError, validatePolicy } from '../../isolation/policy.js';

describe('isolation policy validation', () => {
  it('accepts the defaults', () => {
    expect(validatePolicy({ ...DEFAULT_POLICY })).toEqual([]);
  });

  it('names the flag and the bad value', () => {
    expect(() => makePolicy({ offlineL3Percent: 150 })).toThrow('--offline-l3-percent must be an integer between 1 and 100, got 150');
    expect(() => makePolicy({ reclaimThresholdPercent: -1 })).toThrow('--reclaim-threshold-percent must be an integer between 0 and 100, got -1');
    expect(() => makePolicy({ offlineOomScoreAdj: 2000 })).toThrow('--offline-oom-score-adj');
    expect(() => makePolicy({ evictMemoryThresholdPercent: 80, evictMemoryLowerPercent: 85 })).toThrow(
      '--evict-memory-lower-percent (85) must be below --evict-memory-threshold-percent (80)',
    );
  });

  it('reports every problem at once', () => {
    try {
      makePolicy({ offlineL3Percent: 0, offlineMbPercent: 101, usageWindow: 1.5 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyValidationError);
      expect((err as PolicyValidationError).errors.map((e) => e.flag)).toEqual(['--usage-window', '--offline-l3-percent', '--offline-mb-percent']);
    }
  });
});
