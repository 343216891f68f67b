// One run of the utilization trace on fresh simulated clusters: online services on the day
// curve, the planned app stream played from the same plan, and the figures the trace reports.
//
// - baseline: the sim's request-based default scheduler; pods as their submitters write them.
// - ours: Tidepool's colocation parts per cluster (_trace-stack.ts), app pods with
//   schedulerName tidepool-scheduler (spark.kubernetes.scheduler.name) and offline pods mutated
//   by the webhook's mutatePod before they are stored, as the API server would call it.
// (The leading underscore keeps test/bench/run.ts from taking it for a suite.)
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BATCH_CPU, SCHEDULER_NAME } from '../../api/index.js';
import { parseQuantity, podRequests, toUnits, type PodLike } from '../../kube/index.js';
import {
  AppRunner,
  TRACE_APPS_NAMESPACE,
  UtilizationSampler,
  dayFactor,
  governTimeScale,
  planApps,
  rateForCores,
  seedOnlineServices,
  startSim,
  systemUsage,
  type AppPlan,
  type AppRunnerStats,
  type AppStreamSpec,
  type DayCurve,
  type Governor,
  type NodeShape,
  type OnlineServiceSpec,
  type Sim,
  type UtilizationSummary,
} from '../../sim/index.js';
import { percentile } from './_stats.js';
import { admitWithWebhook, batchPublishedEverywhere, OFFLINE_PRIORITY_CLASS_BODY, requestCounts, startStack, stopStack, type ClusterStack, type StackSettings } from './_trace-stack.js';

export type TraceMode = 'baseline' | 'ours';

export interface TraceConfig {
  clusters: number;
  nodes: number;
  nodeShape: NodeShape;
  /** One simulated day, ms: the curve's period and the trace's length. */
  dayMs: number;
  /** Simulated ms per real ms at most: slower while the process cannot keep up (sim/time-governor.ts). */
  timeScale: number;
  /** Timer lateness the time governor tolerates, simulated ms (sim/time-governor.ts). */
  maxLagMs: number;
  seed: number;
  /** Online demand's lowest and highest multiplier of its peak over the day. */
  curveLow: number;
  curveHigh: number;
  online: OnlineServiceSpec;
  /**
   * The app stream is sized so that, were its workers running at once on arrival, the cluster's
   * CPU would be this busy (online + system + workers at their usage), at every time of day: more
   * batch work at night when the services are quiet. A property of the trace, not of a scheduler.
   */
  streamTarget: number;
  /** Share of a worker's request it uses. */
  workerUsageShare: number;
  stream: Required<Pick<AppStreamSpec, 'workers' | 'workerCpuMilli' | 'workerDurationMs' | 'workerMemoryPerCore' | 'sparkShare'>>;
  /** Simulated ms between utilization samples. */
  sampleIntervalMs: number;
  /** An app is stuck (deadlocked) after its leader ran this long with no worker started. */
  stuckAfterMs: number;
  stack: StackSettings;
  /** Real ms to wait for the colocation parts to publish batch capacity before the trace starts. */
  warmupTimeoutMs: number;
}

export interface RunFigures {
  mode: TraceMode;
  summary: UtilizationSummary;
  apps: AppRunnerStats;
  wallSeconds: number;
  /** Event loop delay p99 of this process, real ms (× the scale = simulated lag). */
  eventLoopP99Ms: number;
  /** The pace simulated time actually ran at, and its slowest. */
  meanScale: number;
  minScale: number;
  /** Apps planned (all clusters). */
  planned: number;
  /** offlineWaits(apps), seconds. */
  waits: { p50: number; p99: number; max: number };
  /** Workers still waiting at the end. */
  pendingWorkers: number;
}

/** The figures without the per-pod wait lists (what crosses the IPC channel). */
export function compact(r: RunFigures): RunFigures {
  return { ...r, apps: { ...r.apps, workerWaitsMs: [], workerWaitsByCpu: {}, leaderWaitsMs: [], pendingWorkerAgesMs: [], pendingLeaderAgesMs: [] } };
}

/** The simulated midnight the trace starts at: the day curve is at its lowest there. */
export function traceMidnight(): number {
  const now = Date.now();
  return now - (now % 86_400_000);
}

/** The plan of one cluster: the same for both runs. */
export function clusterPlan(cfg: TraceConfig, index: number): AppPlan[] {
  const curve = curveOf(cfg);
  const cpu = cfg.nodes * nodeCpuMilli(cfg.nodeShape);
  const systemShare = systemUsage(nodeCpuMilli(cfg.nodeShape), 0).cpuMilli / nodeCpuMilli(cfg.nodeShape);
  const meanFactor = (curve.low + curve.high) / 2;
  // Worker cores (requested) that fill the cluster to streamTarget at this time of day.
  const cores = (atMs: number): number => {
    const online = cfg.online.averageCpuShare * (dayFactor(curve, atMs) / meanFactor);
    return ((cfg.streamTarget - online - systemShare) * cpu) / cfg.workerUsageShare / 1000;
  };
  return planApps({ ...cfg.stream, seed: cfg.seed * 1_000 + index, horizonMs: cfg.dayMs, appsPerHour: rateForCores(cfg.stream, cores) });
}

