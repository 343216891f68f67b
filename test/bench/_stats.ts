// Statistics the bench suites share. (The leading underscore keeps test/bench/run.ts from taking it for a suite.)

/**
 * The p-th percentile of an ascending array by nearest rank, rounding down (p50 of [1, 2] is 2,
 * p99 of 100 samples is the largest). `empty` is what a suite reports when there are no samples.
 */
export function percentile(sorted: ArrayLike<number>, p: number, empty = 0): number {
  if (sorted.length === 0) return empty;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}
