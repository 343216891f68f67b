import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Backoff,
  isRetryableError,
  parseRetryAfter,
  retry,
  retryAfterFromError,
  sleep,
  statusCodeOf,
} from '../../kube/backoff.js';

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly headers: Record<string, string> = {},
    readonly body?: string,
  ) {
    super(`HTTP ${code}`);
  }
}

describe('Backoff', () => {
  it('doubles the ceiling per failure up to the cap, and reset starts over', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 'none' });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.attempts).toBe(6);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('full jitter spreads the delay uniformly below the ceiling', () => {
    const draws = [0, 0.5, 0.999];
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, random: () => draws.shift()! });
    expect(b.next()).toBe(0);
    expect(b.next()).toBe(100);
    expect(b.next()).toBeCloseTo(399.6);
  });

  it('does not overflow after very many failures', () => {
    const b = new Backoff({ initialMs: 1, maxMs: 5000, jitter: 'none' });
    for (let i = 0; i < 5000; i++) b.next();
    expect(b.next()).toBe(5000);
  });

  it('rejects nonsense options with the option name', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(/initialMs/);
    expect(() => new Backoff({ maxMs: Number.NaN })).toThrow(/maxMs/);
    expect(() => new Backoff({ factor: 0.5 })).toThrow(/factor/);
  });
});

describe('error classification', () => {
  it.each<[string, unknown, boolean]>([
    ['429 Too Many Requests', new HttpError(429), true],
    ['503 Unavailable', new HttpError(503), true],
    ['500 Internal', new HttpError(500), true],
    ['504 Gateway Timeout', { statusCode: 504 }, true],
    ['404 Not Found', new HttpError(404), false],
    ['409 Conflict', new HttpError(409), false],
    ['422 Invalid', new HttpError(422), false],
    ['connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['fetch failed caused by a refused connection', new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }), true],
    ['an abort', new DOMException('aborted', 'AbortError'), false],
    ['a plain programming error', new TypeError('x is undefined'), false],
    ['a Status body', { body: JSON.stringify({ kind: 'Status', code: 503 }) }, true],
  ])('%s -> retryable %s', (_what, err, want) => {
    expect(isRetryableError(err)).toBe(want);
  });

  it('finds the status code where client-node and plain JSON put it', () => {
    expect(statusCodeOf(new HttpError(409))).toBe(409);
    expect(statusCodeOf({ response: { status: 410 } })).toBe(410);
    expect(statusCodeOf({ body: { kind: 'Status', code: 422 } })).toBe(422);
    expect(statusCodeOf({ code: 'ECONNRESET' })).toBeUndefined();
    expect(statusCodeOf('nope')).toBeUndefined();
  });

  it('reads Retry-After as seconds, HTTP date, retryAfterMs or Status details', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(retryAfterFromError(new HttpError(429, { 'Retry-After': '2' }), now)).toBe(2000);
    expect(retryAfterFromError({ response: { headers: new Headers({ 'retry-after': '4' }) } }, now)).toBe(4000);
    expect(retryAfterFromError({ retryAfterMs: 250 }, now)).toBe(250);
    expect(
      retryAfterFromError({ code: 429, body: JSON.stringify({ kind: 'Status', details: { retryAfterSeconds: 3 } }) }, now),
    ).toBe(3000);
    expect(retryAfterFromError(new HttpError(429), now)).toBeUndefined();
  });
});

