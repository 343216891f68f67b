// `npm run bench -- virtual-node [--quick] [--sources] [--members N] [--nodes N] [--pods N]
//   [--member-pods N] [--concurrency N] [--qps N] [--burst N] [--quiet-seconds N] [--settle-seconds N]
//   [--start-delay-ms N] [--warmup N] [--profile DIR] [--cli FILE]`
//
// The virtual node end to end, as users run it, in three processes:
//   - the sims (_vn-sim.ts): a host cluster and 3 member clusters × 1,000 nodes, 100,000 pods of
//     the members' own seeded through their in-process API and started by their kubelets;
//   - `tidepool virtual-node` (the CLI, compiled) over them, leader election off, client QPS/burst
//     set high (--qps/--burst; the BENCH line says what they were and how long requests waited
//     in the limiter);
//   - this one: the burst's client, a watch on the host, the ceiling's client.
// Then:
//   1. warm-up: a few pods end to end and a few ceiling pods (JIT, connections), not measured;
//   2. RSS of the virtual node with every member pod cached (after a full GC, via the inspector):
//      `rssMiB`, the figure the issue sets a bound on;
//   3. ceiling, first half (see _vn-load.ts: host create + member create + host status write per
//      pod, same QPS/burst, same pods in flight, on the same sims);
//   4. the burst: N pods created in the host with `concurrency` in flight; the host's scheduler
//      binds them to the virtual node, which places each in a member (mirror), whose scheduler and
//      kubelet run it; the status flows back. podsPerSec = N / (first create sent → last pod seen
//      Running by the watch); latency per pod = its create sent → seen Running;
//   5. ceiling, second half (halves before and after, so drift of a shared machine hits both);
//   6. a quiet spell: Node status writes per minute (the virtual node's counter, and every write
//      to the Node object seen by the host's store);
//   7. RSS again (after a full GC) with the burst's host pods and mirrors added (`rssAfterBurstMiB`),
//      peak RSS, status writes per pod over the whole run.
// Last line: `BENCH virtual-node {...}`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import type { KubeClient } from '../../kube/index.js';
import { chooseCode, importCode } from './_vn-code.js';
import { percentile } from './_stats.js';
import { createPods, runCeiling, RunningWatch, type CeilingResult } from './_vn-load.js';
import { parseMetrics, processCpuMs, SimProcess, sumOf, VirtualNodeProcess, WriterProcess, type Sample } from './_vn-procs.js';

export interface Config {
  members: number;
  /** Nodes per member. */
  nodes: number;
  hostNodes: number;
  /** Pods of the burst. */
  pods: number;
  /** Members' own pods, all members together. */
  memberPods: number;
  concurrency: number;
  qps: number;
  burst: number;
  quietSeconds: number;
  settleSeconds: number;
  startDelayMs: number;
  warmup: number;
  quick: boolean;
  sources: boolean;
  /** Where a CPU profile of the virtual node during the burst goes (--profile DIR); none when empty. */
  profileDir: string;
  /** Another build's cli/main.js to run as the virtual node (--cli FILE); dist/ when empty. */
  cli: string;
}

const FULL: Config = {
  members: 3,
  nodes: 1000,
  hostNodes: 3,
  pods: 5000,
  memberPods: 100_000,
  concurrency: 64,
  qps: 5000,
  burst: 10_000,
  quietSeconds: 120,
  settleSeconds: 10,
  startDelayMs: 100,
  warmup: 50,
  quick: false,
  sources: false,
  profileDir: '',
  cli: '',
};
const QUICK: Config = { ...FULL, nodes: 100, pods: 500, memberPods: 10_000, quietSeconds: 20, settleSeconds: 3, warmup: 20, quick: true };

