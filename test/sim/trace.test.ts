// The pieces of a utilization trace that need no running cluster: the simulated clock, the
// day curve's average, the seeded app plan, and how one node's demand is judged.
import { describe, expect, it } from 'vitest';
import { dayFactor, DEFAULT_ONLINE_SERVICES, governTimeScale, judgeNode, onlineUsageShare, planApps, rateForCores, scaledClock, streamMeans, type AppStreamSpec, type DayCurve } from '../../sim/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('scaledClock', () => {
  it('runs scale simulated ms per real ms from startAt, and its timers wait ms / scale real ms', async () => {
    let real = 1_000;
    const clock = scaledClock({ scale: 360, startAt: 5_000_000, realNow: () => real });
    expect(clock.now()).toBe(5_000_000);
    real += 10;
    expect(clock.now()).toBe(5_000_000 + 3_600);
    // A simulated hour on a clock 36 000 times faster than real time is 100 real ms.
    const fast = scaledClock({ scale: 36_000 });
    const fired = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 5_000);
      fast.setTimeout(() => {
        clearTimeout(t);
        resolve(true);
      }, HOUR);
    });
    expect(fired).toBe(true);
  });

  it('changes pace without a jump in time, and its timers still fire at their simulated due time', async () => {
    let real = 0;
    const manual = scaledClock({ scale: 10, startAt: 0, realNow: () => real });
    real = 100;
    manual.setScale(1000);
    expect(manual.now()).toBe(1_000);
    real = 101;
    expect(manual.now()).toBe(2_000);
    expect(() => manual.setScale(0.5)).toThrow(/timeScale must be a number from 1/);

    // Slowed down after arming: the timer wakes early in simulated time, waits on, fires when due.
    const slowed = scaledClock({ scale: 1000 });
    const dueSlow = slowed.now() + 2_000;
    const firedAtSlow = new Promise<number>((resolve) => slowed.setTimeout(() => resolve(slowed.now()), 2_000));
    slowed.setScale(20);
    expect(await firedAtSlow).toBeGreaterThanOrEqual(dueSlow - 20);
    // Sped up after arming: a timer armed for 100 real s at 10× fires within moments at 100 000×.
    const sped = scaledClock({ scale: 10 });
    const dueSped = sped.now() + 1_000_000;
    const firedAtSped = new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the timer did not follow the faster pace')), 5_000);
      sped.setTimeout(() => {
        clearTimeout(t);
        resolve(sped.now());
      }, 1_000_000);
    });
    sped.setScale(100_000);
    expect(await firedAtSped).toBeGreaterThanOrEqual(dueSped - 100_000);
    // A cleared timer never fires.
    let cleared = false;
    const h = sped.setTimeout(() => (cleared = true), 10);
    sped.clearTimeout(h);
    await new Promise((r) => setTimeout(r, 20));
    expect(cleared).toBe(false);
  });

  it('refuses a scale it cannot honour, naming the option', () => {
    expect(() => scaledClock({ scale: 0 })).toThrow(/timeScale must be a number from 1 to 100000/);
    expect(() => scaledClock({ scale: Number.NaN })).toThrow(/timeScale/);
    expect(() => scaledClock({ scale: 2, startAt: Number.POSITIVE_INFINITY })).toThrow(/startAt must be a time/);
  });
});

describe('governTimeScale', () => {
  const busy = (ms: number): void => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // hold the event loop, as a saturated process does
    }
  };

  it('slows simulated time while the event loop is held up, and brings it back to full pace after', async () => {
    const clock = scaledClock({ scale: 200 });
    // 10 simulated s late at most: 50 real ms at 200×, so a busy machine's ordinary jitter does not count as held up.
    const g = governTimeScale(clock, { maxScale: 200, maxLagMs: 10_000, windowMs: 100 });
    try {
      for (let i = 0; i < 8; i++) {
        busy(150);
        await new Promise((r) => setTimeout(r, 1));
      }
      expect(clock.scale).toBeLessThan(200);
      expect(g.stats().slowdowns).toBeGreaterThan(0);
      const deadline = Date.now() + 20_000;
      while (clock.scale < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(clock.scale).toBe(200);
      const s = g.stats();
      expect(s.minScale).toBeLessThan(200);
      expect(s.meanScale).toBeLessThanOrEqual(200);
      expect(s.worstLagMs).toBeGreaterThan(10_000);
    } finally {
      g.stop();
    }
  });

  it('slows simulated time while the process is saturated in small slices, though no timer runs late', async () => {
    const clock = scaledClock({ scale: 200 });
    const g = governTimeScale(clock, { maxScale: 200, maxLagMs: 1_000_000, windowMs: 100, maxBusy: 0.8 });
    try {
      // 1.5 s of 2 ms slices back to back: timers keep their time, the loop never rests.
      const until = performance.now() + 1_500;
      while (performance.now() < until) {
        busy(2);
        await new Promise((r) => setImmediate(r));
      }
      expect(clock.scale).toBeLessThan(200);
      expect(g.stats().busy).toBeGreaterThan(0.5);
    } finally {
      g.stop();
    }
  });

  it('refuses bounds that cannot be', () => {
    expect(() => governTimeScale(scaledClock({ scale: 10 }), { maxScale: 5, minScale: 10 })).toThrow(/minScale <= maxScale/);
    expect(() => governTimeScale(scaledClock({ scale: 10 }), { maxScale: 10, maxBusy: 0 })).toThrow(/maxBusy must be in/);
  });
});

