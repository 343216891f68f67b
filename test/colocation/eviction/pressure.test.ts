// When a node counts as under load pressure (pure): sustained, not a spike; never on stale data;
// memory before cpu; and the eviction order's tie-breaks.
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLOCATION_SETTINGS, type EffectiveColocation } from '../../../api/index.js';
import { detectPressure, evictionOrder, type EvictionPod } from '../../../colocation/eviction/index.js';
import type { NodeLoadSample } from '../../../colocation/load/index.js';

const NOW = 1_000_000;
const GI = 2 ** 30;
const ALLOC = { cpu: 10_000, memory: 100 * GI };
// Eviction at cpu 80 % = 8000m, memory 90 % = 90Gi.
const SETTINGS: EffectiveColocation = { ...structuredClone(DEFAULT_COLOCATION_SETTINGS), pool: null };

function series(cpus: number[], stepMs: number, memory = 10 * GI): NodeLoadSample[] {
  return cpus.map((cpu, i) => ({ node: 'n', sampledAt: NOW - (cpus.length - 1 - i) * stepMs, cpu, memory, source: 'metrics-api' as const }));
}

describe('detectPressure', () => {
  it('fires when usage stayed above the threshold since the sample that stood at the start of the span', () => {
    const p = detectPressure(series([7000, 8500, 8600, 9000], 15_000), ALLOC, SETTINGS, 30_000, NOW);
    expect(p).toEqual({ resource: 'cpu', usage: 9000, threshold: 8000, excess: 1000, percent: 80 });
  });

  it('does not fire on a spike, without enough history, or on stale data', () => {
    expect(detectPressure(series([8500, 7000, 8600, 9000], 15_000), ALLOC, SETTINGS, 30_000, NOW)).toBeUndefined();
    expect(detectPressure(series([9000, 9000], 10_000), ALLOC, SETTINGS, 30_000, NOW)).toBeUndefined();
    expect(detectPressure(series([9000, 9000, 9000], 15_000), ALLOC, SETTINGS, 30_000, NOW + 121_000)).toBeUndefined();
  });

  it('looks at memory first: running out of it kills pods, cpu only slows them', () => {
    const p = detectPressure(series([9000, 9000, 9000], 15_000, 95 * GI), ALLOC, SETTINGS, 30_000, NOW);
    expect(p).toMatchObject({ resource: 'memory', excess: 95 * GI - Math.floor(90 * GI) });
  });
});

describe('evictionOrder', () => {
  const pod = (name: string, over: Partial<EvictionPod>): EvictionPod => ({
    namespace: 'ns', name, uid: name, node: 'n', phase: 'Running', terminating: false, qos: 'offline', priority: 0, workload: 'batch', startedAt: 0, release: { cpu: 0, memory: 0 }, ...over,
  });
  it('takes lower priority before cheaper workloads, and the youngest of equals first', () => {
    const order = evictionOrder([
      pod('tm', { workload: 'flink-taskmanager' }),
      pod('old-exec', { workload: 'spark-executor', startedAt: 100 }),
      pod('young-exec', { workload: 'spark-executor', startedAt: 200 }),
      pod('rss-exec', { workload: 'spark-executor-shuffle-service' }),
      pod('low-tm', { workload: 'flink-taskmanager', priority: -5 }),
      pod('batch', { workload: 'batch' }),
    ]).map((p) => p.name);
    expect(order).toEqual(['low-tm', 'rss-exec', 'young-exec', 'old-exec', 'batch', 'tm']);
  });
});
