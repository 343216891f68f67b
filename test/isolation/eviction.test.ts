import { describe, expect, it } from 'vitest';
import { decideEvictions } from '../../isolation/eviction.js';
import type { PodInfo } from '../../isolation/pods.js';

function pod(name: string, priority: number, createdAtMs = 0): PodInfo {
  return {
    uid: name,
    namespace: 'ns',
    name,
    phase: 'Running',
    qosClass: 'BestEffort',
    tidepoolQos: 'offline',
    priority,
    requests: { cpuMilli: 0, memoryBytes: 0, batchCpuMilli: 0, batchMemoryBytes: 0 },
    limits: { cpuMilli: null, memoryBytes: null, batchCpuMilli: null, batchMemoryBytes: null },
    containers: [],
    createdAtMs,
  };
}

const base = { memoryTotalBytes: 100, thresholdPercent: 90, lowerPercent: 80, recent: new Map<string, number>(), nowMs: 0, cooldownMs: 1000, maxPerCycle: 5 };

describe('offline eviction decision', () => {
  it('does nothing below the threshold', () => {
    expect(decideEvictions({ ...base, memoryUsedBytes: 89, offline: [{ pod: pod('a', 0), memoryBytes: 10 }] }).victims).toEqual([]);
  });

  it('takes the lowest priority first, then the largest, then the newest, until under the lower mark', () => {
    const d = decideEvictions({
      ...base,
      memoryUsedBytes: 95,
      offline: [
        { pod: pod('hi', 100), memoryBytes: 50 },
        { pod: pod('small', 1), memoryBytes: 5 },
        { pod: pod('big', 1), memoryBytes: 8 },
        { pod: pod('newer', 1, 1), memoryBytes: 5 },
      ],
    });
    // priority 1 first; among them the largest (big), then the newest (newer): 95 − 8 − 5 = 82 > 80 → small too
    expect(d.victims.map((v) => v.pod.name)).toEqual(['big', 'newer', 'small']);
    expect(d.reason).toBe('node memory use 95.0% is above the 90% eviction threshold for offline pods');
  });

  it('respects the cool-down and counts pods already asked to leave', () => {
    const d = decideEvictions({
      ...base,
      memoryUsedBytes: 95,
      recent: new Map([['a', 0]]),
      nowMs: 500,
      offline: [
        { pod: pod('a', 0), memoryBytes: 20 },
        { pod: pod('b', 0), memoryBytes: 20 },
      ],
    });
    expect(d.victims).toEqual([]); // a is leaving: 95 − 20 = 75 < 80
  });

  it('caps evictions per cycle', () => {
    const offline = Array.from({ length: 10 }, (_, i) => ({ pod: pod(`p${i}`, 0), memoryBytes: 1 }));
    expect(decideEvictions({ ...base, memoryUsedBytes: 99, maxPerCycle: 2, offline }).victims).toHaveLength(2);
  });
});
