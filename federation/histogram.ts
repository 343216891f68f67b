/**
 * Free-slot histogram bounds. Buckets double in size so that "how many nodes could take an
 * 8-core executor" reads straight off the histogram: every node in a bucket whose lower bound is
 * ≥ 8 cores can.
 */
const GI = 1024 ** 3;

/** Lower bounds (inclusive) of the CPU buckets, millicores. */
export const CPU_BOUNDS: readonly number[] = [0, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000];
/** Lower bounds (inclusive) of the memory buckets, bytes. */
export const MEMORY_BOUNDS: readonly number[] = [0, GI, 2 * GI, 4 * GI, 8 * GI, 16 * GI, 32 * GI, 64 * GI, 128 * GI];

/** Index of the bucket holding `value` (a binary search would not pay for 9 bounds). */
export function bucketOf(bounds: readonly number[], value: number): number {
  let i = bounds.length - 1;
  while (i > 0 && value < bounds[i]!) i--;
  return i;
}
