/**
 * Is a node under load pressure that offline pods must make room for? Yes when its measured
 * usage of a resource stayed above the policy's eviction threshold (allocatable ×
 * evictionPercent) for the last `sustainMs`: in the sample that stood at the start of that span
 * and in every sample since. One spike evicts nothing, and sources that sample rarely
 * (metrics-server every 15 s) still count. Stale data decides nothing either way.
 */
import type { EffectiveColocation } from '../../api/index.js';
import type { NodeLoadSample } from '../load/index.js';

export type PressureResource = 'cpu' | 'memory';

export interface Pressure {
  resource: PressureResource;
  /** Latest usage and the threshold, in millicores or bytes. */
  usage: number;
  threshold: number;
  /** usage − threshold: what evictions should give back. */
  excess: number;
  percent: number;
}

/** `samples`: oldest first, reaching back further than `sustainMs` (e.g. sustain + the staleness bound). */
export function detectPressure(
  samples: readonly NodeLoadSample[],
  allocatable: { cpu: number; memory: number },
  settings: EffectiveColocation,
  sustainMs: number,
  now: number,
): Pressure | undefined {
  const latest = samples[samples.length - 1];
  if (!latest || now - latest.sampledAt > settings.staleAfterSeconds * 1000) return undefined;
  // The samples since the last one taken at or before the start of the span; none such: too little history.
  let start = -1;
  for (let i = samples.length - 1; i >= 0; i--) {
    if (samples[i]!.sampledAt <= now - sustainMs) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;
  const recent = samples.slice(start);
  // Memory first: running out of it kills pods at random (the OOM killer), CPU only slows them.
  for (const resource of ['memory', 'cpu'] as const) {
    const percent = settings.thresholds.evictionPercent[resource];
    const threshold = Math.floor((allocatable[resource] * percent) / 100);
    if (allocatable[resource] <= 0) continue;
    if (recent.every((s) => s[resource] > threshold)) {
      return { resource, usage: latest[resource], threshold, excess: latest[resource] - threshold, percent };
    }
  }
  return undefined;
}
