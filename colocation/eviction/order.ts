/**
 * The order offline pods are evicted in, as a list of comparisons (first that tells two pods
 * apart decides; a new criterion is one more entry):
 *
 * 1. lowest priority first;
 * 2. cheapest to lose first: a Spark executor whose shuffle files live in a shuffle service
 *    (nothing to recompute), then one whose shuffle dies with it (its stage outputs are
 *    recomputed), then other batch work, and last a Flink taskmanager (the whole job restarts
 *    from its last checkpoint);
 * 3. youngest first: it has done the least work that is lost;
 * 4. by namespace/name, so the order is stable.
 */
import type { EvictionPod, OfflineWorkload } from './pod-projection.js';

export interface EvictionOrder {
  name: string;
  compare(a: EvictionPod, b: EvictionPod): number;
}

const COST: Record<OfflineWorkload, number> = {
  'spark-executor-shuffle-service': 0,
  'spark-executor': 1,
  batch: 2,
  'flink-taskmanager': 3,
};

export const EVICTION_ORDER: readonly EvictionOrder[] = [
  { name: 'lowest-priority', compare: (a, b) => a.priority - b.priority },
  { name: 'cheapest-to-lose', compare: (a, b) => COST[a.workload] - COST[b.workload] },
  { name: 'youngest', compare: (a, b) => b.startedAt - a.startedAt },
  { name: 'name', compare: (a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`) },
];

/** The pods in eviction order (a new array). */
export function evictionOrder(pods: readonly EvictionPod[], order: readonly EvictionOrder[] = EVICTION_ORDER): EvictionPod[] {
  return [...pods].sort((a, b) => {
    for (const o of order) {
      const c = o.compare(a, b);
      if (c !== 0) return c;
    }
    return 0;
  });
}