export function curveOf(cfg: TraceConfig): DayCurve {
  return { dayLengthMs: cfg.dayMs, low: cfg.curveLow, high: cfg.curveHigh };
}

function nodeCpuMilli(shape: NodeShape): number {
  const v = shape.cpu.trim();
  return v.endsWith('m') ? Number(v.slice(0, -1)) : Number(v) * 1000;
}

export function clusterNames(cfg: TraceConfig): string[] {
  return Array.from({ length: cfg.clusters }, (_, i) => `trace-${String.fromCharCode(97 + (i % 26))}${i >= 26 ? i : ''}`);
}

function sum(a: readonly AppRunnerStats[], k: keyof AppRunnerStats): number {
  return a.reduce((s, x) => s + (x[k] as number), 0);
}

function mergeStats(all: readonly AppRunnerStats[]): AppRunnerStats {
  return {
    arrived: sum(all, 'arrived'),
    completed: sum(all, 'completed'),
    stuck: sum(all, 'stuck'),
    leadersWaiting: sum(all, 'leadersWaiting'),
    failed: sum(all, 'failed'),
    workersCreated: sum(all, 'workersCreated'),
    workersStarted: sum(all, 'workersStarted'),
    workersSucceeded: sum(all, 'workersSucceeded'),
    workersLost: sum(all, 'workersLost'),
    workerWaitsMs: all.flatMap((s) => s.workerWaitsMs),
    workerWaitsByCpu: all.reduce<Record<string, number[]>>((acc, s) => {
      for (const [k, v] of Object.entries(s.workerWaitsByCpu)) (acc[k] ??= []).push(...v);
      return acc;
    }, {}),
    leaderWaitsMs: all.flatMap((s) => s.leaderWaitsMs),
    pendingWorkerAgesMs: all.flatMap((s) => s.pendingWorkerAgesMs),
    pendingLeaderAgesMs: all.flatMap((s) => s.pendingLeaderAgesMs),
    errors: all.flatMap((s) => s.errors),
  };
}

/** Waits (seconds, simulated) of every worker: started ones, and the age so far of those still pending. */
export function offlineWaits(apps: AppRunnerStats): { p50: number; p99: number; max: number } {
  const all = [...apps.workerWaitsMs, ...apps.pendingWorkerAgesMs].sort((a, b) => a - b);
  return { p50: percentile(all, 50) / 1000, p99: percentile(all, 99) / 1000, max: (all[all.length - 1] ?? 0) / 1000 };
}

/** The most common PodScheduled messages of the trace's pods still waiting (what the schedulers said). */
function waitingReasons(sim: Sim, names: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const name of names) {
    const c = sim.cluster(name);
    for (const o of c.store.values('/pods')) {
      if (o.namespace !== TRACE_APPS_NAMESPACE || (o.fields['spec.nodeName'] ?? '') !== '') continue;
      const pod = c.api.parse(o) as { status?: { conditions?: Array<{ type?: string; message?: string }> } };
      const msg = pod.status?.conditions?.find((x) => x.type === 'PodScheduled')?.message ?? '(not tried yet)';
      const key = msg.replace(/\d+/g, 'N').slice(0, 300);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([m, n]) => `${n}× ${m}`);
}

/** Σ batch-cpu the nodes show and Σ batch-cpu their pods request, cores (ours only). */
function batchBook(sim: Sim, names: readonly string[]): { offered: number; requested: number } {
  let offered = 0;
  let requested = 0;
  for (const name of names) {
    const c = sim.cluster(name);
    for (const o of c.store.values('/nodes')) {
      const alloc = ((c.api.parse(o)['status'] as Record<string, unknown> | undefined)?.['allocatable'] ?? {}) as Record<string, string>;
      try {
        offered += toUnits(parseQuantity(alloc[BATCH_CPU] ?? '0'));
      } catch {
        // a malformed figure offers nothing
      }
    }
    for (const o of c.store.values('/pods')) {
      const phase = o.fields['status.phase'] ?? '';
      if ((o.fields['spec.nodeName'] ?? '') === '' || phase === 'Succeeded' || phase === 'Failed') continue;
      if (!o.json.includes(BATCH_CPU)) continue;
      try {
        requested += podRequests(c.api.parse(o) as unknown as PodLike)[BATCH_CPU] ?? 0;
      } catch {
        // not ours to judge
      }
    }
  }
  return { offered: offered / 1000, requested: requested / 1000 };
}

