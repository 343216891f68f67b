import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_BURST, DEFAULT_QPS, TokenBucketRateLimiter } from '../../kube/rate-limiter.js';

/** Starts `n` acquires and records, per caller, the fake time at which it got its token. */
function acquireMany(limiter: TokenBucketRateLimiter, n: number, t0: number, signal?: AbortSignal) {
  const grantedAt: (number | undefined)[] = Array.from({ length: n }, () => undefined);
  const done = Array.from({ length: n }, (_, i) =>
    limiter.acquire(signal).then(
      () => {
        grantedAt[i] = Date.now() - t0;
      },
      () => undefined,
    ),
  );
  return { grantedAt, done };
}

describe('TokenBucketRateLimiter', () => {
  let t0: number;
  beforeEach(() => {
    vi.useFakeTimers();
    t0 = Date.now();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("defaults to client-go's controller limits: 20 QPS, burst 30", () => {
    const limiter = new TokenBucketRateLimiter();
    expect([limiter.qps, limiter.burst]).toEqual([DEFAULT_QPS, DEFAULT_BURST]);
    expect([DEFAULT_QPS, DEFAULT_BURST]).toEqual([20, 30]);
  });

  it('lets a burst through at once, then one token per 1/qps', async () => {
    const limiter = new TokenBucketRateLimiter({ qps: 20, burst: 30 });
    for (let i = 0; i < 30; i++) expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(false);
    await vi.advanceTimersByTimeAsync(49);
    expect(limiter.tryAcquire()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(false);
  });

  it('refills no further than the burst after a quiet spell', async () => {
    const limiter = new TokenBucketRateLimiter({ qps: 10, burst: 3 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect([1, 2, 3, 4].map(() => limiter.tryAcquire())).toEqual([true, true, true, false]);
  });

  it('serves waiters first come, first served at the steady rate', async () => {
    const limiter = new TokenBucketRateLimiter({ qps: 10, burst: 2 });
    const { grantedAt } = acquireMany(limiter, 5, t0);
    await vi.advanceTimersByTimeAsync(0);
    expect(grantedAt).toEqual([0, 0, undefined, undefined, undefined]);
    // A newcomer may not jump the queue while others wait.
    expect(limiter.tryAcquire()).toBe(false);
    await vi.advanceTimersByTimeAsync(300);
    expect(grantedAt).toEqual([0, 0, 100, 200, 300]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an aborted waiter leaves the queue and the next one takes its turn', async () => {
    const limiter = new TokenBucketRateLimiter({ qps: 1, burst: 1 });
    expect(limiter.tryAcquire()).toBe(true);
    const ac = new AbortController();
    const first = limiter.acquire(ac.signal);
    const second = acquireMany(limiter, 1, t0);
    expect(limiter.waiting).toBe(2);
    ac.abort(new Error('client closed'));
    await expect(first).rejects.toThrow('client closed');
    expect(limiter.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(second.grantedAt).toEqual([1000]);
    await expect(limiter.acquire(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('pauseUntil holds every caller until the Retry-After passes, then resumes gently', async () => {
    const limiter = new TokenBucketRateLimiter({ qps: 10, burst: 30 });
    limiter.pauseUntil(t0 + 5000);
    expect(limiter.tryAcquire()).toBe(false);
    const { grantedAt } = acquireMany(limiter, 3, t0);
    await vi.advanceTimersByTimeAsync(4999);
    expect(grantedAt).toEqual([undefined, undefined, undefined]);
    await vi.advanceTimersByTimeAsync(201);
    // One token when the pause ends, then the steady rate: no burst of 30 into an overloaded server.
    expect(grantedAt).toEqual([5000, 5100, 5200]);
  });

  it('a later pause extends the current one and an earlier one is ignored', async () => {
    const limiter = new TokenBucketRateLimiter();
    limiter.pauseUntil(t0 + 1000);
    limiter.pauseUntil(t0 + 3000);
    limiter.pauseUntil(t0 + 2000);
    expect(limiter.pausedUntil).toBe(t0 + 3000);
    const { grantedAt } = acquireMany(limiter, 1, t0);
    await vi.advanceTimersByTimeAsync(3000);
    expect(grantedAt).toEqual([3000]);
  });

  it('a pause also holds callers that were already waiting for a token', async () => {
    const limiter = new TokenBucketRateLimiter({ qps: 1, burst: 1 });
    limiter.tryAcquire();
    const { grantedAt } = acquireMany(limiter, 1, t0);
    const later = acquireMany(limiter, 1, t0);
    await vi.advanceTimersByTimeAsync(500);
    limiter.pauseUntil(t0 + 10_000);
    await vi.advanceTimersByTimeAsync(9499);
    expect(grantedAt).toEqual([undefined]);
    await vi.advanceTimersByTimeAsync(1001);
    expect(grantedAt).toEqual([10_000]);
    expect(later.grantedAt).toEqual([11_000]);
  });

  it('Infinity qps never waits except for pauses', async () => {
    const limiter = new TokenBucketRateLimiter({ qps: Infinity, burst: 1 });
    for (let i = 0; i < 1000; i++) expect(limiter.tryAcquire()).toBe(true);
    limiter.pauseUntil(t0 + 100);
    const { grantedAt } = acquireMany(limiter, 2, t0);
    await vi.advanceTimersByTimeAsync(100);
    expect(grantedAt).toEqual([100, 100]);
  });

  it('rejects invalid settings with the setting name', () => {
    expect(() => new TokenBucketRateLimiter({ qps: 0 })).toThrow(/qps/);
    expect(() => new TokenBucketRateLimiter({ burst: 0 })).toThrow(/burst/);
    expect(() => new TokenBucketRateLimiter({ burst: 1.5 })).toThrow(/burst/);
  });
});
