/**
 * Client-side request rate limit: a token bucket like client-go's flowcontrol limiter.
 *
 * Tokens accrue at `qps` per second up to `burst`; each request takes one. Waiting callers are
 * served strictly first come, first served, so a steady stream of new callers cannot starve an
 * old one. `pauseUntil` stops the whole client when the API server answers 429 with a
 * Retry-After: every caller of this client waits, not only the one that was told.
 */
import { abortReason, systemClock, type Clock, type TimerHandle } from './backoff.js';

/** client-go's defaults for controllers talking to one API server. */
export const DEFAULT_QPS = 20;
export const DEFAULT_BURST = 30;

export interface RateLimiterOptions {
  /** Sustained requests per second; Infinity for no limit (pauses still apply). Default 20. */
  qps?: number;
  /** Requests allowed at once after a quiet spell. Default 30. */
  burst?: number;
  clock?: Clock;
}

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
}

export class TokenBucketRateLimiter {
  readonly qps: number;
  readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private lastRefill: number;
  private pausedUntilMs = 0;
  /** Insertion-ordered, with O(1) removal for a caller that gives up. */
  private readonly waiters = new Set<Waiter>();
  private timer: TimerHandle | undefined;

  constructor(options: RateLimiterOptions = {}) {
    this.qps = options.qps ?? DEFAULT_QPS;
    this.burst = options.burst ?? DEFAULT_BURST;
    if (!(this.qps > 0)) throw new RangeError(`rate limiter qps must be greater than 0, got ${options.qps}`);
    if (!Number.isInteger(this.burst) || this.burst < 1) {
      throw new RangeError(`rate limiter burst must be a whole number of at least 1, got ${options.burst}`);
    }
    this.clock = options.clock ?? systemClock;
    this.tokens = this.burst;
    this.lastRefill = this.clock.now();
  }

  /** Takes a token if one is free now and nobody is queued ahead. */
  tryAcquire(): boolean {
    const now = this.clock.now();
    this.refill(now);
    if (this.waiters.size > 0 || now < this.pausedUntilMs || this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Waits for a token. Rejects with the signal's reason if it is aborted first, giving up its
   * place in the queue.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        if (this.waiters.delete(waiter)) {
          reject(abortReason(signal!));
          this.schedule(this.clock.now());
        }
      };
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.timer === undefined) this.schedule(this.clock.now());
    });
  }

  /**
   * Holds every request until `epochMs` (a later pause extends, an earlier one is ignored).
   * The server has just said it is overloaded, so a full burst the moment the pause ends would
   * likely earn another 429: no tokens accrue during the pause, and it ends with exactly one
   * token (the head of the queue goes at once, the rest follow at the steady rate).
   */
  pauseUntil(epochMs: number): void {
    const now = this.clock.now();
    if (epochMs <= now || epochMs <= this.pausedUntilMs) return;
    this.refill(now);
    this.pausedUntilMs = epochMs;
    this.tokens = 1;
    this.schedule(now);
  }

  /** The end of the current pause, or 0 when never paused. */
  get pausedUntil(): number {
    return this.pausedUntilMs;
  }

  /** Callers queued for a token. */
  get waiting(): number {
    return this.waiters.size;
  }

  private refill(now: number): void {
    if (!Number.isFinite(this.qps)) {
      this.tokens = this.burst;
    } else {
      const from = Math.max(this.lastRefill, this.pausedUntilMs);
      if (now > from) this.tokens = Math.min(this.burst, this.tokens + ((now - from) * this.qps) / 1000);
    }
    // Always move to `now`, even backwards: a wall clock stepped back must not freeze accrual.
    this.lastRefill = now;
  }

  private pump(): void {
    const now = this.clock.now();
    for (const waiter of this.waiters) {
      this.refill(now);
      if (now < this.pausedUntilMs || this.tokens < 1) break;
      this.waiters.delete(waiter);
      this.tokens -= 1;
      waiter.resolve();
    }
    this.refill(now);
    this.schedule(now);
  }

  /** One timer for the whole queue, set for when the head waiter can go. */
  private schedule(now: number): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.waiters.size === 0) return;
    const start = Math.max(now, this.pausedUntilMs);
    const refillMs = Number.isFinite(this.qps) ? Math.max(0, ((1 - this.tokens) * 1000) / this.qps) : 0;
    const delay = Math.max(1, Math.ceil(start + refillMs - now));
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delay);
  }
}
