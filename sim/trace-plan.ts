// The app stream of a utilization trace, planned up front from a seed: which Spark and Flink
// apps arrive when, how many workers each asks for, of what size and for how long. A plan is a
// pure function of its spec, so the same trace can be replayed against two schedulers in one
// run and compared app for app.

export type AppKind = 'spark' | 'flink';

export interface PodShape {
  /** Millicores requested. */
  cpuMilli: number;
  /** Bytes requested. */
  memoryBytes: number;
}

export interface AppPlan {
  /** A DNS label, unique in the plan: the Spark app selector or the Flink cluster id. */
  id: string;
  kind: AppKind;
  /** Simulated ms after the trace starts. */
  arriveAfterMs: number;
  /** The Spark driver or Flink jobmanager (online: losing it loses the app). */
  leader: PodShape & { /** What it uses while running, millicores. */ usageCpuMilli: number };
  /** Spark executors or Flink taskmanagers (offline). */
  workers: number;
  worker: PodShape;
  /** How long each worker runs once started, simulated ms. */
  workerDurationMs: number;
}

export interface AppStreamSpec {
  seed: number;
  /** The span arrivals are planned over, simulated ms. */
  horizonMs: number;
  /**
   * Mean arrivals per simulated hour at `atMs` after the start (a number: the same all day).
   * Arrivals are a Poisson process with this rate.
   */
  appsPerHour: number | ((atMs: number) => number);
  /** Share of apps that are Spark (the rest Flink). Default 0.7. */
  sparkShare?: number;
  /** Workers per app, inclusive range. Default [2, 8]. */
  workers?: readonly [number, number];
  /** Worker CPU sizes to choose from, millicores. Default [1000, 2000, 4000]. */
  workerCpuMilli?: readonly number[];
  /** Worker memory per requested core, bytes. Default 3 GiB. */
  workerMemoryPerCore?: number;
  /** Worker run time, inclusive range, simulated ms. Default 30 min to 2.5 h. */
  workerDurationMs?: readonly [number, number];
}

const GI = 1024 ** 3;
const MI = 1024 ** 2;
/** spark.driver.cores 1, spark.driver.memory 1g + 384 MiB overhead. */
const DRIVER: PodShape = { cpuMilli: 1000, memoryBytes: 1408 * MI };
/** Flink's jobmanager.memory.process.size default, 1600m, one core. */
const JOBMANAGER: PodShape = { cpuMilli: 1000, memoryBytes: 1600 * MI };
/** A leader mostly waits for its workers. */
const LEADER_USAGE_MILLI = 300;
/** How long the arrival rate is held constant. */
const RATE_SLOT_MS = 60_000;

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence on every run. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkRange(name: string, r: readonly [number, number], min: number): void {
  if (!(Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] >= min && r[1] >= r[0])) {
    throw new RangeError(`app stream: ${name} must be a range [low, high] with ${min} <= low <= high, got ${JSON.stringify(r)}`);
  }
}

/** Plans the apps of a trace; throws a RangeError naming the field of a bad spec. */
export function planApps(spec: AppStreamSpec): AppPlan[] {
  const sparkShare = spec.sparkShare ?? 0.7;
  const workersRange = spec.workers ?? [2, 8];
  const cpuChoices = spec.workerCpuMilli ?? [1000, 2000, 4000];
  const memPerCore = spec.workerMemoryPerCore ?? 3 * GI;
  const durationRange = spec.workerDurationMs ?? [30 * 60_000, 150 * 60_000];
  if (!(spec.horizonMs > 0)) throw new RangeError(`app stream: horizonMs must be positive, got ${spec.horizonMs}`);
  if (!(sparkShare >= 0 && sparkShare <= 1)) throw new RangeError(`app stream: sparkShare must be in [0, 1], got ${sparkShare}`);
  checkRange('workers', workersRange, 1);
  checkRange('workerDurationMs', durationRange, 1);
  if (cpuChoices.length === 0 || !cpuChoices.every((c) => Number.isInteger(c) && c > 0)) {
    throw new RangeError(`app stream: workerCpuMilli must list positive whole millicores, got ${JSON.stringify(cpuChoices)}`);
  }
  if (!(memPerCore > 0)) throw new RangeError(`app stream: workerMemoryPerCore must be positive, got ${memPerCore}`);
  const rate = typeof spec.appsPerHour === 'number' ? (() => spec.appsPerHour as number) : spec.appsPerHour;

  const random = seededRandom(spec.seed);
  const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const apps: AppPlan[] = [];
  // A Poisson process whose rate is held for a simulated minute at a time: within a slot the gap
  // to the next arrival is exponential at the slot's rate; a gap that crosses the slot's end is
  // dropped and drawn again from the next slot (exact, as the process has no memory).
  let t = 0;
  for (;;) {
    const slotStart = Math.floor(t / RATE_SLOT_MS) * RATE_SLOT_MS;
    const slotEnd = slotStart + RATE_SLOT_MS;
    const perHour = rate(slotStart);
    if (!(perHour >= 0) || !Number.isFinite(perHour)) throw new RangeError(`app stream: appsPerHour must be a finite rate >= 0, got ${perHour} at ${slotStart} ms`);
    const gap = perHour === 0 ? Infinity : (-Math.log(1 - random()) / perHour) * 3_600_000;
    if (t + gap >= slotEnd) {
      t = slotEnd;
      if (t >= spec.horizonMs) break;
      continue;
    }
    t += gap;
    if (t >= spec.horizonMs) break;
    const kind: AppKind = random() < sparkShare ? 'spark' : 'flink';
    const cpu = cpuChoices[Math.floor(random() * cpuChoices.length)]!;
    const n = apps.length;
    apps.push({
      id: `${kind}-${String(n).padStart(6, '0')}`,
      kind,
      arriveAfterMs: Math.round(t),
      leader: { ...(kind === 'spark' ? DRIVER : JOBMANAGER), usageCpuMilli: LEADER_USAGE_MILLI },
      workers: between(workersRange[0], workersRange[1]),
      worker: { cpuMilli: cpu, memoryBytes: Math.round((cpu / 1000) * memPerCore) },
      workerDurationMs: between(durationRange[0], durationRange[1]),
    });
  }
  return apps;
}

/** Mean worker cores asked for per app and mean worker run time of a stream spec (for sizing it). */
export function streamMeans(spec: Pick<AppStreamSpec, 'workers' | 'workerCpuMilli' | 'workerDurationMs'>): { workerCpuMilliPerApp: number; workerDurationMs: number } {
  const w = spec.workers ?? [2, 8];
  const cpu = spec.workerCpuMilli ?? [1000, 2000, 4000];
  const d = spec.workerDurationMs ?? [30 * 60_000, 150 * 60_000];
  const meanCpu = cpu.reduce((a, b) => a + b, 0) / cpu.length;
  return { workerCpuMilliPerApp: ((w[0] + w[1]) / 2) * meanCpu, workerDurationMs: (d[0] + d[1]) / 2 };
}

/**
 * An arrival rate that keeps about `cores(atMs)` worker cores busy (Little's law: arrivals ×
 * mean app cores × mean run time), for a stream shaped as `spec`.
 */
export function rateForCores(spec: Pick<AppStreamSpec, 'workers' | 'workerCpuMilli' | 'workerDurationMs'>, cores: (atMs: number) => number): (atMs: number) => number {
  const m = streamMeans(spec);
  const coreHoursPerApp = (m.workerCpuMilliPerApp / 1000) * (m.workerDurationMs / 3_600_000);
  return (atMs) => Math.max(0, cores(atMs)) / coreHoursPerApp;
}

