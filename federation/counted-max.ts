/**
 * A multiset of integers that answers "largest value" in O(log n) amortised per change:
 * counts per value plus a max-heap of values with lazy deletion. Used for the largest free
 * slot per resource, updated on every node event without a recount.
 */
export class CountedMax {
  private readonly counts = new Map<number, number>();
  private heap: number[] = [];

  add(value: number): void {
    const c = this.counts.get(value) ?? 0;
    this.counts.set(value, c + 1);
    if (c === 0) this.push(value);
  }

  remove(value: number): void {
    const c = this.counts.get(value);
    if (c === undefined) throw new Error(`CountedMax.remove: ${value} is not in the set`);
    if (c === 1) this.counts.delete(value);
    else this.counts.set(value, c - 1);
    // Stale heap entries accumulate under churn; rebuild when they dominate (amortised O(1)).
    if (this.heap.length > 2 * this.counts.size + 64) this.rebuild();
  }

  /** The largest value, or 0 when empty. */
  max(): number {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.counts.has(top)) return top;
      this.pop();
    }
    return 0;
  }

  get size(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  private rebuild(): void {
    this.heap = [...this.counts.keys()];
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private push(v: number): void {
    const h = this.heap;
    h.push(v);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! >= v) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = v;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    this.down(0);
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const v = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]! > h[l]! ? r : l;
      if (h[c]! <= v) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = v;
  }
}