const FLAGS: Record<string, keyof Config> = {
  '--members': 'members',
  '--nodes': 'nodes',
  '--host-nodes': 'hostNodes',
  '--pods': 'pods',
  '--member-pods': 'memberPods',
  '--concurrency': 'concurrency',
  '--qps': 'qps',
  '--burst': 'burst',
  '--quiet-seconds': 'quietSeconds',
  '--settle-seconds': 'settleSeconds',
  '--start-delay-ms': 'startDelayMs',
  '--warmup': 'warmup',
};
/** Flags that may be 0. */
const ZERO_OK = new Set<keyof Config>(['memberPods', 'settleSeconds', 'startDelayMs', 'warmup', 'hostNodes']);

/** Flags to sizes; a bad value is an error that names the flag. */
export function parseArgs(args: string[]): Config {
  const cfg: Config = { ...(args.includes('--quick') ? QUICK : FULL) };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--quick') continue;
    if (a === '--sources') {
      cfg.sources = true;
      continue;
    }
    if (a === '--profile' || a === '--cli') {
      const v = args[++i];
      if (!v || v.startsWith('--')) throw new Error(a === '--profile' ? 'bench virtual-node: --profile needs a directory for the virtual node\'s CPU profile' : 'bench virtual-node: --cli needs the path of a built cli/main.js');
      if (a === '--profile') cfg.profileDir = v;
      else cfg.cli = v;
      continue;
    }
    const key = FLAGS[a];
    if (!key) throw new Error(`bench virtual-node: unknown flag "${a}" (known: --quick, --sources, --profile, --cli, ${Object.keys(FLAGS).join(', ')})`);
    const v = args[++i];
    const min = ZERO_OK.has(key) ? 0 : 1;
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new Error(`bench virtual-node: ${a} needs a whole number of at least ${min}, got ${JSON.stringify(v)}`);
    (cfg[key] as number) = Number(v);
  }
  if (cfg.quietSeconds < 1) throw new Error('bench virtual-node: --quiet-seconds needs at least 1');
  return cfg;
}

const NODE_NAME = 'tidepool';
const ADDRESS = '127.0.0.1';
/** Host pods of the ceiling are bound to this node: it has no kubelet, and it is not ours. */
const PARKING_NODE = 'bench-ceiling-parking';

const round = (n: number, digits = 2): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Requests the virtual node's clients made, split into the host's and the members'. */
function requestsBy(samples: readonly Sample[]): { host: number; members: number; hostSeconds: number; hostTimed: number; memberSeconds: number; memberTimed: number; limiterWaitSeconds: number; limited: number } {
  const total = sumOf(samples, 'tidepool_kube_requests_total');
  const host = sumOf(samples, 'tidepool_kube_requests_total', { cluster: 'host' });
  // Request durations, watches left out (theirs is the time to the response headers).
  const timed = (name: string, cluster?: string): number => {
    let s = 0;
    for (const x of samples) if (x.name === name && x.labels['verb'] !== 'watch' && (cluster === undefined ? x.labels['cluster'] !== 'host' : x.labels['cluster'] === cluster)) s += x.value;
    return s;
  };
  return {
    host,
    members: total - host,
    hostSeconds: timed('tidepool_kube_request_duration_seconds_sum', 'host'),
    hostTimed: timed('tidepool_kube_request_duration_seconds_count', 'host'),
    memberSeconds: timed('tidepool_kube_request_duration_seconds_sum'),
    memberTimed: timed('tidepool_kube_request_duration_seconds_count'),
    limiterWaitSeconds: sumOf(samples, 'tidepool_kube_rate_limiter_wait_seconds_sum'),
    // Requests that waited 10 ms or more in the limiter (histogram: all minus the ≤ 0.01 s bucket).
    limited: sumOf(samples, 'tidepool_kube_rate_limiter_wait_seconds_count') - sumOf(samples, 'tidepool_kube_rate_limiter_wait_seconds_bucket', { le: '0.01' }),
  };
}

async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | string>, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (typeof v !== 'string') return v;
      last = v;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`bench virtual-node: timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (last: ${last})${context()}`);
    await sleep(250);
  }
}

