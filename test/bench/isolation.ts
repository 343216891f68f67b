// `npm run bench -- isolation [--quick] [--rounds N] [--seconds S] [--hogs H] [--executors E] [--interval-ms I] [--burst-ms B]`
//
// Does Tidepool keep an online service's latency when Spark executors share its node?
// On the machine's real cgroup v1 hierarchies, inside a private tidepool-test-<random>
// tree laid out as kubelet would (cgroupfs driver: kubepods/<tier>/pod<uid>/<id>, kubelet's
// cpu.shares), four phases side by side:
//   alone     — the online process only;
//   burstable — plus E Spark executor pods as a user without Tidepool runs them: ordinary
//               Burstable pods requesting 1 CPU each (kubelet's cpu.shares 1024 per pod), H
//               CPU-hog processes spread over them;
//   noAgent   — the same executors as Tidepool's admission webhook stores them (batch-cpu and
//               batch-memory instead of cpu and memory, so kubelet puts them in the BestEffort
//               tier: cpu.shares 2), but no agent;
//   tidepool  — Tidepool as a whole: the webhook's pods handled by the isolation agent's real
//               loop (cpuset split, offline quota, SCHED_IDLE, memory policy), the agent reading
//               the mutated pods through its own projection (toPodInfo).
// The phases are interleaved round by round, in a rotating order, so drift in the
// machine's other load hits all of them alike; the figures also give the median over
// rounds of each round's p99, which one noisy round cannot move much.
//
// The online process is open-loop: a request arrives every I ms, does B ms of CPU
// work, and its latency is completion − arrival (queueing included). The executors' CPU
// comes from cpuacct; "what the policy allows" is the agent's offline budget sampled
// over the same window.
// The agent runs in the bench process at nice 10 (the weight of its DaemonSet's 50m request).
// Last line: `BENCH isolation {...}` with p99AloneMs, p99BurstableMs, p99NoAgentMs, p99TidepoolMs,
// degradationBurstable (p99Burstable/p99Alone − 1), degradationWithTidepool (p99Tidepool/p99Alone − 1),
// offlineCpuShare (offline CPU with Tidepool / the agent's budget).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { V1Pod } from '@kubernetes/client-node';
import jsonpatch from 'fast-json-patch';
import { mutatePod } from '../../colocation/webhook/index.js';
import { Agent } from '../../isolation/agent.js';
import { detectCapabilities } from '../../isolation/capabilities.js';
import { Executor } from '../../isolation/executor.js';
import { nodeFs } from '../../isolation/fs.js';
import { toPodInfo } from '../../isolation/pod-projection.js';
import { StaticPodSource } from '../../isolation/pods.js';
import { makePolicy } from '../../isolation/policy.js';
import { readTopology } from '../../isolation/topology.js';
import { RealCgroupTree, realCgroupUnavailable, type RealPod } from '../isolation/real-cgroup.js';
import { percentile } from './_stats.js';

export interface IsolationConfig {
  rounds: number;
  seconds: number;
  /** Hog processes in all (0: two per CPU). */
  hogs: number;
  /** Executor pods the hogs are spread over (0: one per CPU). */
  executors: number;
  intervalMs: number;
  burstMs: number;
}

