// The colocation utilization trace: `runTrace(opts)` for `bench colocation` (its phase 2), or on
// its own: `npx tsx test/bench/_trace.ts [--quick] [--clusters N] [--nodes N] [--time-scale N]
// [--seed N] [--stream-target F]`, last line `BENCH colocation-trace {...}`.
//
// 3 clusters × 200 nodes (16 cores, 64 GiB), online services on a day/night curve (requests
// 85 % of each node, ~25 % average use, ±10 % minute-to-minute noise), a seeded stream of Spark
// and Flink apps (70 % Spark; 2–8 workers of 1, 2 or 4 cores, 30 min – 2.4 h each), one
// simulated day at `timeScale` × real time, played twice in one run from the same plan:
// the sim's request-based default scheduler (baseline), then Tidepool's colocation parts
// (ours). Figures: average CPU utilization of both, online demand not met (node samples),
// the p99 wait of offline pods (started ones, and the age of those still waiting at the end),
// apps completed and deadlocked. --quick: 3 × 20 nodes and an hour-long day.
// (The leading underscore keeps test/bench/run.ts from taking it for a suite.)
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_COLOCATION_SETTINGS, type ColocationPolicySpec } from '../../api/index.js';
import { DEFAULT_ONLINE_SERVICES } from '../../sim/index.js';
import { batchWorkerRequests, type StackSettings } from './_trace-stack.js';
import { clusterPlan, runOnce, type RunFigures, type TraceConfig, type TraceMode } from './_trace-run.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const GI = 1024 ** 3;

/**
 * The ColocationPolicy the trace runs with. The defaults (reclaim 65 %) cap a node's use at
 * about 65 %: batch capacity = allocatable × reclaim − online peak − system, and offline work
 * uses at most what it was given. A ≥ 70 % target needs more room lent, so the trace lends up to
 * 90 % of CPU, stops placing offline pods on nodes measured at 85 % and evicts above 95 %
 * (the policy's required 10-point gap). Memory stays close to the defaults.
 */
export const TRACE_POLICY: ColocationPolicySpec = {
  thresholds: {
    reclaimPercent: { cpu: 90, memory: 80 },
    offlineLoadPercent: { cpu: 85, memory: 80 },
    evictionPercent: { cpu: 95, memory: 90 },
  },
  usageWindowSeconds: DEFAULT_COLOCATION_SETTINGS.usageWindowSeconds,
  // metrics.k8s.io is read every simulated minute; a few missed reads must not zero the capacity.
  staleAfterSeconds: 300,
  nodePools: [],
};

function stackSettings(): StackSettings {
  return {
    policy: TRACE_POLICY,
    metricsIntervalMs: MINUTE,
    batchMaxQuietMs: 30 * MINUTE,
    evictionSustainMs: 2 * MINUTE,
    evictionCooldownMs: 5 * MINUTE,
    evictionBackoffMs: 10 * MINUTE,
    scheduler: {
      // Simulated time: kube-scheduler's backoff; an assumed binding and a gang's wait get room
      // for the informer's delay, which real time multiplies by the time scale.
      backoffInitialMs: 1_000,
      backoffMaxMs: 10_000,
      maxUnschedulableMs: MINUTE,
      assumeTtlMs: 10 * MINUTE,
      // Packing leaves larger holes for large workers than spreading does (measured: spreading
      // doubled the 4-core workers' wait p50 and deadlocked more apps).
      offlinePlacement: 'pack',
      // Executors are mutated onto batch resources, so a driver's hold on room for its first two
      // workers must be in that currency (the default, 1 core of plain cpu, is not), and of the
      // largest worker size in the stream: a smaller hold fits no large worker and only blocks.
      gang: { workerRequests: batchWorkerRequests(4_000, 8 * GI), permitTimeoutMs: 10 * MINUTE, reservationTimeoutMs: 10 * MINUTE },
    },
  };
}