describe('the day curve', () => {
  const curve: DayCurve = { dayLengthMs: DAY, low: 0.5, high: 1 };

  it('is lowest at midnight, highest at noon, and averages (low + high) / 2 over a day', () => {
    expect(dayFactor(curve, 0)).toBeCloseTo(0.5, 9);
    expect(dayFactor(curve, 12 * HOUR)).toBeCloseTo(1, 9);
    let sum = 0;
    const steps = 24 * 60;
    for (let i = 0; i < steps; i++) sum += dayFactor(curve, (i * DAY) / steps);
    expect(sum / steps).toBeCloseTo(0.75, 6);
  });

  it('gives online services the usage share that averages the asked share of the node over the day', () => {
    // 25 % of the node on average from requests of 85 %: 0.25 / (0.85 × 0.75) of the request.
    expect(onlineUsageShare(DEFAULT_ONLINE_SERVICES, curve)).toBeCloseTo(0.25 / (0.85 * 0.75), 9);
  });
});

describe('planApps', () => {
  const spec: AppStreamSpec = { seed: 42, horizonMs: DAY, appsPerHour: 30 };

  it('plans the same apps from the same seed, and other apps from another seed', () => {
    const a = planApps(spec);
    const b = planApps(spec);
    expect(a).toEqual(b);
    expect(planApps({ ...spec, seed: 43 })).not.toEqual(a);
    expect(a.length).toBeGreaterThan(0);
  });

  it('arrives as a Poisson stream at the asked rate, with shapes inside the asked ranges', () => {
    const apps = planApps({ ...spec, workers: [3, 5], workerCpuMilli: [2000], workerDurationMs: [HOUR, 2 * HOUR], sparkShare: 0.5 });
    // 30 an hour for 24 h: 720 expected; a Poisson count is within ±4 σ (≈ ±107) but for a freak seed.
    expect(apps.length).toBeGreaterThan(720 - 107);
    expect(apps.length).toBeLessThan(720 + 107);
    const ids = new Set(apps.map((a) => a.id));
    expect(ids.size).toBe(apps.length);
    for (const [i, app] of apps.entries()) {
      expect(app.id).toMatch(/^(spark|flink)-\d{6}$/);
      expect(app.workers).toBeGreaterThanOrEqual(3);
      expect(app.workers).toBeLessThanOrEqual(5);
      expect(app.worker.cpuMilli).toBe(2000);
      expect(app.worker.memoryBytes).toBe(6 * 1024 ** 3);
      expect(app.workerDurationMs).toBeGreaterThanOrEqual(HOUR);
      expect(app.workerDurationMs).toBeLessThanOrEqual(2 * HOUR);
      expect(app.arriveAfterMs).toBeLessThan(DAY);
      if (i > 0) expect(app.arriveAfterMs).toBeGreaterThanOrEqual(apps[i - 1]!.arriveAfterMs);
    }
    const spark = apps.filter((a) => a.kind === 'spark').length;
    expect(spark / apps.length).toBeGreaterThan(0.4);
    expect(spark / apps.length).toBeLessThan(0.6);
  });

  it('follows a rate that changes over the day', () => {
    // Only the night half of the day has arrivals.
    const apps = planApps({ ...spec, appsPerHour: (t) => (t < 12 * HOUR ? 40 : 0) });
    expect(apps.every((a) => a.arriveAfterMs < 12 * HOUR)).toBe(true);
    expect(apps.length).toBeGreaterThan(300);
  });

  it('sizes a rate by the cores it should keep busy (Little\'s law)', () => {
    const shape = { workers: [2, 4] as const, workerCpuMilli: [1000, 3000], workerDurationMs: [HOUR, 3 * HOUR] as const };
    // A mean app: 3 workers × 2 cores for 2 h = 12 core-hours; 120 cores busy need 10 apps an hour.
    expect(streamMeans(shape)).toEqual({ workerCpuMilliPerApp: 6000, workerDurationMs: 2 * HOUR });
    expect(rateForCores(shape, () => 120)(0)).toBeCloseTo(10, 9);
  });

  it('refuses a spec that cannot make a stream, naming the field', () => {
    expect(() => planApps({ ...spec, horizonMs: 0 })).toThrow(/horizonMs must be positive/);
    expect(() => planApps({ ...spec, workers: [5, 2] })).toThrow(/workers must be a range/);
    expect(() => planApps({ ...spec, workerCpuMilli: [] })).toThrow(/workerCpuMilli/);
    expect(() => planApps({ ...spec, sparkShare: 2 })).toThrow(/sparkShare/);
    expect(() => planApps({ ...spec, appsPerHour: () => Number.NaN })).toThrow(/appsPerHour must be a finite rate/);
  });
});

describe('judgeNode', () => {
  const node = { node: 'n', cpuMilli: 16_000, systemCpuMilli: 420, onlinePods: 4, offlinePods: 3 };

  it('counts nothing unmet while the node has room for everyone', () => {
    expect(judgeNode({ ...node, onlineCpuMilli: 4_000, offlineCpuMilli: 9_000 })).toEqual({ used: 13_420, unmet: 0, overCapacity: false });
  });

  it('counts online demand beyond what the system and the offline pods leave as unmet', () => {
    const j = judgeNode({ ...node, onlineCpuMilli: 6_000, offlineCpuMilli: 10_000 });
    expect(j.used).toBe(16_000);
    expect(j.unmet).toBe(6_000 - (16_000 - 420 - 10_000));
    expect(j.overCapacity).toBe(false);
  });

  it('tells online demand that alone exceeds the node apart', () => {
    expect(judgeNode({ ...node, onlineCpuMilli: 17_000, offlineCpuMilli: 0 })).toMatchObject({ unmet: 1_420, overCapacity: true });
  });

  it('counts no unmet demand on a node without online demand, however busy', () => {
    expect(judgeNode({ ...node, onlineCpuMilli: 0, offlineCpuMilli: 30_000 }).unmet).toBe(0);
  });
});