/** Flags to a configuration; a bad value is an error that names the flag. */
export function isolationConfig(args: string[]): IsolationConfig {
  const quick = args.includes('--quick');
  const known = new Set(['--quick', '--rounds', '--seconds', '--hogs', '--executors', '--interval-ms', '--burst-ms']);
  for (let i = 0; i < args.length; i++) {
    if (!known.has(args[i]!)) throw new Error(`bench isolation: unknown flag "${args[i]}" (known: ${[...known].join(', ')})`);
    if (args[i] !== '--quick') i++;
  }
  const num = (flag: string, dflt: number): number => {
    const i = args.indexOf(flag);
    if (i < 0) return dflt;
    const v = Number(args[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`bench isolation: ${flag} needs a positive number, got "${args[i + 1]}"`);
    return v;
  };
  return {
    rounds: num('--rounds', quick ? 1 : 6),
    seconds: num('--seconds', quick ? 4 : 5),
    hogs: num('--hogs', 0),
    executors: num('--executors', 0),
    intervalMs: num('--interval-ms', 10),
    burstMs: num('--burst-ms', 1),
  };
}

// The online process: open-loop requests, each a fixed amount of CPU work.
// argv: iterations per request, interval ms, duration ms, warm-up ms.
const ONLINE = `
const [iters, intervalMs, durationMs, warmupMs] = process.argv.slice(1).map(Number);
const cell = new Int32Array(new SharedArrayBuffer(4));
let sink = 0;
function burn(n) { let x = 0; for (let i = 0; i < n; i++) x += Math.sqrt(i + 0.5); return x; }
const lat = [];
const start = performance.now();
let t = start;
for (;;) {
  t += intervalMs;
  if (t - start > durationMs) break;
  const wait = t - performance.now();
  if (wait > 0) Atomics.wait(cell, 0, 0, wait);
  sink += burn(iters);
  if (t - start >= warmupMs) lat.push(performance.now() - t);
}
process.stdout.write(JSON.stringify({ lat, ok: sink > 0 }));
`;

/** The nice value the bench started with; the online process and the hogs keep it. */
const BASE_NICE = os.getPriority();

const HOG = 'let x = 0; for (;;) x = (x + Math.sqrt(x + 1)) % 1e9;';

/** Iterations of the burn loop that take `ms` on this machine now (best of several tries). */
function calibrate(ms: number): number {
  const burn = (n: number): number => {
    let x = 0;
    for (let i = 0; i < n; i++) x += Math.sqrt(i + 0.5);
    return x;
  };
  const n = 2_000_000;
  let best = Infinity;
  let sink = 0;
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    sink += burn(n);
    best = Math.min(best, performance.now() - t);
  }
  if (sink < 0) console.log(sink);
  return Math.max(1000, Math.round((n / best) * ms));
}

// No samples is no figure (NaN, null in the JSON), never a perfect 0 ms.
const pct = (sorted: readonly number[], p: number): number => percentile(sorted, p, NaN);

async function runOnline(tree: RealCgroupTree, pod: RealPod, iters: number, c: IsolationConfig): Promise<number[]> {
  const child = tree.spawnIn(pod.containerDir, process.execPath, ['-e', ONLINE, String(iters), String(c.intervalMs), String(c.seconds * 1000 + 500), '500']);
  os.setPriority(child.pid!, BASE_NICE); // children inherit this process's nice 10
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (out += d));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`online process exited with ${code}`))));
  });
  return (JSON.parse(out) as { lat: number[] }).lat;
}

function cpuNs(tree: RealCgroupTree, pods: readonly RealPod[]): bigint {
  return pods.reduce((s, p) => s + BigInt(tree.read(p.dir, 'cpuacct.usage', 'cpuacct')), 0n);
}

async function stopAll(procs: { kill(sig: NodeJS.Signals): boolean; exitCode: number | null; signalCode: NodeJS.Signals | null; once(ev: 'exit', f: () => void): unknown }[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGKILL');
        }),
    ),
  );
}

interface PhaseResult {
  lat: number[];
  offlineCores: number;
  budgetCores: number;
  /** CPU used by everything else on this (shared) machine during the phase. */
  otherCores: number;
}

/** Busy CPU time of the whole machine, ns (from /proc/stat, USER_HZ = 100). */
function machineBusyNs(): bigint {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '))!;
  const f = line.trim().split(/\s+/).slice(1, 9).map((x) => BigInt(x));
  const total = f.reduce((a, b) => a + b, 0n);
  return (total - f[3]! - f[4]!) * 10_000_000n;
}

// ------------------------------------------------------------------ the executor pods