export async function main(args: string[]): Promise<void> {
  const cfg = parseArgs(args);
  const log = (s: string): void => console.log(`[virtual-node] ${s}`);
  log(`config ${JSON.stringify(cfg)}`);
  if (cfg.profileDir) mkdirSync(cfg.profileDir, { recursive: true });
  const memberNames = Array.from({ length: cfg.members }, (_, i) => `member-${i + 1}`);
  const perMember = Math.ceil(cfg.memberPods / cfg.members);
  const dir = mkdtempSync(join(tmpdir(), 'tidepool-bench-vn-'));
  const figures: Record<string, number> = {
    members: cfg.members,
    nodesPerMember: cfg.nodes,
    pods: cfg.pods,
    memberPods: perMember * cfg.members,
    concurrency: cfg.concurrency,
    clientQps: cfg.qps,
    clientBurst: cfg.burst,
    memberStartDelayMs: cfg.startDelayMs,
  };
  const { code, why } = chooseCode(cfg.sources);
  log(`code: ${why}`);
  figures['compiledCode'] = code === 'dist' ? 1 : 0;
  const K = await importCode<typeof import('../../kube/index.js')>('kube/index.js', code);

  const sim = new SimProcess({ members: memberNames, nodes: cfg.nodes, hostNodes: cfg.hostNodes, startDelayMs: cfg.startDelayMs, dir, watchNodes: [NODE_NAME], watchNamespace: 'bench', code });
  let vn: VirtualNodeProcess | undefined;
  let writer: WriterProcess | undefined;
  const clients: KubeClient[] = [];
  try {
    const { kubeconfigPath } = await sim.started;
    log(`sims: host (${cfg.hostNodes} nodes) + ${cfg.members} members × ${cfg.nodes} nodes`);
    if (perMember > 0) {
      const seeded = await sim.seed(perMember);
      log(`${seeded.pods} members' own pods created and Running in ${round(seeded.ms / 1000, 1)} s`);
    }
    await sim.namespaces(['bench', 'warmup', 'ceiling-w', 'ceiling-a', 'ceiling-b'], ['ceiling-w', 'ceiling-a', 'ceiling-b']);

    // The ceiling's stand-in for the virtual node (_vn-writer.ts), idle until the ceiling runs.
    writer = new WriterProcess({ kubeconfig: kubeconfigPath, hostContext: 'host', members: memberNames, qps: cfg.qps, burst: cfg.burst, concurrency: cfg.concurrency, address: ADDRESS, code });
    const ceilingWriter = writer;
    await writer.started;

    // ------------------------------------------------------------ the virtual node
    const t0 = performance.now();
    vn = await VirtualNodeProcess.start({ kubeconfig: kubeconfigPath, hostContext: 'host', members: memberNames, nodeName: NODE_NAME, qps: cfg.qps, burst: cfg.burst, code, ...(cfg.cli ? { entry: cfg.cli } : {}) }, 120_000);
    log(`virtual node process ${vn.pid} (${vn.entry}), metrics at ${vn.metricsUrl}`);
    const registry = new Registry();
    const client = (context: string): KubeClient => {
      const c = new K.KubeClient({ config: { kind: 'file', path: kubeconfigPath, context }, cluster: context, qps: cfg.qps, burst: cfg.burst, timeoutMs: 120_000, registry });
      clients.push(c);
      return c;
    };
    const host = client('host');
    const running = vn;
    // Synced, registered, and advertising room for the whole burst (every member's pods counted).
    await waitUntil(
      'the virtual node to sync and advertise its pool',
      600_000,
      async () => {
        if (!(await running.ready())) return 'not ready (/readyz)';
        const node = await host.requestJson<{ status?: { allocatable?: Record<string, string>; conditions?: Array<{ type: string; status: string }> } }>({ path: `/api/v1/nodes/${NODE_NAME}` });
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        const pods = K.toUnits(node.status?.allocatable?.['pods'] ?? '0');
        return ready && pods >= cfg.pods + cfg.warmup ? true : `Node ${NODE_NAME} Ready=${ready}, allocatable pods ${pods}`;
      },
      () => `; the virtual node's last lines:\n${running.lastLines()}`,
    );
    figures['vnStartSeconds'] = round((performance.now() - t0) / 1000, 1);
    log(`virtual node synced (${figures['memberPods']} member pods cached) and Ready in ${figures['vnStartSeconds']} s`);

    // ------------------------------------------------------------ warm-up
    if (cfg.warmup > 0) {
      const w = await RunningWatch.open(host, 'warmup');
      await createPods(host, 'warmup', names('warm', cfg.warmup), cfg.concurrency);
      await w.waitFor(cfg.warmup, 120_000);
      await w.close();
      await runCeiling({ host, writer: ceilingWriter, namespace: 'ceiling-w', names: names('ceil-w', cfg.warmup), concurrency: cfg.concurrency, parkingNode: PARKING_NODE, memberRunning: async () => (await sim.running('ceiling-w')).members, timeoutMs: 120_000 });
      log(`warm-up: ${cfg.warmup} pods end to end and ${cfg.warmup} ceiling pods`);
    }
    // Background load with nothing asked of anyone (lease heartbeats, the federation's probes and
    // usage polls, the virtual node's periods): what every phase below runs on top of.
    const idle0 = { vn: vn.cpuMs(), sim: processCpuMs(sim.pid), at: performance.now() };
    await sleep(cfg.settleSeconds * 1000);
    const idleSeconds = (performance.now() - idle0.at) / 1000;
    if (cfg.settleSeconds > 0) {
      figures['vnIdleCores'] = round((vn.cpuMs() - idle0.vn) / 1000 / idleSeconds, 3);
      figures['simIdleCores'] = round((processCpuMs(sim.pid) - idle0.sim) / 1000 / idleSeconds, 3);
      log(`idle (${round(idleSeconds, 1)} s, nothing asked): virtual node ${figures['vnIdleCores']} cores, sims ${figures['simIdleCores']} cores`);
    }
    const synced = await vn.collectGarbage();
    const syncedMem = vn.memory();
    figures['rssMiB'] = round(syncedMem.rss, 1);
    figures['heapSyncedMiB'] = round(synced.heapUsedMiB, 1);
    figures['heapTotalSyncedMiB'] = round(synced.heapTotalMiB, 1);
    figures['peakRssSyncedMiB'] = round(syncedMem.peak, 1);
    log(`virtual node with ${figures['memberPods']} member pods cached, after GC: RSS ${figures['rssMiB']} MiB, heap ${figures['heapSyncedMiB']} MiB used of ${figures['heapTotalSyncedMiB']} MiB; peak RSS so far (the initial LISTs) ${figures['peakRssSyncedMiB']} MiB`);

    // ------------------------------------------------------------ ceiling, first half
    const half = Math.max(1, Math.floor(cfg.pods / 2));
    const ceilingTimeout = Math.max(300_000, cfg.pods * 200);
    const ceiling = async (tag: 'a' | 'b'): Promise<CeilingResult & { simCpuMs: number; clientCpuMs: number; writerCpuMs: number }> => {
      const cpu0 = processCpuMs(sim.pid);
      const w0 = processCpuMs(ceilingWriter.pid);
      const self0 = process.cpuUsage();
      const gc0 = (await sim.counters()).gcMs;
      const r = await runCeiling({ host, writer: ceilingWriter, namespace: `ceiling-${tag}`, names: names(`ceil-${tag}`, half), concurrency: cfg.concurrency, parkingNode: PARKING_NODE, memberRunning: async () => (await sim.running(`ceiling-${tag}`)).members, timeoutMs: ceilingTimeout });
      const simCores = (processCpuMs(sim.pid) - cpu0) / 1000 / r.seconds;
      const gcSeconds = ((await sim.counters()).gcMs - gc0) / 1000;
      log(
        `ceiling (${tag === 'a' ? 'before' : 'after'} the burst): ${r.pods} pods in ${round(r.seconds, 2)} s = ${round(r.pods / r.seconds, 1)} pods/s (creates answered at ${round(r.createsSeconds, 2)} s, writes at ${round(r.writesSeconds, 2)} s, last host Running seen at ${round(r.hostRunningSeconds, 2)} s); ` +
          `sims ${round(simCores, 2)} cores, ${round(gcSeconds, 2)} s of it in GC pauses`,
      );
      const self = process.cpuUsage(self0);
      return { ...r, simCpuMs: processCpuMs(sim.pid) - cpu0, clientCpuMs: (self.user + self.system) / 1000, writerCpuMs: processCpuMs(ceilingWriter.pid) - w0 };
    };
    const ceilA = await ceiling('a');

    // ------------------------------------------------------------ the burst
    const m0 = await vn.metrics();
    const c0 = await sim.counters();
    const cpu0 = { vn: vn.cpuMs(), sim: processCpuMs(sim.pid), self: process.cpuUsage() };
    const watch = await RunningWatch.open(host, 'bench');
    const stopProfile = cfg.profileDir ? await vn.startProfile() : undefined;
    // The virtual node's work queue, sampled every second: how far behind it falls, per lane.
    const queueMax = { add: 0, update: 0 };
    const sampling = setInterval(() => {
      void running.metrics().then(
        (m) => {
          queueMax.add = Math.max(queueMax.add, sumOf(m, 'tidepool_workqueue_depth', { name: 'virtual-node-pods', lane: 'add' }));
          queueMax.update = Math.max(queueMax.update, sumOf(m, 'tidepool_workqueue_depth', { name: 'virtual-node-pods', lane: 'update' }));
        },
        () => undefined,
      );
    }, 1_000);
    const burstNames = names('burst', cfg.pods);
    const created = await createPods(host, 'bench', burstNames, cfg.concurrency);
    await watch.waitFor(cfg.pods, Math.max(600_000, cfg.pods * 500)).finally(() => clearInterval(sampling));
    await watch.close();
    if (stopProfile) {
      const file = join(cfg.profileDir, `virtual-node-burst-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(await stopProfile()));
      log(`CPU profile of the virtual node during the burst: ${file}`);
    }
    const lastRunning = Math.max(...burstNames.map((n) => watch.runningAt.get(n)!));
    const e2eSeconds = (lastRunning - created.firstSent) / 1000;
    const selfCpu = process.cpuUsage(cpu0.self);
    const cpu1 = { vn: vn.cpuMs(), sim: processCpuMs(sim.pid) };
    const m1 = await vn.metrics();
    const c1 = await sim.counters();
    figures['simGcSecondsInBurst'] = round((c1.gcMs - c0.gcMs) / 1000, 2);
    const latencies = burstNames.map((n) => (watch.runningAt.get(n)! - created.sentAt.get(n)!) / 1000).sort((a, b) => a - b);
    figures['podsPerSec'] = round(cfg.pods / e2eSeconds, 1);
    figures['e2eSeconds'] = round(e2eSeconds, 2);
    figures['createsPerSec'] = round(cfg.pods / ((created.createsDone - created.firstSent) / 1000), 1);
    figures['p50Seconds'] = round(percentile(latencies, 50), 3);
    figures['p99Seconds'] = round(percentile(latencies, 99), 3);
    figures['maxSeconds'] = round(latencies[latencies.length - 1] ?? NaN, 3);
    log(`burst: ${cfg.pods} pods created (${figures['createsPerSec']}/s) and Running in the host view in ${figures['e2eSeconds']} s = ${figures['podsPerSec']} pods/s; create → Running p50 ${figures['p50Seconds']} s, p99 ${figures['p99Seconds']} s, max ${figures['maxSeconds']} s`);
    const r0 = requestsBy(m0);
    const r1 = requestsBy(m1);
    figures['vnHostRequestsPerPod'] = round((r1.host - r0.host) / cfg.pods, 2);
    figures['vnMemberRequestsPerPod'] = round((r1.members - r0.members) / cfg.pods, 2);
    const hostVerb = (m: readonly Sample[], verb: string): number => sumOf(m, 'tidepool_kube_requests_total', { cluster: 'host', verb });
    figures['vnHostCreatesPerPod'] = round((hostVerb(m1, 'create') - hostVerb(m0, 'create')) / cfg.pods, 2);
    figures['vnHostPatchesPerPod'] = round((hostVerb(m1, 'patch') - hostVerb(m0, 'patch')) / cfg.pods, 2);
    figures['vnHostRequestMs'] = round(((r1.hostSeconds - r0.hostSeconds) * 1000) / (r1.hostTimed - r0.hostTimed), 1);
    figures['vnMemberRequestMs'] = round(((r1.memberSeconds - r0.memberSeconds) * 1000) / (r1.memberTimed - r0.memberTimed), 1);
    const reconcile = (m: readonly Sample[], what: 'sum' | 'count'): number => sumOf(m, `tidepool_virtual_node_pod_reconcile_seconds_${what}`);
    figures['vnReconcilesPerPod'] = round((reconcile(m1, 'count') - reconcile(m0, 'count')) / cfg.pods, 2);
    figures['vnReconcileMs'] = round(((reconcile(m1, 'sum') - reconcile(m0, 'sum')) * 1000) / (reconcile(m1, 'count') - reconcile(m0, 'count')), 1);
    const adds = (m: readonly Sample[], lane: string): number => sumOf(m, 'tidepool_workqueue_adds_total', { name: 'virtual-node-pods', lane });
    figures['vnQueueAddsPerPod'] = round((adds(m1, 'add') - adds(m0, 'add')) / cfg.pods, 2);
    figures['vnQueueUpdatesPerPod'] = round((adds(m1, 'update') - adds(m0, 'update')) / cfg.pods, 2);
    figures['vnQueueMaxAdd'] = queueMax.add;
    figures['vnQueueMaxUpdate'] = queueMax.update;
    figures['vnLimiterWaitSeconds'] = round(r1.limiterWaitSeconds - r0.limiterWaitSeconds, 3);
    figures['vnRequestsLimited'] = r1.limited - r0.limited;
    figures['vnCpuSeconds'] = round((cpu1.vn - cpu0.vn) / 1000, 2);
    figures['vnCpuMsPerPod'] = round((cpu1.vn - cpu0.vn) / cfg.pods, 2);
    figures['vnCpuCores'] = round((cpu1.vn - cpu0.vn) / 1000 / e2eSeconds, 2);
    figures['simCpuMsPerPod'] = round((cpu1.sim - cpu0.sim) / cfg.pods, 2);
    figures['simCpuCores'] = round((cpu1.sim - cpu0.sim) / 1000 / e2eSeconds, 2);
    figures['benchClientCpuMsPerPod'] = round((selfCpu.user + selfCpu.system) / 1000 / cfg.pods, 2);
    log(
      `virtual node during the burst: ${figures['vnCpuSeconds']} s CPU (${figures['vnCpuMsPerPod']} ms per pod, ${figures['vnCpuCores']} cores); ` +
        `${figures['vnHostRequestsPerPod']} host (${figures['vnHostCreatesPerPod']} creates, ${figures['vnHostPatchesPerPod']} patches) + ${figures['vnMemberRequestsPerPod']} member requests per pod (mean ${figures['vnHostRequestMs']} / ${figures['vnMemberRequestMs']} ms); ` +
        `${figures['vnReconcilesPerPod']} reconciles per pod of ${figures['vnReconcileMs']} ms; queue: ${figures['vnQueueAddsPerPod']} adds per pod to the add lane, ${figures['vnQueueUpdatesPerPod']} to the update lane, depth up to ${figures['vnQueueMaxAdd']} / ${figures['vnQueueMaxUpdate']}; limiter wait ${figures['vnLimiterWaitSeconds']} s in all, ${figures['vnRequestsLimited']} requests held ≥ 10 ms. Sims: ${figures['simCpuMsPerPod']} ms CPU per pod (${figures['simCpuCores']} cores), ${figures['simGcSecondsInBurst']} s in GC pauses`,
    );

    // ------------------------------------------------------------ ceiling, second half
    const ceilB = await ceiling('b');
    const ceilPods = ceilA.pods + ceilB.pods;
    const ceilSeconds = ceilA.seconds + ceilB.seconds;
    const ceilLat = [...ceilA.latencies, ...ceilB.latencies].map((ms) => ms / 1000).sort((a, b) => a - b);
    figures['ceilingPodsPerSec'] = round(ceilPods / ceilSeconds, 1);
    figures['ceilingBeforePodsPerSec'] = round(ceilA.pods / ceilA.seconds, 1);
    figures['ceilingAfterPodsPerSec'] = round(ceilB.pods / ceilB.seconds, 1);
    figures['ceilingRatio'] = round(figures['podsPerSec']! / figures['ceilingPodsPerSec']!, 3);
    figures['ceilingP50Seconds'] = round(percentile(ceilLat, 50), 3);
    figures['ceilingP99Seconds'] = round(percentile(ceilLat, 99), 3);
    figures['ceilingSimCpuMsPerPod'] = round((ceilA.simCpuMs + ceilB.simCpuMs) / ceilPods, 2);
    figures['ceilingSimCpuCores'] = round((ceilA.simCpuMs + ceilB.simCpuMs) / 1000 / ceilSeconds, 2);
    figures['ceilingClientCpuMsPerPod'] = round((ceilA.clientCpuMs + ceilB.clientCpuMs) / ceilPods, 2);
    figures['ceilingWriterCpuMsPerPod'] = round((ceilA.writerCpuMs + ceilB.writerCpuMs) / ceilPods, 2);
    // CPU the whole machine spent per pod, both ways (every process of the run): what the ratio
    // would be if the two cores were ours alone and both runs were CPU-bound.
    const e2eCpu = figures['vnCpuMsPerPod']! + figures['simCpuMsPerPod']! + figures['benchClientCpuMsPerPod']!;
    const ceilCpu = figures['ceilingSimCpuMsPerPod']! + figures['ceilingClientCpuMsPerPod']! + figures['ceilingWriterCpuMsPerPod']!;
    figures['e2eCpuMsPerPod'] = round(e2eCpu, 2);
    figures['ceilingCpuMsPerPod'] = round(ceilCpu, 2);
    figures['cpuRatio'] = round(ceilCpu / e2eCpu, 3);
    const benchLimiter = parseMetrics(await registry.metrics());
    figures['benchLimiterWaitSeconds'] = round(sumOf(benchLimiter, 'tidepool_kube_rate_limiter_wait_seconds_sum'), 3);
    log(
      `ceiling (host create + member create + host status write per pod, ${cfg.concurrency} in flight, QPS ${cfg.qps}/burst ${cfg.burst}): ${figures['ceilingPodsPerSec']} pods/s ` +
        `(${figures['ceilingBeforePodsPerSec']} before, ${figures['ceilingAfterPodsPerSec']} after); CPU per pod: sims ${figures['ceilingSimCpuMsPerPod']}, writer ${figures['ceilingWriterCpuMsPerPod']} (the virtual node: ${figures['vnCpuMsPerPod']}), creator ${figures['ceilingClientCpuMsPerPod']} ms. ` +
        `End to end = ${round(figures['ceilingRatio']! * 100, 1)} % of the ceiling. CPU per pod, all processes: ${figures['e2eCpuMsPerPod']} ms end to end vs ${figures['ceilingCpuMsPerPod']} ms for the ceiling (${round(figures['cpuRatio']! * 100, 1)} %)`,
    );

    // ------------------------------------------------------------ steady state
    await sleep(cfg.settleSeconds * 1000);
    const q0 = await vn.metrics();
    const qc0 = await sim.counters();
    const tq = performance.now();
    await sleep(cfg.quietSeconds * 1000);
    const quietSeconds = (performance.now() - tq) / 1000;
    const q1 = await vn.metrics();
    const qc1 = await sim.counters();
    figures['quietSeconds'] = round(quietSeconds, 1);
    figures['nodeStatusWritesPerMin'] = round(((sumOf(q1, 'tidepool_virtual_node_node_status_writes_total') - sumOf(q0, 'tidepool_virtual_node_node_status_writes_total')) * 60) / quietSeconds, 2);
    figures['hostNodeWritesPerMin'] = round(((qc1.nodeWrites - qc0.nodeWrites) * 60) / quietSeconds, 2);
    figures['leaseRenewalsPerMin'] = round(((sumOf(q1, 'tidepool_virtual_node_lease_renewals_total') - sumOf(q0, 'tidepool_virtual_node_lease_renewals_total')) * 60) / quietSeconds, 2);
    // Over the whole run since the burst began (late writes included), happy path only.
    figures['statusWritesPerPod'] = round((sumOf(q1, 'tidepool_virtual_node_pod_status_writes_total') - sumOf(m0, 'tidepool_virtual_node_pod_status_writes_total')) / cfg.pods, 3);
    figures['hostPodWritesPerPod'] = round((qc1.podWrites - c0.podWrites) / cfg.pods, 3);
    // Events are written in the background, one at a time, so they trail the burst: counted until now.
    figures['vnEventWritesPerPod'] = round((qc1.vnEventWrites - c0.vnEventWrites) / cfg.pods, 3);
    figures['vnEventWritesDuringBurstPerPod'] = round((c1.vnEventWrites - c0.vnEventWrites) / cfg.pods, 3);
    figures['schedulerEventWritesPerPod'] = round((qc1.otherEventWrites - c0.otherEventWrites) / cfg.pods, 3);
    // The recorder drops an event when its queue is full or an object's token bucket is empty.
    const dropped = (m: readonly Sample[]): number => sumOf(m, 'tidepool_events_total', { outcome: 'dropped_queue_full' }) + sumOf(m, 'tidepool_events_total', { outcome: 'dropped_spam' });
    figures['eventsDropped'] = dropped(q1) - dropped(m0);
    log(`host pods of the burst by number of writes (the scheduler's binding included): ${JSON.stringify(await sim.podWriteHistogram())}`);
    log(
      `status writes per pod: ${figures['statusWritesPerPod']} (virtual node's counter); every write to the burst's host pods: ${figures['hostPodWritesPerPod']} per pod (the scheduler's binding included). ` +
        `Event writes per pod: ${figures['vnEventWritesPerPod']} by the virtual node (${figures['vnEventWritesDuringBurstPerPod']} of them before the last pod was Running; ${figures['eventsDropped']} dropped by its recorder), ${figures['schedulerEventWritesPerPod']} by the host's scheduler. ` +
        `Quiet ${figures['quietSeconds']} s: ${figures['nodeStatusWritesPerMin']} Node status writes/min (${figures['hostNodeWritesPerMin']} writes/min to the Node object in the host's store), ${figures['leaseRenewalsPerMin']} Lease renewals/min`,
    );

    const end = await vn.collectGarbage();
    const endMem = vn.memory();
    figures['rssAfterBurstMiB'] = round(endMem.rss, 1);
    figures['heapUsedMiB'] = round(end.heapUsedMiB, 1);
    figures['heapTotalMiB'] = round(end.heapTotalMiB, 1);
    figures['externalMiB'] = round(end.externalMiB, 1);
    figures['peakRssMiB'] = round(endMem.peak, 1);
    figures['vnWarnings'] = vn.warnings;
    log(`virtual node at steady state with ${figures['memberPods']} member pods + ${cfg.pods + cfg.warmup} host pods and mirrors, after GC: RSS ${figures['rssAfterBurstMiB']} MiB, heap ${figures['heapUsedMiB']} MiB used of ${figures['heapTotalMiB']} MiB, external ${figures['externalMiB']} MiB; peak RSS ${figures['peakRssMiB']} MiB`);
    if (vn.warnings > 0) log(`virtual node warnings: ${JSON.stringify(Object.fromEntries(vn.warningMessages))}`);
  } finally {
    for (const c of clients) c.close();
    await writer?.stop();
    await vn?.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`BENCH virtual-node ${JSON.stringify(figures)}`);
}
