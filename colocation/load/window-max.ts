/**
 * The maximum of a time-ordered series over a sliding window, in amortised O(1) per sample and
 * per query: a monotonic deque keeps only the values that can still be the maximum (each one
 * larger than every value after it), so the front is the answer once entries older than the
 * window are dropped.
 */
export class WindowMax {
  private times: number[] = [];
  private values: number[] = [];
  private head = 0;

  /** Adds a value taken at `t` (t never decreases between calls). */
  push(t: number, v: number): void {
    while (this.values.length > this.head && this.values[this.values.length - 1]! <= v) {
      this.values.pop();
      this.times.pop();
    }
    this.times.push(t);
    this.values.push(v);
  }

  /** Drops values taken before `t0`. */
  evictBefore(t0: number): void {
    while (this.head < this.times.length && this.times[this.head]! < t0) this.head++;
    // Reclaim the dead prefix now and then instead of shifting on every eviction.
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
  }

  /** The maximum of what is left; undefined when empty. */
  max(): number | undefined {
    return this.head < this.values.length ? this.values[this.head] : undefined;
  }

  /** Entries held (at most the samples in the window; fewer when values fall). */
  get size(): number {
    return this.values.length - this.head;
  }
}
