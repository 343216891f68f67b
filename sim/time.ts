// Timestamps as the Kubernetes API writes them (RFC 3339, second precision) and the
// injectable clock the simulated control plane runs on.

export interface Clock {
  now(): number;
  /**
   * Timers in this clock's milliseconds. A clock without them runs in real time: callers fall
   * back to the process's timers (see timersOf).
   */
  setTimeout?(fn: () => void, ms: number): unknown;
  clearTimeout?(handle: unknown): void;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock whose time and timers may run faster than real time: the whole simulated cluster
 * (API timestamps, kubelet delays and durations, the day curve, usage, the default scheduler's
 * backoff) and any component given the same clock agree on one simulated time. Structurally a
 * kube/ Clock, so colocation components take it as their `clock`.
 */
export interface SimClock extends Clock {
  /** Simulated milliseconds per real millisecond (1 = real time). */
  readonly scale: number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ScaledClockOptions {
  /** Simulated ms per real ms; default 1. */
  scale?: number;
  /** The simulated time (ms since the epoch) at creation; default the real time. */
  startAt?: number;
  /** Real time source (tests); default Date.now. */
  realNow?: () => number;
}

/** Largest time scale accepted: beyond it timers of a few simulated ms round to nothing. */
export const MAX_TIME_SCALE = 100_000;

/**
 * A clock that advances `scale` simulated ms per real ms from `startAt`. Timers wait
 * ms / scale real ms. Throws a RangeError naming the option for a bad scale or start.
 */
export function scaledClock(opts: ScaledClockOptions = {}): SimClock {
  const scale = opts.scale ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 1 || scale > MAX_TIME_SCALE) {
    throw new RangeError(`timeScale must be a number from 1 to ${MAX_TIME_SCALE} (simulated ms per real ms), got ${String(scale)}`);
  }
  const realNow = opts.realNow ?? Date.now;
  const realStart = realNow();
  const startAt = opts.startAt ?? realStart;
  if (typeof startAt !== 'number' || !Number.isFinite(startAt)) throw new RangeError(`startAt must be a time in ms since the epoch, got ${String(startAt)}`);
  return {
    scale,
    now: () => startAt + (realNow() - realStart) * scale,
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms) / scale),
    clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
  };
}

/** The clock's timers, or the process's when it has none (a real-time clock). */
export function timersOf(clock: Clock): { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void } {
  if (clock.setTimeout && clock.clearTimeout) return { setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock) };
  return { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as Parameters<typeof clearTimeout>[0]) };
}

// Every write stamps a time and most fall in the same second as the previous one: the
// last second's text is kept.
let lastSecond = NaN;
let lastText = '';

export function rfc3339(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastText;
}

/** MicroTime (metav1.MicroTime), used by Leases and events.k8s.io events. */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