export function traceConfig(quick: boolean): TraceConfig {
  const dayMs = quick ? HOUR : 24 * HOUR;
  return {
    clusters: 3,
    nodes: quick ? 20 : 200,
    nodeShape: { cpu: '32', memory: '128Gi', pods: 110 },
    dayMs,
    timeScale: quick ? 120 : 240,
    // How late (simulated) the parts may act: small against the shortest worker run (day / 48).
    maxLagMs: quick ? 5_000 : 30_000,
    seed: 1,
    curveLow: 0.5,
    curveHigh: 1,
    online: { ...DEFAULT_ONLINE_SERVICES },
    streamTarget: 0.75,
    workerUsageShare: 0.9,
    stream: {
      workers: [2, 8],
      workerCpuMilli: [1000, 2000, 4000],
      workerMemoryPerCore: 2 * GI,
      workerDurationMs: [Math.round(dayMs / 48), Math.round(dayMs / 10)],
      sparkShare: 0.7,
    },
    sampleIntervalMs: quick ? 15_000 : MINUTE,
    // Twice the longest a worker runs: an app whose leader waits that long for any worker is deadlocked, not slow.
    stuckAfterMs: Math.round((2 * dayMs) / 10),
    stack: stackSettings(),
    warmupTimeoutMs: 60_000,
  };
}

export interface TraceOptions {
  quick: boolean;
  /** Accepted for bench colocation's hook; the trace always reads load from metrics.k8s.io. */
  sources?: boolean;
  log?: (line: string) => void;
  /** Overrides of the configuration (sizes, time scale, seed, ...). */
  config?: Partial<TraceConfig>;
  /** Run only these modes (default both). */
  modes?: readonly TraceMode[];
  /**
   * Each mode in a process of its own, both at once (default): two cores, half the wall time.
   * false: one after the other in this process (tests).
   */
  parallel?: boolean;
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** Runs one mode in a forked child (_trace-child.ts); rejects with the child's error. */
function runInChild(mode: TraceMode, cfg: TraceConfig): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(join(HERE, '_trace-child.ts'), [mode, JSON.stringify(cfg)], { execArgv: ['--import', 'tsx', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer: { result?: RunFigures; error?: string } | undefined;
    child.on('message', (m: { result?: RunFigures; error?: string }) => {
      answer = m;
    });
    child.on('exit', (code, signal) => {
      if (answer?.result) resolve(answer.result);
      else reject(new Error(`trace (${mode}) process: ${answer?.error ?? `exited with code ${code}, signal ${signal}, and no result`}`));
    });
  });
}

export type TraceFigures = Record<string, number | string | boolean>;

const round = (v: number, digits = 1): number => Number(v.toFixed(digits));

function modeFigures(prefix: '' | 'baseline', r: RunFigures): TraceFigures {
  const name = (k: string): string => (prefix ? `baseline${k[0]!.toUpperCase()}${k.slice(1)}` : k);
  const w = r.waits;
  return {
    [name('utilization')]: round(r.summary.utilization * 100),
    [name('onlineUnmetSamples')]: r.summary.onlineUnmetSamples,
    [name('offlineWaitP50Seconds')]: round(w.p50),
    [name('offlineWaitP99Seconds')]: round(w.p99),
    [name('offlineWaitMaxSeconds')]: round(w.max),
    [name('completedApps')]: r.apps.completed,
    [name('deadlockedApps')]: r.apps.stuck,
    [name('pendingWorkersAtEnd')]: r.pendingWorkers,
    [name('leadersWaitingAtEnd')]: r.apps.leadersWaiting,
    [name('onlineShare')]: round(r.summary.onlineShare * 100),
    [name('offlineShare')]: round(r.summary.offlineShare * 100),
    [name('traceWallSeconds')]: round(r.wallSeconds),
    [name('traceEventLoopP99Ms')]: round(r.eventLoopP99Ms),
    [name('traceMeanScale')]: round(r.meanScale),
  };
}

/** Runs the trace (both modes from one plan) and returns the figures for the BENCH line. */
export async function runTrace(opts: TraceOptions): Promise<TraceFigures> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const cfg: TraceConfig = { ...traceConfig(opts.quick), ...opts.config };
  const modes = opts.modes ?? ['baseline', 'ours'];
  const plans = Array.from({ length: cfg.clusters }, (_, i) => clusterPlan(cfg, i));
  const planned = plans.reduce((a, p) => a + p.length, 0);
  log(
    `utilization trace: ${cfg.clusters} clusters × ${cfg.nodes} nodes (${cfg.nodeShape.cpu} cores), a ${(cfg.dayMs / HOUR).toFixed(1)} h day at up to ${cfg.timeScale}× ` +
      `(${((cfg.dayMs / cfg.timeScale) / 1000).toFixed(0)} s a run at best), ${planned} apps planned (seed ${cfg.seed})`,
  );
  const figures: TraceFigures = {
    traceClusters: cfg.clusters,
    traceNodes: cfg.nodes,
    traceHours: round(cfg.dayMs / HOUR, 2),
    traceMaxTimeScale: cfg.timeScale,
    traceSeed: cfg.seed,
    appsPlanned: planned,
    streamTarget: cfg.streamTarget,
    reclaimPercentCpu: cfg.stack.policy.thresholds.reclaimPercent.cpu,
  };
  const results = new Map<TraceMode, RunFigures>();
  if (opts.parallel !== false) {
    const done = await Promise.all(modes.map((m) => runInChild(m, cfg)));
    modes.forEach((m, i) => results.set(m, done[i]!));
  } else {
    for (const mode of modes) results.set(mode, await runOnce(mode, cfg, plans, log));
  }
  for (const mode of modes) {
    const r = results.get(mode)!;
    const w = r.waits;
    log(
      `  ${mode}: utilization ${(r.summary.utilization * 100).toFixed(1)} % (online ${(r.summary.onlineShare * 100).toFixed(1)}, offline ${(r.summary.offlineShare * 100).toFixed(1)}, system ${(r.summary.systemShare * 100).toFixed(1)}), ` +
        `online unmet ${r.summary.onlineUnmetSamples}/${r.summary.nodeSamples} node samples, offline wait p50 ${w.p50.toFixed(0)} s, p99 ${w.p99.toFixed(0)} s, max ${w.max.toFixed(0)} s, ` +
        `apps ${r.apps.completed} completed / ${r.apps.arrived} arrived, ${r.apps.stuck} deadlocked, ${r.apps.workersLost} workers evicted, ` +
        `${r.pendingWorkers} workers and ${r.apps.leadersWaiting} leaders still waiting; ${r.wallSeconds.toFixed(0)} s wall at ${r.meanScale.toFixed(0)}× on average (slowest ${r.minScale.toFixed(0)}×), event loop p99 ${r.eventLoopP99Ms.toFixed(0)} ms` +
        (r.apps.errors.length ? `; errors: ${r.apps.errors.slice(0, 3).join(' | ')}` : ''),
    );
  }
  const base = results.get('baseline');
  const ours = results.get('ours');
  if (base) Object.assign(figures, modeFigures('baseline', base));
  if (ours) {
    Object.assign(figures, modeFigures('', ours));
    figures['evictedWorkers'] = ours.apps.workersLost;
    figures['onlineOverCapacitySamples'] = ours.summary.onlineOverCapacitySamples;
  }
  if (base && ours) figures['utilizationVsBaseline'] = round(ours.summary.utilization / Math.max(1e-9, base.summary.utilization), 2);
  return figures;
}