async function sleepReal(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Runs the trace once in `mode` on its own sim; everything it starts is stopped before it returns. */
export async function runOnce(mode: TraceMode, cfg: TraceConfig, plans: readonly AppPlan[][], log: (line: string) => void): Promise<RunFigures> {
  const names = clusterNames(cfg);
  const curve = curveOf(cfg);
  const started = performance.now();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let sim: Sim | undefined;
  const stacks: ClusterStack[] = [];
  const runners: AppRunner[] = [];
  let sampler: UtilizationSampler | undefined;
  let governor: Governor | undefined;
  try {
    sim = await startSim({ clusters: names, nodes: cfg.nodes, nodeShape: cfg.nodeShape, timeScale: cfg.timeScale, startAt: traceMidnight(), dayCurve: curve, leaseIntervalMs: 0 });
    const clock = sim.clock;
    governor = governTimeScale(clock, { maxScale: cfg.timeScale, maxLagMs: cfg.maxLagMs, maxBusy: 0.92 });
    for (const name of names) seedOnlineServices(sim.cluster(name), curve, cfg.online);
    if (mode === 'ours') {
      for (const name of names) {
        const c = sim.cluster(name);
        c.api.create(c.api.registry.lookup('scheduling.k8s.io', 'v1', 'priorityclasses')!, '', structuredClone(OFFLINE_PRIORITY_CLASS_BODY));
        stacks.push(await startStack(sim, name, cfg.stack, clock));
      }
      const deadline = Date.now() + cfg.warmupTimeoutMs;
      while (!names.every((n) => batchPublishedEverywhere(sim!, n))) {
        if (Date.now() > deadline) throw new Error(`trace (${mode}): batch capacity not published on every node within ${cfg.warmupTimeoutMs} ms`);
        await sleepReal(50);
      }
    }
    for (const [i, name] of names.entries()) {
      runners.push(
        new AppRunner({
          cluster: sim.cluster(name),
          plan: plans[i]!,
          stuckAfterMs: cfg.stuckAfterMs,
          ...(mode === 'ours' ? { schedulerName: SCHEDULER_NAME, admit: admitWithWebhook } : {}),
        }),
      );
    }
    sampler = new UtilizationSampler({ clusters: names.map((n) => sim!.cluster(n)), intervalMs: cfg.sampleIntervalMs, clock });
    loop.enable();
    const t0 = clock.now();
    for (const r of runners) r.start();
    sampler.start();
    const end = t0 + cfg.dayMs;
    let nextReport = t0 + cfg.dayMs / 8;
    while (clock.now() < end) {
      await sleepReal(Math.min(250, Math.max(5, (end - clock.now()) / clock.scale)));
      if (clock.now() >= nextReport && clock.now() < end) {
        nextReport += cfg.dayMs / 8;
        const s = sampler.summary();
        const a = mergeStats(runners.map((r) => r.snapshot()));
        const hours = (clock.now() - t0) / 3_600_000;
        log(`  ${mode} ${hours.toFixed(1)} h (${clock.scale.toFixed(0)}×): utilization ${(s.utilization * 100).toFixed(1)} %, apps ${a.completed}/${a.arrived} done, ${a.leadersWaiting} leaders and ${a.pendingWorkerAgesMs.length} workers waiting, ${a.stuck} stuck, unmet ${s.onlineUnmetSamples}`);
      }
    }
    sampler.stop();
    for (const r of runners) r.stop();
    loop.disable();
    const bySize = mergeStats(runners.map((r) => r.snapshot())).workerWaitsByCpu;
    log(
      `  ${mode}: started workers' wait p50/p99 by size: ` +
        Object.entries(bySize)
          .sort((a, b) => Number(a[0]) - Number(b[0]))
          .map(([cpu, w]) => {
            const sorted = [...w].sort((a, b) => a - b);
            return `${Number(cpu) / 1000} cores ${(percentile(sorted, 50) / 1000).toFixed(0)}/${(percentile(sorted, 99) / 1000).toFixed(0)} s (${w.length})`;
          })
          .join(', '),
    );
    const reasons = waitingReasons(sim, names);
    if (reasons.length > 0) log(`  ${mode}: why pods still wait: ${reasons.join('; ')}`);
    if (mode === 'ours') {
      const top = [...requestCounts.entries()].sort((x, y) => y[1] - x[1]).slice(0, 8).map(([k, v]) => `${k} ${v}`);
      log(`  ours: API requests of the colocation parts: ${top.join(', ')}`);
      const b = batchBook(sim, names);
      log(`  ours: batch-cpu offered ${b.offered.toFixed(0)} cores, requested by bound pods ${b.requested.toFixed(0)} cores`);
    }
    const summary = sampler.summary();
    const apps = mergeStats(runners.map((r) => r.snapshot()));
    const pace = governor.stats();
    return {
      meanScale: pace.meanScale,
      minScale: pace.minScale,
      mode,
      summary,
      apps,
      wallSeconds: (performance.now() - started) / 1000,
      eventLoopP99Ms: loop.percentile(99) / 1e6,
      planned: plans.reduce((a, p) => a + p.length, 0),
      waits: offlineWaits(apps),
      pendingWorkers: apps.pendingWorkerAgesMs.length,
    };
  } finally {
    governor?.stop();
    sampler?.stop();
    for (const r of runners) r.stop();
    loop.disable();
    await Promise.allSettled(stacks.map((s) => stopStack(s)));
    await sim?.stop();
  }
}
