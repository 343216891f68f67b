// Keeps accelerated simulated time honest on a busy machine. Everything a process does late in
// real time is late by `scale` times as much in simulated time: at 120×, an event loop held up
// for 100 ms makes every kubelet, scheduler and controller in it 12 simulated seconds late. The
// governor watches how late the process's own timers fire and slows simulated time while the
// process (or the machine) cannot keep up, then speeds it up again to at most `maxScale` — so a
// trace measures the system, not how loaded the machine happened to be. The scale it ran at is
// reported, not hidden.
//
// Two signs that the process cannot keep up, either one slows time down:
// - lateness, stated in simulated time: timers may run up to `maxLagMs` simulated ms late (the
//   p90 of a window), which at a pace of `scale` is maxLagMs / scale real ms — at a fast pace
//   only a small real delay is tolerated, at a slow one more;
// - a saturated event loop (its utilization above `maxBusy`): work done in small slices keeps
//   timers on time while queues grow behind them, so lateness alone does not show it.

import { performance } from 'node:perf_hooks';
import type { SimClock } from './time.js';

export interface GovernorOptions {
  /** The fastest pace allowed (and the one started from, when the clock runs slower). */
  maxScale: number;
  /** The slowest pace; default 1 (real time). */
  minScale?: number;
  /** Timer lateness tolerated, simulated ms (the p90 of a window × the pace). Default 5,000. */
  maxLagMs?: number;
  /** How often the pace is reconsidered, real ms. Default 500. */
  windowMs?: number;
  /** Event loop utilization (0..1) above which the process counts as saturated. Default 0.85. */
  maxBusy?: number;
}

export interface GovernorStats {
  /** Simulated ms per real ms over the governor's life. */
  meanScale: number;
  minScale: number;
  /** The p90 timer lateness of the worst window, simulated ms (real lateness × the pace then). */
  worstLagMs: number;
  /** Windows where the pace was lowered. */
  slowdowns: number;
  /** Event loop utilization over the governor's life (0..1). */
  busy: number;
}

export interface Governor {
  stats(): GovernorStats;
  stop(): void;
}

const PROBE_MS = 10;

/** Starts governing `clock`'s pace; stop() leaves it at its last pace. */
export function governTimeScale(clock: SimClock, o: GovernorOptions): Governor {
  const maxScale = o.maxScale;
  const minScale = o.minScale ?? 1;
  const target = o.maxLagMs ?? 5_000;
  const windowMs = o.windowMs ?? 500;
  const maxBusy = o.maxBusy ?? 0.85;
  if (!(maxBusy > 0.2 && maxBusy <= 1)) throw new RangeError(`time governor: maxBusy must be in (0.2, 1], got ${maxBusy}`);
  if (!(maxScale >= minScale && minScale >= 1)) throw new RangeError(`time governor: need 1 <= minScale <= maxScale, got ${minScale} and ${maxScale}`);
  if (!(target > 0) || !(windowMs >= PROBE_MS * 5)) throw new RangeError(`time governor: maxLagMs must be positive and windowMs at least ${PROBE_MS * 5}`);
  clock.setScale(Math.min(maxScale, Math.max(minScale, clock.scale)));
  const startedReal = performance.now();
  const startedSim = clock.now();
  let lags: number[] = [];
  let windowStart = performance.now();
  let expected = performance.now() + PROBE_MS;
  const eluStart = performance.eventLoopUtilization();
  let eluWindow = eluStart;
  let lowest = clock.scale;
  let worst = 0;
  let slowdowns = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const probe = (): void => {
    if (stopped) return;
    const now = performance.now();
    lags.push(Math.max(0, now - expected));
    if (now - windowStart >= windowMs) {
      lags.sort((a, b) => a - b);
      // Simulated lateness: what the real delay costs at the current pace.
      const lag = (lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.9))] ?? 0) * clock.scale;
      worst = Math.max(worst, lag);
      const elu = performance.eventLoopUtilization(eluWindow);
      eluWindow = performance.eventLoopUtilization();
      let next = clock.scale;
      if (lag > target) {
        next = Math.max(minScale, clock.scale * Math.max(0.5, target / lag));
        slowdowns++;
      } else if (elu.utilization > maxBusy) {
        next = Math.max(minScale, clock.scale * 0.85);
        slowdowns++;
      } else if (lag < target / 2 && elu.utilization < maxBusy - 0.15) {
        next = Math.min(maxScale, clock.scale * 1.1);
      }
      if (next !== clock.scale) clock.setScale(next);
      lowest = Math.min(lowest, next);
      lags = [];
      windowStart = now;
    }
    expected = performance.now() + PROBE_MS;
    timer = setTimeout(probe, PROBE_MS);
    timer.unref();
  };
  timer = setTimeout(probe, PROBE_MS);
  timer.unref();

  return {
    stats(): GovernorStats {
      const real = performance.now() - startedReal;
      const busy = performance.eventLoopUtilization(eluStart).utilization;
      return { meanScale: real > 0 ? (clock.now() - startedSim) / real : clock.scale, minScale: lowest, worstLagMs: worst, slowdowns, busy };
    },
    stop(): void {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