/** Spark's default executor as spark-submit writes it: 1 CPU requested (no CPU limit), 1 GiB + 384 MiB. */
function executorPod(i: number, uid: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `spark-pi-exec-${i + 1}`,
      namespace: 'default',
      uid,
      creationTimestamp: new Date(),
      labels: { 'spark-app-selector': 'spark-7f3a', 'spark-role': 'executor', 'spark-exec-id': String(i + 1) },
    },
    spec: {
      containers: [{ name: 'spark-kubernetes-executor', image: 'apache/spark:3.5.1', resources: { requests: { cpu: '1', memory: '1408Mi' }, limits: { memory: '1408Mi' } } }],
    },
  };
}

/** The pod as Tidepool's admission webhook stores it; throws if the webhook would leave it alone. */
function mutated(pod: V1Pod): V1Pod {
  const m = mutatePod(pod);
  if (m.outcome !== 'mutated') throw new Error(`bench isolation: the webhook left ${pod.metadata?.name} ${m.outcome} (${m.reason})`);
  return jsonpatch.applyPatch(structuredClone(pod), m.patch as jsonpatch.Operation[], false, true).newDocument;
}

/** Its cgroups in the tree (the tier kubelet would pick) and what the agent reads of it. */
function addExecutor(tree: RealCgroupTree, pod: V1Pod): RealPod {
  const running: V1Pod = { ...pod, status: { phase: 'Running' } };
  const draft = toPodInfo(running);
  const real = tree.addPod({ name: draft.name, qos: draft.tidepoolQos, qosClass: draft.qosClass, uid: draft.uid, processes: 0 });
  const containerId = real.info.containers[0]!.id!;
  const container = pod.spec!.containers[0]!.name;
  const info = toPodInfo({ ...running, status: { phase: 'Running', containerStatuses: [{ name: container, containerID: `containerd://${containerId}`, image: '', imageID: '', ready: true, restartCount: 0 }] } });
  return { ...real, info };
}

// ------------------------------------------------------------------ the run

const PHASES = ['alone', 'burstable', 'noAgent', 'tidepool'] as const;
type Phase = (typeof PHASES)[number];

/** Everything the BENCH isolation line carries. */
export interface IsolationFigures {
  cpus: number;
  hogs: number;
  executors: number;
  rounds: number;
  secondsPerPhase: number;
  requestIntervalMs: number;
  burstMs: number;
  samplesPerPhase: number;
  p50AloneMs: number;
  p50BurstableMs: number;
  p50NoAgentMs: number;
  p50TidepoolMs: number;
  p99AloneMs: number;
  p99BurstableMs: number;
  p99NoAgentMs: number;
  p99TidepoolMs: number;
  p99RoundMedianAloneMs: number;
  p99RoundMedianBurstableMs: number;
  p99RoundMedianNoAgentMs: number;
  p99RoundMedianTidepoolMs: number;
  degradationBurstable: number;
  degradationNoAgent: number;
  degradationWithTidepool: number;
  degradationRoundMedianBurstable: number;
  degradationRoundMedianNoAgent: number;
  degradationRoundMedianWithTidepool: number;
  offlineCoresBurstable: number;
  offlineCoresNoAgent: number;
  offlineCoresTidepool: number;
  offlineBudgetCores: number;
  offlineCpuShare: number;
  otherCoresAlone: number;
  otherCoresBurstable: number;
  otherCoresNoAgent: number;
  otherCoresTidepool: number;
}

