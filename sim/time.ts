// Timestamps as the Kubernetes API writes them (RFC 3339, second precision) and the
// injectable clock the simulated control plane runs on.

import type { Clock as KubeClock } from '../kube/index.js';

/**
 * kube's Clock, whose timers (in this clock's milliseconds) are optional here: a clock without
 * them runs in real time, and callers fall back to the process's timers (see timersOf).
 */
export type Clock = Pick<KubeClock, 'now'> & Partial<Pick<KubeClock, 'setTimeout' | 'clearTimeout'>>;

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock whose time and timers may run faster than real time: the whole simulated cluster
 * (API timestamps, kubelet delays and durations, the day curve, usage, the default scheduler's
 * backoff) and any component given the same clock agree on one simulated time. A kube/ Clock,
 * so colocation components take it as their `clock`.
 */
export interface SimClock extends KubeClock {
  /** Simulated milliseconds per real millisecond now (1 = real time). */
  readonly scale: number;
  /**
   * Runs time at another pace from now on (time itself does not jump). Pending timers still fire
   * at their simulated due time: never before it, and re-armed when time speeds up.
   */
  setScale(scale: number): void;
}

export interface ScaledClockOptions {
  /** Simulated ms per real ms; default 1. */
  scale?: number;
  /** The simulated time (ms since the epoch) at creation; default the real time. */
  startAt?: number;
  /** Real time source (tests); default the process's high-resolution wall clock. */
  realNow?: () => number;
}

/** Largest time scale accepted: beyond it timers of a few simulated ms round to nothing. */
export const MAX_TIME_SCALE = 100_000;

function checkScale(scale: number): void {
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 1 || scale > MAX_TIME_SCALE) {
    throw new RangeError(`timeScale must be a number from 1 to ${MAX_TIME_SCALE} (simulated ms per real ms), got ${String(scale)}`);
  }
}

/** A pending timer: its simulated due time and the real timer that wakes it. */
interface SimTimer {
  readonly due: number;
  readonly fn: () => void;
  handle: ReturnType<typeof setTimeout> | undefined;
}

class ScaledClock implements SimClock {
  private simBase: number;
  private realBase: number;
  private current: number;
  private readonly pending = new Set<SimTimer>();

  constructor(
    scale: number,
    startAt: number,
    private readonly realNow: () => number,
  ) {
    this.current = scale;
    this.realBase = realNow();
    this.simBase = startAt;
  }

  get scale(): number {
    return this.current;
  }

  now(): number {
    return this.simBase + (this.realNow() - this.realBase) * this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t: SimTimer = { due: this.now() + Math.max(0, ms), fn, handle: undefined };
    this.pending.add(t);
    this.arm(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    const t = handle as SimTimer | undefined;
    if (!t || !this.pending.has(t)) return;
    if (t.handle !== undefined) clearTimeout(t.handle);
    this.pending.delete(t);
  }

  setScale(scale: number): void {
    checkScale(scale);
    if (scale === this.current) return;
    const real = this.realNow();
    this.simBase += (real - this.realBase) * this.current;
    this.realBase = real;
    const faster = scale > this.current;
    this.current = scale;
    // Slower: timers wake early and re-arm themselves. Faster: they would wake late, so re-arm now.
    if (faster) for (const t of this.pending) this.arm(t);
  }

  private arm(t: SimTimer): void {
    if (t.handle !== undefined) clearTimeout(t.handle);
    t.handle = setTimeout(() => this.fire(t), Math.max(0, t.due - this.now()) / this.current);
  }

  private fire(t: SimTimer): void {
    t.handle = undefined;
    // Real timers are whole milliseconds: within one real ms of the due time counts as due.
    if (t.due - this.now() > this.current) {
      this.arm(t);
      return;
    }
    this.pending.delete(t);
    t.fn();
  }
}

const hrNow = (): number => performance.timeOrigin + performance.now();

/**
 * A clock that advances `scale` simulated ms per real ms from `startAt`. Timers wait their
 * simulated ms at the pace of the moment. Throws a RangeError naming the option for a bad scale
 * or start.
 */
export function scaledClock(opts: ScaledClockOptions = {}): SimClock {
  const scale = opts.scale ?? 1;
  checkScale(scale);
  const realNow = opts.realNow ?? hrNow;
  const startAt = opts.startAt ?? realNow();
  if (typeof startAt !== 'number' || !Number.isFinite(startAt)) throw new RangeError(`startAt must be a time in ms since the epoch, got ${String(startAt)}`);
  return new ScaledClock(scale, startAt, realNow);
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
