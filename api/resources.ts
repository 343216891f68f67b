/**
 * The batch extended resources: what offline pods request and what a node offers from capacity
 * that is reserved on paper but idle in fact. The names are the ones Koordinator publishes, so
 * pods written for Koordinator (and Volcano's colocation docs that follow it) work unchanged.
 */
import type { ResourceAmounts } from '../kube/resources.js';

/** Reclaimable CPU, in integer millicores ("4000" = 4 cores), never a "4"/"500m" quantity. */
export const BATCH_CPU = 'kubernetes.io/batch-cpu';
/** Reclaimable memory, in bytes (any byte quantity: "8Gi", "8589934592"). */
export const BATCH_MEMORY = 'kubernetes.io/batch-memory';
export const BATCH_RESOURCES: readonly string[] = [BATCH_CPU, BATCH_MEMORY];

/** The batch resource an offline pod's cpu and memory become (the webhook moves them; a gang's hold follows). */
export const BATCH_EQUIVALENTS: ReadonlyArray<readonly ['cpu' | 'memory', string]> = [
  ['cpu', BATCH_CPU],
  ['memory', BATCH_MEMORY],
];

/**
 * On a Node: JSON of how its batch capacity was computed (allocatable, threshold, online usage,
 * system usage, result, data age), so `kubectl describe node` explains the figure.
 */
export const BATCH_BREAKDOWN_ANNOTATION = 'tidepool.dev/batch-breakdown';

/** True when the amounts ask for any batch resource: the pod runs on reclaimed capacity. */
export function requestsBatchResources(requests: Readonly<ResourceAmounts>): boolean {
  return (requests[BATCH_CPU] ?? 0) > 0 || (requests[BATCH_MEMORY] ?? 0) > 0;
}
