/**
 * A small bounded cache of answers that expire, for webhook authentication and authorization
 * (delegated-auth.ts): each entry has its own time to live (an allowed answer may live longer
 * than a denied one), the oldest entry goes when the cache is full, and concurrent look-ups of
 * one key share a single call, so a burst of requests from one client costs one review, not
 * one each.
 */
import type { Clock } from './backoff.js';

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inFlight = new Map<string, Promise<V>>();

  constructor(
    private readonly maxEntries: number,
    /** Only its time is read: no timer is ever set, entries expire when looked at. */
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    if (!(maxEntries > 0)) throw new RangeError(`cache size must be positive, got ${maxEntries}`);
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.clock.now() >= e.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (!(ttlMs > 0)) return;
    // Re-inserting moves the key to the back, so iteration order stays oldest first.
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /**
   * The cached value of `key`, or the result of `load` (shared by every caller asking while it
   * runs). `ttlOf` picks how long the loaded value is kept; 0 keeps it not at all. A rejected
   * load is not cached.
   */
  async getOrLoad(key: string, load: () => Promise<V>, ttlOf: (value: V) => number): Promise<{ value: V; cached: boolean }> {
    const hit = this.get(key);
    if (hit !== undefined) return { value: hit, cached: true };
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = (async () => {
        try {
          const value = await load();
          this.set(key, value, ttlOf(value));
          return value;
        } finally {
          this.inFlight.delete(key);
        }
      })();
      this.inFlight.set(key, pending);
    }
    return { value: await pending, cached: false };
  }

  get size(): number {
    return this.entries.size;
  }
}