/** Runs the phases; `{ skipped }` when this machine has no usable cgroup v1 (or we are not root). */
export async function runIsolation(c: IsolationConfig, log: (line: string) => void = console.log): Promise<IsolationFigures | { skipped: string }> {
  const why = realCgroupUnavailable();
  if (why !== null) {
    log(`isolation bench skipped: ${why}`);
    return { skipped: why };
  }
  const topology = await readTopology(nodeFs, '/sys');
  const ncpu = topology.cpus.length;
  const hogs = c.hogs > 0 ? c.hogs : 2 * ncpu;
  const executors = Math.min(hogs, c.executors > 0 ? c.executors : ncpu);
  const iters = calibrate(c.burstMs);
  // The agent runs in this process. Deployed, it is a DaemonSet pod requesting 50m CPU
  // (cpu.shares 51 beside the online pod's 512); nice 10 gives it the same ~1/10 weight
  // here, in every phase alike. (Moving this process into our cgroup tree would mean
  // writing it back to the root cgroup afterwards, which these tests never do.)
  os.setPriority(10);
  const tree = new RealCgroupTree();
  // Interrupted: still kill the hogs and remove the tree.
  const onSignal = (): void => {
    void tree.destroy().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results: Record<Phase, PhaseResult[]> = { alone: [], burstable: [], noAgent: [], tidepool: [] };
  try {
    const online = tree.addPod({ name: 'online-web', qos: 'online', qosClass: 'Burstable', cpuMilli: 500, memoryBytes: 256 * 1024 * 1024, processes: 0 });
    // The same executors twice: as the user wrote them (Burstable) and as the webhook stores them
    // (BestEffort tier, batch resources). Separate pods (uids), as two runs of the job would be.
    const plain = Array.from({ length: executors }, (_, i) => addExecutor(tree, executorPod(i, randomUUID())));
    const batch = Array.from({ length: executors }, (_, i) => addExecutor(tree, mutated(executorPod(i, randomUUID()))));
    for (const p of plain) if (p.info.qosClass !== 'Burstable') throw new Error(`bench isolation: executor ${p.info.name} is ${p.info.qosClass}, not Burstable`);
    for (const p of batch) {
      if (p.info.qosClass !== 'BestEffort' || p.info.tidepoolQos !== 'offline' || p.info.requests.batchCpuMilli !== 1000) {
        throw new Error(`bench isolation: the mutated executor ${p.info.name} is ${p.info.qosClass}/${p.info.tidepoolQos} with batch-cpu ${p.info.requests.batchCpuMilli}m`);
      }
    }
    // kubelet's shares: kubepods = allocatable (every CPU here); a Burstable pod (and its
    // container) = its request (500m → 512, 1 CPU → 1024), the Burstable tier = the sum over the
    // Burstable pods that exist; BestEffort = 2. Our tree's top gets kubepods' weight too, so the
    // pods compete with the rest of this shared machine the way kubepods would.
    const allocShares = String(ncpu * 1024);
    for (const d of [tree.name, `${tree.name}/kubepods`]) tree.write(d, 'cpu.shares', 'cpu', allocShares);
    const parentOf = (dir: string): string => dir.slice(0, dir.lastIndexOf('/'));
    const burstableTier = parentOf(online.dir);
    const besteffortTier = parentOf(batch[0]!.dir);
    const kubeletShares = (phase: Phase): void => {
      for (const d of [online.dir, online.containerDir]) tree.write(d, 'cpu.shares', 'cpu', '512');
      for (const p of plain) for (const d of [p.dir, p.containerDir]) tree.write(d, 'cpu.shares', 'cpu', '1024');
      for (const p of batch) for (const d of [p.dir, p.containerDir]) tree.write(d, 'cpu.shares', 'cpu', '2');
      tree.write(besteffortTier, 'cpu.shares', 'cpu', '2');
      tree.write(burstableTier, 'cpu.shares', 'cpu', String(512 + (phase === 'burstable' ? executors * 1024 : 0)));
    };

    const capabilities = await detectCapabilities(nodeFs, tree.layout, '/proc', topology, null);
    const policy = makePolicy();
    log(
      `${ncpu} CPUs, ${executors} Spark executors × ${hogs / executors} hog processes, ${c.rounds} rounds × ${PHASES.length} phases × ${c.seconds}s, request every ${c.intervalMs}ms with ${c.burstMs}ms of CPU (${iters} iterations), cgroup tree ${tree.name}`,
    );

    for (let round = 1; round <= c.rounds; round++) {
      // Rotate the order each round so no phase is always the one after a quiet or busy spell.
      const order = PHASES.map((_, i, all) => all[(i + round - 1) % all.length]!);
      for (const phase of order) {
        kubeletShares(phase);
        const pods = phase === 'burstable' ? plain : phase === 'alone' ? [] : batch;
        const hogProcs = pods.length === 0 ? [] : Array.from({ length: hogs }, (_, h) => tree.spawnIn(pods[h % pods.length]!.containerDir, process.execPath, ['-e', HOG]));
        for (const h of hogProcs) os.setPriority(h.pid!, BASE_NICE);
        let agent: Agent | null = null;
        const budgets: number[] = [];
        let sampler: NodeJS.Timeout | null = null;
        try {
          if (phase === 'tidepool') {
            const executor = new Executor({ fs: nodeFs, layout: tree.layout, procRoot: '/proc', resctrlRoot: null });
            agent = new Agent({
              nodeName: 'bench-node',
              fs: nodeFs,
              layout: tree.layout,
              procRoot: '/proc',
              topology,
              capabilities,
              resctrl: null,
              policy,
              podSource: new StaticPodSource([online.info, ...batch.map((p) => p.info)]),
              executor,
              intervalMs: 1000,
            });
            agent.start();
            await new Promise((r) => setTimeout(r, 1500)); // first reconciles, with a measured window
          }
          const before = cpuNs(tree, pods);
          const treeBefore = BigInt(tree.read(tree.name, 'cpuacct.usage', 'cpuacct'));
          const busyBefore = machineBusyNs();
          const t0 = performance.now();
          if (agent !== null) {
            const a = agent;
            sampler = setInterval(() => budgets.push(a.status().cpus.offlineBudgetMilli), 100);
          }
          const lat = await runOnline(tree, online, iters, c);
          const wallMs = performance.now() - t0;
          const offlineCores = Number(cpuNs(tree, pods) - before) / 1e6 / wallMs;
          const ours = BigInt(tree.read(tree.name, 'cpuacct.usage', 'cpuacct')) - treeBefore;
          const otherCores = Math.max(0, Number(machineBusyNs() - busyBefore - ours) / 1e6 / wallMs);
          const budgetCores = budgets.length === 0 ? 0 : budgets.reduce((s, b) => s + b, 0) / budgets.length / 1000;
          results[phase].push({ lat, offlineCores, budgetCores, otherCores });
          const sorted = [...lat].sort((a, b) => a - b);
          log(
            `round ${round} ${phase.padEnd(9)} p50 ${pct(sorted, 50).toFixed(2)}ms p99 ${pct(sorted, 99).toFixed(2)}ms offline ${offlineCores.toFixed(2)} cores, rest of machine ${otherCores.toFixed(2)} cores` +
              (agent !== null ? ` (budget ${budgetCores.toFixed(2)}, offline cpuset ${agent.status().cpus.offline}, online ${agent.status().cpus.online})` : ''),
          );
        } finally {
          if (sampler !== null) clearInterval(sampler);
          if (agent !== null) {
            const r = await agent.restore();
            if (r.failed.length > 0) log(`restore failures: ${r.failed.map((f) => `${f.path}: ${f.code}`).join(', ')}`);
          }
          await stopAll(hogProcs);
        }
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await tree.destroy();
    os.setPriority(BASE_NICE);
  }

  const summary = (phase: Phase) => {
    const sorted = results[phase].flatMap((r) => r.lat).sort((a, b) => a - b);
    return { p50: pct(sorted, 50), p99: pct(sorted, 99), n: sorted.length };
  };
  const medianRoundP99 = (phase: Phase): number => {
    const p99s = results[phase].map((r) => pct([...r.lat].sort((a, b) => a - b), 99)).sort((a, b) => a - b);
    return p99s.length === 0 ? NaN : p99s.length % 2 === 1 ? p99s[(p99s.length - 1) / 2]! : (p99s[p99s.length / 2 - 1]! + p99s[p99s.length / 2]!) / 2;
  };
  const s = Object.fromEntries(PHASES.map((p) => [p, summary(p)])) as Record<Phase, ReturnType<typeof summary>>;
  const med = Object.fromEntries(PHASES.map((p) => [p, medianRoundP99(p)])) as Record<Phase, number>;
  const avg = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((sum, x) => sum + x, 0) / xs.length);
  const offline = (p: Phase): number => avg(results[p].map((r) => r.offlineCores));
  const other = (p: Phase): number => avg(results[p].map((r) => r.otherCores));
  const budgetCores = avg(results.tidepool.map((r) => r.budgetCores));
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    cpus: ncpu,
    hogs,
    executors,
    rounds: c.rounds,
    secondsPerPhase: c.seconds,
    requestIntervalMs: c.intervalMs,
    burstMs: c.burstMs,
    samplesPerPhase: s.alone.n,
    p50AloneMs: r3(s.alone.p50),
    p50BurstableMs: r3(s.burstable.p50),
    p50NoAgentMs: r3(s.noAgent.p50),
    p50TidepoolMs: r3(s.tidepool.p50),
    p99AloneMs: r3(s.alone.p99),
    p99BurstableMs: r3(s.burstable.p99),
    p99NoAgentMs: r3(s.noAgent.p99),
    p99TidepoolMs: r3(s.tidepool.p99),
    p99RoundMedianAloneMs: r3(med.alone),
    p99RoundMedianBurstableMs: r3(med.burstable),
    p99RoundMedianNoAgentMs: r3(med.noAgent),
    p99RoundMedianTidepoolMs: r3(med.tidepool),
    degradationBurstable: r3(s.burstable.p99 / s.alone.p99 - 1),
    degradationNoAgent: r3(s.noAgent.p99 / s.alone.p99 - 1),
    degradationWithTidepool: r3(s.tidepool.p99 / s.alone.p99 - 1),
    degradationRoundMedianBurstable: r3(med.burstable / med.alone - 1),
    degradationRoundMedianNoAgent: r3(med.noAgent / med.alone - 1),
    degradationRoundMedianWithTidepool: r3(med.tidepool / med.alone - 1),
    offlineCoresBurstable: r3(offline('burstable')),
    offlineCoresNoAgent: r3(offline('noAgent')),
    offlineCoresTidepool: r3(offline('tidepool')),
    offlineBudgetCores: r3(budgetCores),
    // A budget of (almost) nothing makes any share meaningless: no figure (null) rather than 0 % or 1000 %.
    offlineCpuShare: r3(budgetCores >= 0.01 ? offline('tidepool') / budgetCores : NaN),
    // Load from everything else on this shared machine, per phase (the agent counts it as system use).
    otherCoresAlone: r3(other('alone')),
    otherCoresBurstable: r3(other('burstable')),
    otherCoresNoAgent: r3(other('noAgent')),
    otherCoresTidepool: r3(other('tidepool')),
  };
}

export async function main(args: string[]): Promise<void> {
  const out = await runIsolation(isolationConfig(args), (line) => console.log(`  ${line}`));
  if (!('skipped' in out)) {
    const pctOf = (x: number): string => `${(x * 100).toFixed(1)}%`;
    console.log(
      `p99: alone ${out.p99AloneMs}ms; executors as Burstable pods (no Tidepool) ${out.p99BurstableMs}ms (${pctOf(out.degradationBurstable)}); ` +
        `as the webhook stores them, no agent ${out.p99NoAgentMs}ms (${pctOf(out.degradationNoAgent)}); with Tidepool ${out.p99TidepoolMs}ms (${pctOf(out.degradationWithTidepool)}); ` +
        `offline got ${out.offlineCoresTidepool} cores of the ${out.offlineBudgetCores} the policy allowed (${Number.isFinite(out.offlineCpuShare) ? `${(out.offlineCpuShare * 100).toFixed(0)}%` : 'no budget to share'}), ${out.offlineCoresBurstable} as Burstable pods`,
    );
  }
  console.log(`BENCH isolation ${JSON.stringify(out)}`);
}
