/**
 * Time between tries: an injectable clock, cancellable sleep, exponential backoff with full
 * jitter, and `retry` for idempotent API calls that honours a server's Retry-After.
 *
 * Full jitter (a uniform delay between 0 and the exponential ceiling) is what keeps a thousand
 * controllers that failed together from retrying together; a fixed schedule would hit a
 * recovering API server in synchronized waves.
 */

import { parseStatus } from './api-error.js';

/** A timer handle as the clock returns it; only ever handed back to the same clock. */
export type TimerHandle = unknown;

/**
 * Wall-clock time and timers. Every time-dependent module in kube/ takes one so tests can
 * drive time; the default reads the globals at call time, so vitest's fake timers apply too.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** Resolves after `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(abortReason(signal!));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export interface BackoffOptions {
  /** Ceiling of the first delay. Default 100 ms. */
  initialMs?: number;
  /** Largest ceiling, however many failures. Default 30 s. */
  maxMs?: number;
  /** Growth of the ceiling per failure. Default 2. */
  factor?: number;
  /** 'full': uniform in [0, ceiling) (default); 'none': exactly the ceiling (for predictable schedules). */
  jitter?: 'full' | 'none';
  /** Uniform [0, 1) source; injectable for tests. */
  random?: () => number;
}

/** Exponential backoff state for one thing being retried. */
export class Backoff {
  private failures = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: 'full' | 'none';
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = positive(options.initialMs ?? 100, 'initialMs');
    this.maxMs = positive(options.maxMs ?? 30_000, 'maxMs');
    this.factor = options.factor ?? 2;
    if (!(this.factor >= 1)) throw new RangeError(`backoff factor must be at least 1, got ${options.factor}`);
    this.jitter = options.jitter ?? 'full';
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next try; each call counts one more failure. */
  next(): number {
    const ceiling = this.ceiling(this.failures);
    this.failures++;
    return this.jitter === 'full' ? this.random() * ceiling : ceiling;
  }

  /** The ceiling after `failures` failures, without jitter. */
  ceiling(failures: number): number {
    return Math.min(this.maxMs, this.initialMs * this.factor ** failures);
  }

  /** Failures counted since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** Forget past failures: the next delay is short again. */
  reset(): void {
    this.failures = 0;
  }
}

export interface RetryOptions extends BackoffOptions {
  /** Which errors are worth another try. Default: isRetryableError. */
  isRetryable?: (err: unknown) => boolean;
  /** Tries in all, the first included. Default 5; Infinity retries until aborted. */
  maxAttempts?: number;
  /** Give up rather than sleep past this much time since the first try. */
  maxElapsedMs?: number;
  signal?: AbortSignal;
  clock?: Clock;
  /** How long the error asks us to wait. Default: retryAfterFromError. */
  retryAfterMs?: (err: unknown, now: number) => number | undefined;
  /** Upper bound on an honoured Retry-After, against absurd values. Default 5 min. */
  maxRetryAfterMs?: number;
  /** Called before each sleep, e.g. to log. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /**
   * The first try was made by the caller (outside retry, which costs a hot path nothing while
   * it succeeds) and failed with `error`: retry goes on from the second, as if it had made it.
   */
  firstTry?: { error: unknown; startedAt: number };
}

/**
 * Calls `fn` until it succeeds, the error is not retryable, or the tries or time run out; then
 * rethrows the last error unchanged, so callers can still look at its code. Only for idempotent
 * calls: a retried create that had in fact succeeded will meet 409 AlreadyExists.
 * Waits at least the Retry-After the error carries (a 429 or 503 from the API server).
 */
export async function retry<T>(
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const clock = options.clock ?? systemClock;
  const isRetryable = options.isRetryable ?? isRetryableError;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryAfter = options.retryAfterMs ?? retryAfterFromError;
  const maxRetryAfter = options.maxRetryAfterMs ?? 300_000;
  const backoff = new Backoff(options);
  const { signal } = options;
  const first = options.firstTry;
  const start = first?.startedAt ?? clock.now();

  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortReason(signal);
    try {
      if (attempt === 1 && first) throw first.error;
      return await fn(attempt, signal);
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      if (attempt >= maxAttempts || !isRetryable(err)) throw err;
      const now = clock.now();
      let delay = backoff.next();
      const asked = retryAfter(err, now);
      if (asked !== undefined) delay = Math.max(delay, Math.min(asked, maxRetryAfter));
      if (options.maxElapsedMs !== undefined && now + delay - start > options.maxElapsedMs) throw err;
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, signal, clock);
    }
  }
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Transient failures: 408, 429, 500, 502, 503, 504, and connection-level errors (reset, refused,
 * timed out, DNS not ready). Everything else (400s such as 404, 409, 422, programming errors,
 * aborts) would fail the same way again.
 */
export function isRetryableError(err: unknown): boolean {
  const status = statusCodeOf(err);
  if (status !== undefined) return RETRYABLE_STATUS.has(status);
  for (let e: unknown = err, depth = 0; isObject(e) && depth < 4; e = e['cause'], depth++) {
    if (e['name'] === 'AbortError') return false;
    if (typeof e['code'] === 'string' && RETRYABLE_NETWORK_CODES.has(e['code'])) return true;
  }
  return false;
}

/**
 * The HTTP status an error carries: `code` on @kubernetes/client-node's ApiException,
 * `statusCode`/`status` elsewhere, or the Kubernetes Status body's `code`.
 */
export function statusCodeOf(err: unknown): number | undefined {
  if (!isObject(err)) return undefined;
  for (const key of ['code', 'statusCode', 'status']) {
    const v = err[key];
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
  }
  const response = err['response'];
  if (isObject(response) && typeof response['status'] === 'number') return response['status'];
  const code: unknown = parseStatus(err['body'])?.code; // the body is untyped JSON: check the type
  return typeof code === 'number' ? code : undefined;
}

/**
 * How long an error asks us to wait, in ms: its own `retryAfterMs`, else a Retry-After header
 * (delta-seconds or HTTP date) on `headers` or `response.headers`, else the Kubernetes Status
 * body's `details.retryAfterSeconds`.
 */
export function retryAfterFromError(err: unknown, now: number): number | undefined {
  if (!isObject(err)) return undefined;
  if (typeof err['retryAfterMs'] === 'number' && err['retryAfterMs'] >= 0) return err['retryAfterMs'];
  const response = err['response'];
  for (const headers of [err['headers'], isObject(response) ? response['headers'] : undefined]) {
    const value = headerValue(headers, 'retry-after');
    if (value !== undefined) {
      const ms = parseRetryAfter(value, now);
      if (ms !== undefined) return ms;
    }
  }
  const body = parseMaybeJson(err['body']);
  const details = isObject(body) ? body['details'] : undefined;
  if (isObject(details) && typeof details['retryAfterSeconds'] === 'number') return details['retryAfterSeconds'] * 1000;
  return undefined;
}

/** A Retry-After header value as milliseconds from `now`; undefined when unreadable. */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!isObject(headers)) return undefined;
  if (typeof headers['get'] === 'function') {
    const v = (headers as { get(n: string): unknown }).get(name);
    return typeof v === 'string' ? v : undefined;
  }
  for (const [key, v] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

function parseMaybeJson(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function positive(v: number, name: string): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`backoff ${name} must be a positive number of ms, got ${v}`);
  return v;
}
