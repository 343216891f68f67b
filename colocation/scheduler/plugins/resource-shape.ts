/**
 * The pair of resources a pod's placement is judged on: batch-cpu / batch-memory for a pod on
 * reclaimed capacity, cpu / memory otherwise.
 */
import { BATCH_CPU, BATCH_MEMORY, requestsBatchResources } from '../../../api/index.js';
import type { NodeInfo } from '../node-info.js';
import type { SchedPod } from '../types.js';

const BATCH_PAIR = [BATCH_CPU, BATCH_MEMORY] as const;
const PLAIN_PAIR = ['cpu', 'memory'] as const;

export function resourcePair(pod: SchedPod): readonly [string, string] {
  return requestsBatchResources(pod.requests) ? BATCH_PAIR : PLAIN_PAIR;
}

/** (requested + pod's request) / allocatable for `resource`, capped at 1; undefined when the node has none. */
export function usedFraction(info: NodeInfo, pod: SchedPod, resource: string): number | undefined {
  const alloc = info.node?.allocatable[resource] ?? 0;
  if (alloc <= 0) return undefined;
  return Math.min(1, ((info.requested[resource] ?? 0) + (pod.requests[resource] ?? 0)) / alloc);
}
