// `npm run bench -- colocation [--quick] [--sources] [--nodes N] [--pods N] [--concurrency N]
//   [--qps N] [--burst N] [--max-in-flight N] [--binding-concurrency N] [--percentage-of-nodes-to-score P]
//   [--sample-interval-ms N] [--lease-interval-ms N] [--warmup N] [--no-scheduled-events]
//   [--profile DIR] [--skip-trace] [--skip-isolation] [--isolation-rounds N] [--isolation-seconds S]`
//
// Colocation end to end, side by side in one run:
//   1. Throughput of Tidepool's scheduler on the sim: N offline pods (as the admission webhook
//      stores them: batch resources, tidepool-offline, schedulerName tidepool-scheduler) onto a
//      fleet of simulated nodes whose measured load is fed to the scheduler (_coloc-scheduler.ts:
//      a LoadStore fed at an agent's cadence), so the load threshold filter and the load-aware
//      score really run — HOT_SHARE of the nodes are too hot for offline work and must get none.
//      Three processes: the sim (_coloc-sim.ts, its default scheduler off), the scheduler
//      (startScheduler, the component users run), and this one (the users' client and a watch).
//      Against the ceiling: the same pods created the same way and bound to precomputed nodes by
//      a plain binder (_coloc-binder.ts: the scheduler's informer and projection, pods/binding,
//      the scheduler's QPS/burst and in-flight bindings, in a process of its own) with no
//      scheduler running — what the API allows the scheduler's I/O path. Half the ceiling runs
//      before the burst and half after, so drift of a shared machine hits both.
//   2. The utilization trace (another suite's phase, merged when test/bench/_trace*.ts exports
//      runTrace; see runTraceHook).
//   3. Interference on real cgroups: isolation.ts's phases (alone, the hogs as ordinary
//      Burstable pods, as the webhook stores them without the agent, and with Tidepool as a whole).
// Last line: `BENCH colocation {...}`.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { DEFAULT_SETTINGS } from '../../colocation/scheduler/index.js';
import type { KubeClient } from '../../kube/index.js';
import { loadCompiled } from './_compiled.js';
import { createAndWaitBound, type PhaseResult } from './_coloc-load.js';
import { BinderProcess, SchedulerProcess, SimProcess } from './_coloc-procs.js';
import { BINDER_LABEL, BINDER_VALUE, CLUSTER, nodeIndex, nodeLoad, nodeName } from './_coloc-workload.js';
import { percentile } from './_stats.js';
import { parseMetrics, processCpuMs, sumOf } from './_vn-procs.js';
import { isolationConfig, runIsolation, type IsolationFigures } from './isolation.js';

export interface Config {
  nodes: number;
  pods: number;
  concurrency: number;
  qps: number;
  burst: number;
  maxInFlight: number;
  /** The scheduler's binding requests on the wire at once; 0 keeps its default. */
  bindingConcurrency: number;
  percentageOfNodesToScore: number;
  sampleIntervalMs: number;
  leaseIntervalMs: number;
  warmup: number;
  scheduledEvents: boolean;
  quick: boolean;
  sources: boolean;
  profileDir: string;
  skipTrace: boolean;
  skipIsolation: boolean;
  /** Arguments for the isolation phases (isolation.ts's flags). */
  isolationArgs: string[];
}

const FULL: Config = {
  nodes: 5000,
  pods: 10_000,
  concurrency: 64,
  qps: 5000,
  burst: 10_000,
  maxInFlight: 512,
  bindingConcurrency: 0,
  percentageOfNodesToScore: 0,
  sampleIntervalMs: 2000,
  leaseIntervalMs: 10_000,
  warmup: 200,
  scheduledEvents: true,
  quick: false,
  sources: false,
  profileDir: '',
  skipTrace: false,
  skipIsolation: false,
  isolationArgs: [],
};
const QUICK: Config = { ...FULL, nodes: 1000, pods: 2000, warmup: 100, quick: true };

