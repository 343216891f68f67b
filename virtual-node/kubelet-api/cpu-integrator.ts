/**
 * Cumulative CPU time from CPU rates. A member cluster's metrics.k8s.io gives each container's
 * usage *rate* (cores over its window); the kubelet's Summary API and /metrics/resource give
 * *cumulative* core-seconds, from which metrics-server computes a rate between two scrapes.
 * So each series is integrated here: at every observation the time since the last one is
 * charged at the rate just read. The first observation of a series charges the time since it
 * started at that rate (the best estimate there is), so the counter is plausible from the
 * first scrape and never goes backwards afterwards.
 */

interface Series {
  /** Core-nanoseconds so far. */
  total: number;
  /** When the series was last observed (epoch ms). */
  at: number;
}

export class CpuIntegrator {
  private readonly series = new Map<string, Series>();

  /** @param forgetAfterMs A series not observed for this long is dropped (its pod is gone). */
  constructor(private readonly forgetAfterMs = 10 * 60 * 1000) {}

  /**
   * The cumulative core-nanoseconds of series `key` at `nowMs`, given its current rate in
   * nanocores and when it started (epoch ms).
   */
  observe(key: string, nanoCores: number, nowMs: number, startedAtMs: number): number {
    const rate = Math.max(0, nanoCores);
    const s = this.series.get(key);
    if (!s) {
      const total = (rate * Math.max(0, nowMs - startedAtMs)) / 1000;
      this.series.set(key, { total, at: nowMs });
      return Math.round(total);
    }
    // A clock that steps back charges nothing rather than un-charging.
    if (nowMs > s.at) {
      s.total += (rate * (nowMs - s.at)) / 1000;
      s.at = nowMs;
    }
    return Math.round(s.total);
  }

  /** Drops series not observed since `nowMs - forgetAfterMs`. */
  prune(nowMs: number): void {
    for (const [key, s] of this.series) if (nowMs - s.at > this.forgetAfterMs) this.series.delete(key);
  }

  get size(): number {
    return this.series.size;
  }
}