describe('sleep and retry (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sleep resolves after the delay and rejects at once on abort', async () => {
    let done = false;
    void sleep(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);

    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort(new Error('stopping'));
    await expect(p).rejects.toThrow('stopping');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('retries transient errors with growing delays and returns the first success', async () => {
    const delays: number[] = [];
    const fn = vi
      .fn<(attempt: number) => Promise<string>>()
      .mockRejectedValueOnce(new HttpError(503))
      .mockRejectedValueOnce(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))
      .mockResolvedValue('ok');
    const p = retry(fn, { initialMs: 100, jitter: 'none', onRetry: (_e, _a, d) => delays.push(d) });
    await vi.advanceTimersByTimeAsync(300);
    await expect(p).resolves.toBe('ok');
    expect(fn.mock.calls.map((c) => c[0])).toEqual([1, 2, 3]);
    expect(delays).toEqual([100, 200]);
  });

  it('gives up at once on an error that would repeat, rethrowing it unchanged', async () => {
    const notFound = new HttpError(404);
    const fn = vi.fn(() => Promise.reject(notFound));
    await expect(retry(fn)).rejects.toBe(notFound);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('rethrows the last error after maxAttempts', async () => {
    const codes = [500, 502, 503, 504];
    let n = 0;
    const p = retry(() => Promise.reject(new HttpError(codes[n++]!)), { maxAttempts: 3, initialMs: 10, jitter: 'none' });
    const assertion = expect(p).rejects.toMatchObject({ code: 503 });
    await vi.advanceTimersByTimeAsync(1000);
    await assertion;
    expect(n).toBe(3);
  });

  it("waits at least the server's Retry-After", async () => {
    const fn = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new HttpError(429, { 'retry-after': '3' }))
      .mockResolvedValue('ok');
    const p = retry(fn, { initialMs: 100, jitter: 'none' });
    await vi.advanceTimersByTimeAsync(2999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(p).resolves.toBe('ok');
  });

  it('caps an absurd Retry-After', async () => {
    const fn = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new HttpError(429, { 'retry-after': '86400' }))
      .mockResolvedValue('ok');
    const p = retry(fn, { maxRetryAfterMs: 5000, jitter: 'none' });
    await vi.advanceTimersByTimeAsync(5000);
    await expect(p).resolves.toBe('ok');
  });

  it('stops when the next sleep would pass maxElapsedMs', async () => {
    const err = new HttpError(503);
    const fn = vi.fn(() => Promise.reject(err));
    const p = retry(fn, { initialMs: 1000, jitter: 'none', maxAttempts: Infinity, maxElapsedMs: 2500 });
    const assertion = expect(p).rejects.toBe(err);
    await vi.advanceTimersByTimeAsync(5000);
    await assertion;
    expect(fn).toHaveBeenCalledTimes(2); // t=0, t=1000; the next sleep (2000) would end at 3000
  });

  it('firstTry: goes on from the second try of a call the caller already made, with the first backoff', async () => {
    const delays: number[] = [];
    const fn = vi.fn<(attempt: number) => Promise<string>>().mockResolvedValue('ok');
    const p = retry(fn, { initialMs: 100, jitter: 'none', firstTry: { error: new HttpError(503), startedAt: Date.now() }, onRetry: (_e, _a, d) => delays.push(d) });
    await vi.advanceTimersByTimeAsync(99);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(p).resolves.toBe('ok');
    expect(fn.mock.calls.map((c) => c[0])).toEqual([2]);
    expect(delays).toEqual([100]);
  });

  it('firstTry: an error that would repeat, or one try allowed, rethrows the first error unchanged without calling fn', async () => {
    const notFound = new HttpError(404);
    const fn = vi.fn(() => Promise.resolve('never'));
    await expect(retry(fn, { firstTry: { error: notFound, startedAt: Date.now() } })).rejects.toBe(notFound);
    const unavailable = new HttpError(503);
    await expect(retry(fn, { maxAttempts: 1, firstTry: { error: unavailable, startedAt: Date.now() } })).rejects.toBe(unavailable);
    expect(fn).not.toHaveBeenCalled();
  });

  it('firstTry: maxElapsedMs counts from when the first try started', async () => {
    const err = new HttpError(503);
    const fn = vi.fn(() => Promise.reject(err));
    const startedAt = Date.now() - 2000; // the caller's try took 2 s
    const p = retry(fn, { initialMs: 1000, jitter: 'none', maxAttempts: Infinity, maxElapsedMs: 2500, firstTry: { error: err, startedAt } });
    // The first sleep (1 s) would end 3 s after the start: past 2.5 s, so no further try.
    await expect(p).rejects.toBe(err);
    expect(fn).not.toHaveBeenCalled();
  });

  it('an abort during the sleep rejects with the abort reason and calls fn no more', async () => {
    const ac = new AbortController();
    const fn = vi.fn(() => Promise.reject(new HttpError(503)));
    const p = retry(fn, { signal: ac.signal, initialMs: 1000, jitter: 'none' });
    const assertion = expect(p).rejects.toThrow('shutting down');
    await vi.advanceTimersByTimeAsync(10);
    ac.abort(new Error('shutting down'));
    await assertion;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