const NUMERIC: Record<string, keyof Config> = {
  '--nodes': 'nodes',
  '--pods': 'pods',
  '--concurrency': 'concurrency',
  '--qps': 'qps',
  '--burst': 'burst',
  '--max-in-flight': 'maxInFlight',
  '--binding-concurrency': 'bindingConcurrency',
  '--percentage-of-nodes-to-score': 'percentageOfNodesToScore',
  '--sample-interval-ms': 'sampleIntervalMs',
  '--lease-interval-ms': 'leaseIntervalMs',
  '--warmup': 'warmup',
};
const ZERO_OK = new Set<keyof Config>(['percentageOfNodesToScore', 'bindingConcurrency', 'leaseIntervalMs', 'warmup']);
/** Passed on to the isolation phases, renamed to isolation.ts's own flags. */
const ISOLATION_FLAGS: Record<string, string> = { '--isolation-rounds': '--rounds', '--isolation-seconds': '--seconds', '--isolation-hogs': '--hogs' };

/** Flags to a configuration; a bad value is an error that names the flag. */
export function parseArgs(args: string[]): Config {
  const cfg: Config = { ...(args.includes('--quick') ? QUICK : FULL), isolationArgs: args.includes('--quick') ? ['--quick'] : [] };
  const flags = ['--quick', '--sources', '--no-scheduled-events', '--skip-trace', '--skip-isolation', '--profile', ...Object.keys(NUMERIC), ...Object.keys(ISOLATION_FLAGS)];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--quick') continue;
    if (a === '--sources') cfg.sources = true;
    else if (a === '--no-scheduled-events') cfg.scheduledEvents = false;
    else if (a === '--skip-trace') cfg.skipTrace = true;
    else if (a === '--skip-isolation') cfg.skipIsolation = true;
    else if (a === '--profile') {
      const v = args[++i];
      if (!v || v.startsWith('--')) throw new Error("bench colocation: --profile needs a directory for the scheduler's CPU profile");
      cfg.profileDir = v;
    } else if (ISOLATION_FLAGS[a] !== undefined) {
      const v = args[++i];
      if (v === undefined || !(Number(v) > 0)) throw new Error(`bench colocation: ${a} needs a positive number, got ${JSON.stringify(v)}`);
      cfg.isolationArgs.push(ISOLATION_FLAGS[a]!, v);
    } else {
      const key = NUMERIC[a];
      if (!key) throw new Error(`bench colocation: unknown flag "${a}" (known: ${flags.join(', ')})`);
      const v = args[++i];
      const min = ZERO_OK.has(key) ? 0 : 1;
      if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new Error(`bench colocation: ${a} needs a whole number of at least ${min}, got ${JSON.stringify(v)}`);
      (cfg[key] as number) = Number(v);
    }
  }
  if (cfg.percentageOfNodesToScore > 100) throw new Error('bench colocation: --percentage-of-nodes-to-score is 0 (adaptive, as kube-scheduler) to 100');
  return cfg;
}

// ------------------------------------------------------------------ the utilization trace hook

/** What the utilization-trace phase returns: figures merged into the BENCH line. */
type TraceFigures = Record<string, unknown>;
type RunTrace = (opts: { quick: boolean; sources: boolean; log: (line: string) => void }) => Promise<TraceFigures>;

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * The utilization-trace phase is written in another file (test/bench/_trace*.ts exporting
 * `runTrace(opts)`); this finds it and runs it, or says why it did not.
 */
export async function runTraceHook(cfg: Pick<Config, 'quick' | 'sources'>, log: (line: string) => void): Promise<TraceFigures> {
  const files = readdirSync(HERE).filter((f) => /^_trace.*\.ts$/.test(f)).sort();
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(HERE, f)).href)) as { runTrace?: RunTrace };
    if (typeof mod.runTrace === 'function') return mod.runTrace({ quick: cfg.quick, sources: cfg.sources, log });
  }
  return { traceSkipped: 'no test/bench/_trace*.ts exports runTrace yet' };
}

// ------------------------------------------------------------------ throughput

const round = (n: number, digits = 2): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);
const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Nodes the load filter lets offline pods onto (not hot), in index order: the ceiling's targets. */
function coolNodes(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) if (!nodeLoad(i).hot) out.push(nodeName(i));
  return out;
}

