// Offline eviction under node memory pressure: when memory use passes the
// threshold, evict offline pods lowest priority first (then the largest, then
// the newest) until the projected use is back under the lower mark.
import type { PodInfo } from './pods.js';

export type EvictionOutcome = 'evicted' | 'blocked' | 'gone' | 'failed';

export interface EvictionResult {
  outcome: EvictionOutcome;
  message?: string;
}

/** How a pod is evicted; the Kubernetes implementation posts to pods/eviction. */
export interface Evictor {
  evict(pod: PodInfo, reason: string): Promise<EvictionResult>;
}

export interface EvictionInput {
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  thresholdPercent: number;
  lowerPercent: number;
  /** Offline pods with their working set. */
  offline: readonly { pod: PodInfo; memoryBytes: number }[];
  /** uid -> time of the last eviction request (cool-down). */
  recent: ReadonlyMap<string, number>;
  nowMs: number;
  cooldownMs: number;
  maxPerCycle: number;
}

export interface EvictionDecision {
  victims: { pod: PodInfo; memoryBytes: number }[];
  reason: string;
}

export function decideEvictions(i: EvictionInput): EvictionDecision {
  if (i.memoryTotalBytes <= 0) return { victims: [], reason: '' };
  const usedPct = (i.memoryUsedBytes / i.memoryTotalBytes) * 100;
  if (usedPct < i.thresholdPercent) return { victims: [], reason: '' };
  const target = (i.memoryTotalBytes * i.lowerPercent) / 100;
  const reason = `node memory use ${usedPct.toFixed(1)}% is above the ${i.thresholdPercent}% eviction threshold for offline pods`;
  const candidates = i.offline
    .filter((o) => {
      const last = i.recent.get(o.pod.uid);
      return last === undefined || i.nowMs - last >= i.cooldownMs;
    })
    .sort((a, b) => a.pod.priority - b.pod.priority || b.memoryBytes - a.memoryBytes || b.pod.createdAtMs - a.pod.createdAtMs || a.pod.uid.localeCompare(b.pod.uid));
  // Pods asked to leave recently still count as leaving.
  let projected = i.memoryUsedBytes - i.offline.filter((o) => i.recent.has(o.pod.uid) && i.nowMs - i.recent.get(o.pod.uid)! < i.cooldownMs).reduce((s, o) => s + o.memoryBytes, 0);
  const victims: EvictionDecision['victims'] = [];
  for (const c of candidates) {
    if (projected <= target || victims.length >= i.maxPerCycle) break;
    victims.push(c);
    projected -= c.memoryBytes;
  }
  return { victims, reason };
}