// ------------------------------------------------------------------ on its own

export interface Args {
  quick: boolean;
  config: Partial<TraceConfig>;
  modes?: TraceMode[];
  parallel: boolean;
}

export function parseArgs(args: string[]): Args {
  const out: Args = { quick: false, config: {}, parallel: true };
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) throw new Error(`${flag} needs a number of at least ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--quick') out.quick = true;
    else if (a === '--serial') out.parallel = false;
    else if (a === '--clusters') out.config.clusters = num(a, args[++i], 1);
    else if (a === '--nodes') out.config.nodes = num(a, args[++i], 1);
    else if (a === '--time-scale') out.config.timeScale = num(a, args[++i], 1);
    else if (a === '--seed') out.config.seed = num(a, args[++i], 0);
    else if (a === '--node-cpu') {
      const cpu = num(a, args[++i], 2);
      out.config.nodeShape = { cpu: String(cpu), memory: `${cpu * 4}Gi`, pods: 110 };
    }
    else if (a === '--stream-target') out.config.streamTarget = num(a, args[++i], 0);
    else if (a === '--only') {
      const m = args[++i];
      if (m !== 'baseline' && m !== 'ours') throw new Error(`--only needs baseline or ours, got ${JSON.stringify(m)}`);
      out.modes = [m];
    } else throw new Error(`unknown flag ${JSON.stringify(a)}`);
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const a = parseArgs(args);
  const figures = await runTrace({ quick: a.quick, config: a.config, parallel: a.parallel, ...(a.modes ? { modes: a.modes } : {}) });
  console.log(`BENCH colocation-trace ${JSON.stringify(figures)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