async function throughput(cfg: Config, log: (s: string) => void): Promise<Record<string, number>> {
  const figures: Record<string, number> = {
    nodes: cfg.nodes,
    pods: cfg.pods,
    concurrency: cfg.concurrency,
    clientQps: cfg.qps,
    clientBurst: cfg.burst,
    maxInFlightBindings: cfg.maxInFlight,
    bindingConcurrency: cfg.bindingConcurrency > 0 ? cfg.bindingConcurrency : DEFAULT_SETTINGS.bindingConcurrency,
    percentageOfNodesToScore: cfg.percentageOfNodesToScore,
    sampleIntervalMs: cfg.sampleIntervalMs,
    scheduledEvents: cfg.scheduledEvents ? 1 : 0,
  };
  const cool = coolNodes(cfg.nodes);
  figures['hotNodes'] = cfg.nodes - cool.length;
  if (cool.length === 0) throw new Error('bench colocation: every node is too hot for offline pods; use more nodes');
  const dir = mkdtempSync(join(tmpdir(), 'tidepool-bench-coloc-'));
  const sim = new SimProcess({ nodes: cfg.nodes, dir, leaseIntervalMs: cfg.leaseIntervalMs, sources: cfg.sources });
  let scheduler: SchedulerProcess | undefined;
  const clients: KubeClient[] = [];
  try {
    const { kubeconfigPath, from } = await sim.started;
    log(`sim: ${cfg.nodes} nodes (${figures['hotNodes']} too hot for offline work), default scheduler off; simulator code: ${from}`);
    await sim.namespaces(['ceiling-a', 'ceiling-a-warmup', 'ceiling-b', 'ceiling-b-warmup', 'warmup', 'burst']);
    const K = await loadCompiled<typeof import('../../kube/index.js')>('kube/index.js', ['kube', 'api'], { sources: cfg.sources });
    const registry = new Registry();
    const client = (): KubeClient => {
      const c = new K.mod.KubeClient({ config: { kind: 'file', path: kubeconfigPath, context: CLUSTER }, cluster: CLUSTER, qps: cfg.qps, burst: cfg.burst, timeoutMs: 120_000, registry });
      clients.push(c);
      return c;
    };
    const creator = client();
    const timeoutMs = Math.max(300_000, cfg.pods * 100);
    const half = Math.max(1, Math.floor(cfg.pods / 2));
    // The ceiling: the same creates, bound by the plain binder process (no scheduler running), which
    // gets the same warm-up as the scheduler before it is measured.
    const ceiling = async (ns: string, n: number): Promise<PhaseResult & { simCpuMs: number; binderCpuMs: number; binderTlsConnects: number }> => {
      const binder = new BinderProcess({ kubeconfigPath, nodes: cfg.nodes, qps: cfg.qps, burst: cfg.burst, maxInFlight: cfg.maxInFlight, sources: cfg.sources });
      const labels = { [BINDER_LABEL]: BINDER_VALUE };
      try {
        await binder.started;
        if (cfg.warmup > 0) await createAndWaitBound({ creator, labels, namespace: `${ns}-warmup`, names: names(`${ns}-warm`, cfg.warmup), concurrency: cfg.concurrency, timeoutMs });
        const cpu0 = { sim: processCpuMs(sim.pid), binder: processCpuMs(binder.pid), tls: await binder.tlsConnects() };
        const r = await createAndWaitBound({ creator, labels, namespace: ns, names: names(ns, n), concurrency: cfg.concurrency, timeoutMs });
        return { ...r, simCpuMs: processCpuMs(sim.pid) - cpu0.sim, binderCpuMs: processCpuMs(binder.pid) - cpu0.binder, binderTlsConnects: (await binder.tlsConnects()) - cpu0.tls };
      } finally {
        await binder.stop();
      }
    };

    // ---------------------------------------------------------- ceiling, first half
    const ceilA = await ceiling('ceiling-a', half);
    log(`ceiling (before): ${half} pods created and bound in ${round(ceilA.seconds)} s = ${round(half / ceilA.seconds, 1)} pods/s`);

    // ---------------------------------------------------------- the scheduler
    scheduler = new SchedulerProcess({
      kubeconfigPath,
      nodes: cfg.nodes,
      qps: cfg.qps,
      burst: cfg.burst,
      sampleIntervalMs: cfg.sampleIntervalMs,
      settings: {
        percentageOfNodesToScore: cfg.percentageOfNodesToScore,
        maxInFlightBindings: cfg.maxInFlight,
        ...(cfg.bindingConcurrency > 0 ? { bindingConcurrency: cfg.bindingConcurrency } : {}),
        scheduledEvents: cfg.scheduledEvents,
      },
      sources: cfg.sources,
    });
    const started = await scheduler.started;
    figures['schedulerSyncSeconds'] = round(started.syncMs / 1000);
    figures['compiledCode'] = started.from.startsWith('compiled') && from.startsWith('compiled') ? 1 : 0;
    log(`scheduler process ${scheduler.pid}: ${started.nodes} nodes cached, synced in ${figures['schedulerSyncSeconds']} s; code: ${started.from}`);
    if (cfg.warmup > 0) {
      await createAndWaitBound({ creator, namespace: 'warmup', names: names('warm', cfg.warmup), concurrency: cfg.concurrency, timeoutMs });
      log(`warm-up: ${cfg.warmup} pods scheduled`);
    }

    // ---------------------------------------------------------- the burst
    const m0 = await scheduler.metrics();
    const c0 = await sim.counters();
    const cpu0 = { sched: processCpuMs(scheduler.pid), sim: processCpuMs(sim.pid), self: process.cpuUsage() };
    if (cfg.profileDir) await scheduler.profileStart();
    const t0 = performance.now();
    const burst = await createAndWaitBound({ creator, namespace: 'burst', names: names('pod', cfg.pods), concurrency: cfg.concurrency, timeoutMs });
    const wall = (performance.now() - t0) / 1000;
    if (cfg.profileDir) {
      mkdirSync(cfg.profileDir, { recursive: true });
      const file = join(cfg.profileDir, `scheduler-burst-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(await scheduler.profileStop()));
      log(`CPU profile of the scheduler during the burst: ${file}`);
    }
    const selfCpu = process.cpuUsage(cpu0.self);
    const cpu1 = { sched: processCpuMs(scheduler.pid), sim: processCpuMs(sim.pid) };
    const c1 = await sim.counters();
    const m1 = await scheduler.metrics();
    const s0 = parseMetrics(m0.text);
    const s1 = parseMetrics(m1.text);
    const delta = (name: string, match: Record<string, string> = {}): number => sumOf(s1, name, match) - sumOf(s0, name, match);
    const n = cfg.pods;
    figures['podsPerSec'] = round(n / burst.seconds, 1);
    figures['seconds'] = round(burst.seconds);
    figures['createsPerSec'] = round(n / burst.createSeconds, 1);
    figures['p50Ms'] = round(percentile(burst.latenciesMs, 50), 1);
    figures['p99Ms'] = round(percentile(burst.latenciesMs, 99), 1);
    figures['maxMs'] = round(burst.latenciesMs[burst.latenciesMs.length - 1] ?? NaN, 1);
    // The load filter was on: no pod on a node at or above the offline load threshold.
    let onHot = 0;
    const perNode = new Map<string, number>();
    for (const node of burst.nodeOf.values()) {
      const i = nodeIndex(node);
      if (i >= 0 && nodeLoad(i).hot) onHot++;
      perNode.set(node, (perNode.get(node) ?? 0) + 1);
    }
    figures['podsOnHotNodes'] = onHot;
    figures['nodesUsed'] = perNode.size;
    figures['maxPodsPerNode'] = Math.max(0, ...perNode.values());
    figures['attemptsScheduled'] = delta('tidepool_scheduler_schedule_attempts_total', { result: 'scheduled' });
    figures['attemptsUnschedulable'] = delta('tidepool_scheduler_schedule_attempts_total', { result: 'unschedulable' });
    figures['attemptsError'] = delta('tidepool_scheduler_schedule_attempts_total', { result: 'error' });
    const cycles = delta('tidepool_scheduler_scheduling_attempt_duration_seconds_count', { result: 'scheduled' });
    figures['cycleMeanUs'] = round((delta('tidepool_scheduler_scheduling_attempt_duration_seconds_sum', { result: 'scheduled' }) / Math.max(1, cycles)) * 1e6, 1);
    const binds = delta('tidepool_scheduler_binding_duration_seconds_count');
    figures['bindMeanMs'] = round((delta('tidepool_scheduler_binding_duration_seconds_sum') / Math.max(1, binds)) * 1000, 2);
    figures['schedulerRequestsPerPod'] = round(delta('tidepool_kube_requests_total') / n, 2);
    figures['schedulerLimiterWaitSeconds'] = round(delta('tidepool_kube_rate_limiter_wait_seconds_sum'), 3);
    figures['schedulerCpuMsPerPod'] = round((cpu1.sched - cpu0.sched) / n, 3);
    figures['schedulerCpuCores'] = round((cpu1.sched - cpu0.sched) / 1000 / wall);
    // Per CPU-second: what one core could do for each process alone, whatever the machine's load.
    figures['schedulerPodsPerCpuSecond'] = round((n * 1000) / (cpu1.sched - cpu0.sched), 0);
    figures['simCpuMsPerPod'] = round((cpu1.sim - cpu0.sim) / n, 3);
    figures['simPodsPerCpuSecond'] = round((n * 1000) / (cpu1.sim - cpu0.sim), 0);
    figures['simCpuCores'] = round((cpu1.sim - cpu0.sim) / 1000 / wall);
    figures['benchCpuMsPerPod'] = round((selfCpu.user + selfCpu.system) / 1000 / n, 3);
    figures['bindsPerPod'] = round((c1.podBinds - c0.podBinds) / n, 3);
    figures['eventWritesPerPod'] = round((c1.eventWrites - c0.eventWrites) / n, 3);
    figures['podStatusWritesPerPod'] = round((c1.podOtherWrites - c0.podOtherWrites) / n, 3);
    figures['leaseWritesPerSec'] = round((c1.leaseWrites - c0.leaseWrites) / wall, 1);
    figures['schedulerWarnings'] = m1.logs.warn + m1.logs.error;
    figures['schedulerTlsConnects'] = m1.tlsConnects - m0.tlsConnects;
    log(
      `burst: ${n} pods created (${figures['createsPerSec']}/s) and bound by tidepool-scheduler in ${figures['seconds']} s = ${figures['podsPerSec']} pods/s; ` +
        `create → bound p50 ${figures['p50Ms']} ms, p99 ${figures['p99Ms']} ms, max ${figures['maxMs']} ms; ${figures['nodesUsed']} nodes used (at most ${figures['maxPodsPerNode']} pods), ${onHot} pods on the ${figures['hotNodes']} hot nodes`,
    );
    log(
      `scheduler: ${figures['schedulerCpuMsPerPod']} ms CPU per pod (${figures['schedulerCpuCores']} cores; ${figures['schedulerPodsPerCpuSecond']} pods per CPU-second), cycle mean ${figures['cycleMeanUs']} µs, binding mean ${figures['bindMeanMs']} ms, ` +
        `${figures['attemptsUnschedulable']} unschedulable / ${figures['attemptsError']} error attempts, ${figures['schedulerRequestsPerPod']} requests per pod over ${figures['schedulerTlsConnects']} new TLS connections, ${figures['eventWritesPerPod']} Event writes per pod; ` +
        `sim ${figures['simCpuMsPerPod']} ms CPU per pod (${figures['simCpuCores']} cores); this process ${figures['benchCpuMsPerPod']} ms per pod`,
    );
    if (figures['schedulerWarnings']! > 0) log(`scheduler warnings: ${JSON.stringify(m1.logs.messages)}`);

    await scheduler.stop();
    scheduler = undefined;

    // ---------------------------------------------------------- ceiling, second half
    const ceilB = await ceiling('ceiling-b', half);
    const ceilSeconds = ceilA.seconds + ceilB.seconds;
    const ceilLat = [...ceilA.latenciesMs, ...ceilB.latenciesMs].sort((a, b) => a - b);
    figures['ceilingPodsPerSec'] = round((2 * half) / ceilSeconds, 1);
    figures['ceilingBeforePodsPerSec'] = round(half / ceilA.seconds, 1);
    figures['ceilingAfterPodsPerSec'] = round(half / ceilB.seconds, 1);
    figures['ceilingRatio'] = round(figures['podsPerSec']! / figures['ceilingPodsPerSec']!, 3);
    figures['ceilingP50Ms'] = round(percentile(ceilLat, 50), 1);
    figures['ceilingP99Ms'] = round(percentile(ceilLat, 99), 1);
    figures['ceilingSimCpuMsPerPod'] = round((ceilA.simCpuMs + ceilB.simCpuMs) / (2 * half), 3);
    figures['ceilingSimCpuCores'] = round((ceilA.simCpuMs + ceilB.simCpuMs) / 1000 / ceilSeconds);
    figures['ceilingBinderCpuMsPerPod'] = round((ceilA.binderCpuMs + ceilB.binderCpuMs) / (2 * half), 3);
    figures['ceilingBinderPodsPerCpuSecond'] = round((2 * half * 1000) / (ceilA.binderCpuMs + ceilB.binderCpuMs), 0);
    // Connections the binder opened while measured (as schedulerTlsConnects: after its warm-up).
    figures['ceilingBinderTlsConnects'] = ceilA.binderTlsConnects + ceilB.binderTlsConnects;
    log(
      `ceiling (after): ${half} pods in ${round(ceilB.seconds)} s = ${figures['ceilingAfterPodsPerSec']} pods/s. Ceiling ${figures['ceilingPodsPerSec']} pods/s ` +
        `(the same creates; a plain binder with the scheduler's informer, up to ${cfg.maxInFlight} bindings in flight, QPS ${cfg.qps}/burst ${cfg.burst}; ` +
        `binder ${figures['ceilingBinderCpuMsPerPod']} ms, sim ${figures['ceilingSimCpuMsPerPod']} ms CPU per pod); ` +
        `the scheduler reached ${round(figures['ceilingRatio']! * 100, 1)} % of it`,
    );
  } finally {
    for (const c of clients) c.close();
    await scheduler?.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

// ------------------------------------------------------------------ the suite

/** The isolation figures carried onto the BENCH colocation line. */
const ISOLATION_KEYS: ReadonlyArray<keyof IsolationFigures> = [
  'p99AloneMs',
  'p99BurstableMs',
  'p99NoAgentMs',
  'p99TidepoolMs',
  'p99RoundMedianAloneMs',
  'p99RoundMedianBurstableMs',
  'p99RoundMedianTidepoolMs',
  'degradationBurstable',
  'degradationNoAgent',
  'degradationWithTidepool',
  'degradationRoundMedianWithTidepool',
  'offlineCoresBurstable',
  'offlineCoresTidepool',
  'offlineBudgetCores',
  'offlineCpuShare',
];

export async function main(args: string[]): Promise<void> {
  const cfg = parseArgs(args);
  const log = (s: string): void => console.log(`[colocation] ${s}`);
  log(`config ${JSON.stringify(cfg)}`);
  const figures: Record<string, unknown> = { quick: cfg.quick };
  Object.assign(figures, await throughput(cfg, log));
  if (!cfg.skipTrace) Object.assign(figures, await runTraceHook(cfg, log));
  if (!cfg.skipIsolation) {
    const iso = await runIsolation(isolationConfig(cfg.isolationArgs), (s) => log(`isolation: ${s}`));
    if ('skipped' in iso) figures['isolationSkipped'] = iso.skipped;
    else for (const k of ISOLATION_KEYS) figures[k] = iso[k];
  }
  console.log(`BENCH colocation ${JSON.stringify(figures)}`);
}
