// `npm run bench -- sim [--quick] [--sources] [--nodes N] [--pods N] [--concurrency C] [--watchers W] [--watch-events N]`
//
// How far one simulated cluster goes, in one process, through its real HTTPS API:
//   - raw HTTP limit of the server (GET /version, and an authenticated GET of a small
//     object) at the same concurrency as the writes, so the write rate has a yardstick;
//   - pod writes/s: POST a pod (bound to a node, as a scheduler would) then PATCH its
//     status (strategic merge, as a kubelet does), N requests in flight on keep-alive;
//   - RSS and heap with all pods and nodes stored (after a full GC);
//   - a paginated LIST of every pod (limit 500 + continue) vs JSON.stringify of the
//     same objects;
//   - watch fan-out: W watchers on all pods receiving N changes: events/s and lag;
//   - idle CPU of the fleet's lease heartbeats;
//   - the same create + status patch made in-process through ClusterApi (no HTTP), in a
//     small cluster of its own first: the API's share of a write.
// The scheduler is off (pods carry spec.nodeName) and the kubelets' start delay is
// long, so the simulated kubelets do not write while we measure: the client plays the
// kubelet. Lease heartbeats stay on at their default period (10 s per node).
// The client runs in a worker thread (_sim-client.ts) so its CPU is not taken from the
// server's event loop; the server, store, fleet and watch writes share the main thread.
// The simulator runs as users run it, compiled by tsc (dist/, see _compiled.ts); --sources
// runs the TypeScript sources through tsx instead, to compare.
// Last line: `BENCH sim {...}`.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import type { SimCluster } from '../../sim/index.js';
import type { KubeObject } from '../../sim/object.js';
import { loadCompiled } from './_compiled.js';
import { absNow, percentile, podBody, statusPatch, type ClientInit, type ListFigures, type WriteFigures } from './_sim-client.js';

interface Config {
  nodes: number;
  pods: number;
  namespaces: number;
  concurrency: number;
  watchers: number;
  watchEvents: number;
  /** Changes per second of the paced watch round. */
  watchRate: number;
  rawSeconds: number;
  idleSeconds: number;
  listLimit: number;
  /** Write slices, with a raw-HTTP sample before each. */
  slices: number;
}

const FULL: Config = {
  nodes: 5000,
  pods: 100_000,
  namespaces: 10,
  concurrency: 64,
  watchers: 10,
  watchEvents: 20_000,
  watchRate: 1000,
  rawSeconds: 10,
  idleSeconds: 5,
  listLimit: 500,
  slices: 10,
};
const QUICK: Config = { ...FULL, nodes: 500, pods: 10_000, watchEvents: 5_000, rawSeconds: 3, idleSeconds: 2, slices: 5 };

export function parseArgs(args: string[]): Config {
  const quick = args.includes('--quick') || process.env['SIM_BENCH_QUICK'] === '1';
  const cfg: Config = { ...(quick ? QUICK : FULL) };
  const flags: Record<string, keyof Config> = {
    '--nodes': 'nodes',
    '--pods': 'pods',
    '--namespaces': 'namespaces',
    '--concurrency': 'concurrency',
    '--watchers': 'watchers',
    '--watch-events': 'watchEvents',
    '--watch-rate': 'watchRate',
    '--raw-seconds': 'rawSeconds',
    '--idle-seconds': 'idleSeconds',
    '--list-limit': 'listLimit',
    '--slices': 'slices',
  };
  for (let i = 0; i < args.length; i++) {
    const key = flags[args[i]!];
    if (!key) continue;
    const v = Number(args[++i]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`bench sim: ${args[i - 1]} needs a non-negative number, got "${args[i]}"`);
    cfg[key] = v;
  }
  if (cfg.nodes < 1 || cfg.pods < 1 || cfg.namespaces < 1 || cfg.concurrency < 1 || cfg.listLimit < 1 || cfg.slices < 1 || cfg.watchRate < 1) {
    throw new Error('bench sim: --nodes, --pods, --namespaces, --concurrency, --list-limit, --slices and --watch-rate must be at least 1');
  }
  cfg.watchEvents = Math.min(cfg.watchEvents, cfg.pods);
  return cfg;
}

// ------------------------------------------------------------------ client thread

/** The load generator in a worker thread (see _sim-client.ts), driven by small RPCs. */
class LoadClient {
  private readonly worker: Worker;
  private nextId = 0;
  /** Watch events the client thread has decoded so far (sent every 500). */
  watchDelivered = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(init: ClientInit) {
    // Workers do not inherit tsx's loader hooks: register them before importing the TS module.
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./_sim-client.ts', import.meta.url).href;
    const boot = `(async () => { const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(entry)}); })()`;
    this.worker = new Worker(boot, { eval: true, workerData: init });
    this.worker.on('message', (m: { id: number; result?: unknown; error?: string; progress?: number }) => {
      if (m.progress !== undefined) {
        this.watchDelivered = m.progress;
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`bench client: ${m.error}`));
      else p.resolve(m.result);
    });
    this.worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  /** One RPC; a run that stalls fails after `timeoutMs` instead of hanging the benchmark. */
  call<T>(cmd: string, args: unknown = {}, timeoutMs = 600_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`bench client: ${cmd} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = <V>(f: (v: V) => void) => (v: V): void => {
        clearTimeout(timer);
        f(v);
      };
      this.pending.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject) });
      this.worker.postMessage({ id, cmd, args });
    });
  }

  async close(): Promise<void> {
    await this.call('close', {}, 5_000).catch(() => undefined);
    await this.worker.terminate();
  }
}

const round = (n: number, digits = 0): number => Number(n.toFixed(digits));
const mib = (bytes: number): number => round(bytes / 1024 / 1024, 1);

function gcNow(): void {
  // tsx does not pass --expose-gc; flip the flag at run time and pick gc up from a fresh context.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
}

/**
 * CPU time (ms) of the main thread alone — the server's — from /proc (Linux), so the
 * server's cost per request is known even though the client thread shares the process
 * and the machine. undefined where /proc is not available.
 */
function serverThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the parenthesised command: state is field 3, utime 14, stime 15 (clock ticks, USER_HZ = 100).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Peak resident set size of the process (VmHWM), Linux only. */
function peakRssBytes(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `fn` and returns its result with the server thread's CPU ms spent meanwhile. */
async function withServerCpu<T>(fn: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  const c0 = serverThreadCpuMs();
  const result = await fn();
  const c1 = serverThreadCpuMs();
  return { result, cpuMs: c0 === undefined || c1 === undefined ? NaN : c1 - c0 };
}

async function measureIdleCpu(seconds: number): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) / 1000 / (performance.now() - t0)) * 100;
}

/**
 * JSON.stringify of every stored pod, as decoded objects: the floor of any LIST. Done in
 * pages of 10,000 (timed, summed) so the baseline does not itself hold 100k decoded pods
 * and inflate the process's peak RSS.
 */
function stringifyBaseline(cluster: SimCluster): number {
  const all = [...cluster.store.values('/pods')];
  const PAGE = 10_000;
  let seconds = 0;
  let bytes = 0;
  for (let i = 0; i < all.length; i += PAGE) {
    const objects = all.slice(i, i + PAGE).map((o) => JSON.parse(o.json) as unknown);
    const t0 = performance.now();
    bytes += JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: objects }).length;
    seconds += (performance.now() - t0) / 1000;
  }
  if (bytes === 0) throw new Error('stringify baseline: no pods');
  return seconds;
}

interface WatchFigures {
  eventsPerSec: number;
  delivered: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  seconds: number;
}

/**
 * W watchers (in the client thread) on all pods over HTTPS; `changes` pod changes made
 * here in the server's thread — as fast as the watchers keep up, 200 per event-loop turn
 * and never more than BURST_AHEAD changes ahead of what they have decoded (burst:
 * throughput, with the server's buffers for them bounded), or paced at `perSec` (lag at
 * a steady rate); every watcher must see every change.
 */
async function watchFanOut(cluster: SimCluster, client: LoadClient, watchers: number, changes: number, perSec: number): Promise<WatchFigures> {
  const api = cluster.api;
  const podsRt = api.registry.lookup('', 'v1', 'pods')!;
  const expected = watchers * changes;
  client.watchDelivered = 0;
  await client.call('watchOpen', { watchers, fromRv: String(api.store.currentRv()), expected });
  // The response head is out before the stream subscribes; let the server settle.
  await new Promise((r) => setTimeout(r, 200));
  const waiting = client.call<Float64Array>('watchWait', { timeoutMs: 180_000 });
  const keys = [...api.store.values('/pods')].slice(0, changes).map((o) => ({ ns: o.namespace, name: o.name }));
  const sentAt = new Map<number, number>();
  const t0 = absNow();
  const BATCH = perSec > 0 ? Math.max(1, Math.round(perSec / 100)) : 200;
  for (let i = 0; i < keys.length; i += BATCH) {
    if (perSec > 0) {
      const due = t0 + (i / perSec) * 1000;
      const wait = due - absNow();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    } else {
      while (i * watchers - client.watchDelivered > BURST_AHEAD * watchers) await new Promise((r) => setTimeout(r, 2));
    }
    for (const k of keys.slice(i, i + BATCH)) {
      const res = api.mutate(podsRt, k.ns, k.name, (pod) => {
        pod.metadata.annotations = { ...pod.metadata.annotations, 'bench.tidepool.dev/seq': String(i) };
      });
      sentAt.set(res.object.rv, absNow());
    }
    // Yield so the sockets drain, as a server taking writes from many clients would.
    await new Promise((r) => setImmediate(r));
  }
  const arrivals = await waiting;
  const lags = new Float64Array(expected);
  let last = 0;
  for (let i = 0; i < expected; i++) {
    const at = arrivals[2 * i + 1]!;
    const sent = sentAt.get(arrivals[2 * i]!);
    if (sent === undefined) throw new Error(`watch delivered resourceVersion ${arrivals[2 * i]} that the benchmark did not write`);
    lags[i] = at - sent;
    last = Math.max(last, at);
  }
  lags.sort();
  const seconds = (last - t0) / 1000;
  return {
    eventsPerSec: expected / seconds,
    delivered: expected,
    lagP50Ms: percentile(lags, 50),
    lagP99Ms: percentile(lags, 99),
    lagMaxMs: lags[lags.length - 1] ?? 0,
    seconds,
  };
}

/**
 * The same writes (create + strategic-merge status patch, decode checks included) made
 * in-process through ClusterApi, in a small cluster of their own: the API's share of a
 * write, without HTTP and TLS. CPU per write from process.cpuUsage (nothing else runs).
 */
async function inProcessWrites(code: SimCode, pods: number): Promise<{ perSec: number; cpuUsPerWrite: number }> {
  const { startSim, applyPatch } = code;
  const sim = await startSim({ clusters: ['api'], nodes: 0, scheduler: false, startDelayMs: 24 * 3600 * 1000 });
  try {
    const c = sim.cluster('api');
    const nodes = 100;
    for (let i = 0; i < nodes; i++) c.fleet.addNode(`api-node-${i}`, { cpu: '32', memory: '128Gi', pods: 110 });
    c.api.create(c.api.registry.lookup('', 'v1', 'namespaces')!, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-0' } });
    const podsRt = c.api.registry.lookup('', 'v1', 'pods')!;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const target = { group: '', kind: 'Pod', custom: false };
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < pods; i++) {
      const body = podBody(`pod-${i}`, `api-node-${i % nodes}`, i);
      c.api.create(podsRt, 'bench-0', JSON.parse(body) as KubeObject, { rawBody: body });
      const patch = statusPatch(`10.0.${(i >> 8) & 0xff}.${i & 0xff}`, '127.0.0.1', now);
      c.api.mutate(podsRt, 'bench-0', `pod-${i}`, (cur) => applyPatch(STRATEGIC, cur, JSON.parse(patch), target) as KubeObject, {
        rawBody: patch,
        subresource: 'status',
      });
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    return { perSec: (pods * 2) / seconds, cpuUsPerWrite: (cpu.user + cpu.system) / (pods * 2) };
  } finally {
    await sim.stop();
  }
}

const STRATEGIC = 'application/strategic-merge-patch+json';

/** The simulator's code under test: compiled (dist/) when the build is fresh, see _compiled.ts. */
interface SimCode {
  startSim: typeof import('../../sim/index.js').startSim;
  applyPatch: typeof import('../../sim/patch/index.js').applyPatch;
  from: string;
}

async function loadSimCode(sources: boolean): Promise<SimCode> {
  const trees = ['sim', 'kube'];
  const sim = await loadCompiled<typeof import('../../sim/index.js')>('sim/index.js', trees, { sources });
  const patch = await loadCompiled<typeof import('../../sim/patch/index.js')>('sim/patch/index.js', trees, { sources });
  return { startSim: sim.mod.startSim, applyPatch: patch.mod.applyPatch, from: sim.from };
}

/**
 * How many changes the burst producer may run ahead of the watchers' decoding: without a
 * bound, 20,000 changes to 10 slow readers queue ~400 MB in the server's socket buffers
 * (as a real apiserver would, until it drops the slow watchers).
 */
const BURST_AHEAD = 2_000;

// ------------------------------------------------------------------ main

export async function main(args: string[]): Promise<void> {
  const cfg = parseArgs(args);
  const log = (s: string): void => console.log(`[sim] ${s}`);
  log(`config ${JSON.stringify(cfg)}`);
  const code = await loadSimCode(args.includes('--sources'));
  log(`simulator code: ${code.from}`);
  const inProc = await inProcessWrites(code, Math.min(cfg.pods, 10_000));
  log(`in-process API (no HTTP): ${round(inProc.perSec)} pod writes/s, ${round(inProc.cpuUsPerWrite)} us CPU per write`);
  const sim = await code.startSim({
    clusters: ['bench'],
    nodes: 0,
    scheduler: false,
    // The client plays the kubelet (status patches); the simulated kubelets stay idle.
    startDelayMs: 24 * 3600 * 1000,
  });
  const cluster = sim.cluster('bench');
  const entry = cluster.kubeconfigEntry();
  const figures: Record<string, number> = { nodes: cfg.nodes, pods: cfg.pods, concurrency: cfg.concurrency, watchers: cfg.watchers };
  // 1 when the compiled simulator ran (what users run), 0 for the sources through tsx.
  figures['compiledCode'] = code.from.startsWith('compiled') ? 1 : 0;
  figures['inProcessWritesPerSec'] = round(inProc.perSec);
  figures['inProcessCpuUsPerWrite'] = round(inProc.cpuUsPerWrite);
  let client: LoadClient | undefined;
  try {
    // Nodes through the fleet (Node + status + Lease each), as kwok registers nodes.
    const t0 = performance.now();
    const nodePrefix = 'bench-node-';
    for (let i = 0; i < cfg.nodes; i++) {
      cluster.fleet.addNode(`${nodePrefix}${i}`, { cpu: '32', memory: '128Gi', pods: 110, labels: { 'topology.kubernetes.io/zone': `zone-${i % 3}` } });
    }
    figures['addNodesSeconds'] = round((performance.now() - t0) / 1000, 2);
    log(`${cfg.nodes} nodes added in ${figures['addNodesSeconds']} s`);
    const nsRt = cluster.api.registry.lookup('', 'v1', 'namespaces')!;
    for (let i = 0; i < cfg.namespaces; i++) cluster.api.create(nsRt, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${i}` } });

    figures['idleCpuPercent'] = round(await measureIdleCpu(cfg.idleSeconds), 1);
    log(`idle CPU with ${cfg.nodes} nodes renewing leases: ${figures['idleCpuPercent']} % of one core`);

    client = new LoadClient({ server: entry.server, token: entry.token, ca: entry.caPem, concurrency: cfg.concurrency });
    // Warm up connections and JIT before any measurement.
    await client.call<number>('rate', { seconds: 0.5, path: '/version' });
    // The machine is shared and noisy, so the raw HTTP limit is sampled between the write
    // slices (same client, same concurrency) and the ratio compares like with like.
    const slices = Math.max(1, Math.min(cfg.slices, cfg.pods));
    const rawSamples: number[] = [];
    const getSamples: number[] = [];
    const latencies: Float64Array[] = [];
    let writes = 0;
    let writeSeconds = 0;
    let rawRequests = 0;
    let rawCpuMs = 0;
    let writeCpuMs = 0;
    for (let k = 0; k < slices; k++) {
      const seconds = cfg.rawSeconds / slices;
      const r = await withServerCpu(() => client!.call<number>('rate', { seconds, path: '/version' }));
      rawSamples.push(r.result);
      rawRequests += r.result * seconds;
      rawCpuMs += r.cpuMs;
      getSamples.push(await client.call<number>('rate', { seconds, path: '/api/v1/namespaces/default' }));
      const from = Math.floor((cfg.pods * k) / slices);
      const to = Math.floor((cfg.pods * (k + 1)) / slices);
      const w = await withServerCpu(() => client!.call<WriteFigures>('writePods', { from, to, namespaces: cfg.namespaces, nodePrefix, nodes: cfg.nodes }));
      writes += w.result.writes;
      writeSeconds += w.result.seconds;
      writeCpuMs += w.cpuMs;
      latencies.push(w.result.latencies);
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const raw = mean(rawSamples);
    const small = mean(getSamples);
    const allLat = new Float64Array(latencies.reduce((n, l) => n + l.length, 0));
    latencies.reduce((off, l) => (allLat.set(l, off), off + l.length), 0);
    allLat.sort();
    const perSec = writes / writeSeconds;
    figures['rawVersionReqPerSec'] = round(raw);
    figures['getObjectReqPerSec'] = round(small);
    figures['podWritesPerSec'] = round(perSec);
    figures['writeSeconds'] = round(writeSeconds, 1);
    figures['writeP50Ms'] = round(percentile(allLat, 50), 2);
    figures['writeP99Ms'] = round(percentile(allLat, 99), 2);
    figures['writesVsRawVersion'] = round(perSec / raw, 3);
    figures['writesVsGetObject'] = round(perSec / small, 3);
    // The server thread's own CPU per request: what one core would sustain with the client elsewhere.
    const usPerWrite = (writeCpuMs * 1000) / writes;
    const usPerRaw = (rawCpuMs * 1000) / rawRequests;
    figures['serverCpuUsPerWrite'] = round(usPerWrite);
    figures['serverCpuUsPerRawReq'] = round(usPerRaw);
    figures['podWritesPerServerCoreSec'] = round(1e6 / usPerWrite);
    log(`raw HTTP limit (mean of ${slices} samples between write slices): GET /version ${figures['rawVersionReqPerSec']}/s, GET a namespace ${figures['getObjectReqPerSec']}/s (${cfg.concurrency} in flight)`);
    log(
      `${writes} pod writes (create + status patch) in ${figures['writeSeconds']} s: ${figures['podWritesPerSec']}/s, ` +
        `p50 ${figures['writeP50Ms']} ms, p99 ${figures['writeP99Ms']} ms; ${figures['writesVsRawVersion']}x GET /version, ${figures['writesVsGetObject']}x GET a namespace`,
    );
    log(
      `server thread CPU: ${figures['serverCpuUsPerWrite']} us per pod write, ${figures['serverCpuUsPerRawReq']} us per GET /version ` +
        `=> ${figures['podWritesPerServerCoreSec']} pod writes/s per core of server`,
    );
    if (cluster.store.count('/pods') !== cfg.pods) throw new Error(`expected ${cfg.pods} pods stored, found ${cluster.store.count('/pods')}`);

    gcNow();
    const mem = process.memoryUsage();
    figures['rssMiB'] = mib(mem.rss);
    figures['heapUsedMiB'] = mib(mem.heapUsed);
    figures['externalMiB'] = mib(mem.external + mem.arrayBuffers);
    figures['peakRssAfterWritesMiB'] = mib(peakRssBytes() ?? 0);
    log(`memory with ${cfg.pods} pods + ${cfg.nodes} nodes (whole process, client thread included): RSS ${figures['rssMiB']} MiB, heap used ${figures['heapUsedMiB']} MiB`);

    const { result: list, cpuMs: listCpuMs } = await withServerCpu(() => client!.call<ListFigures>('list', { limit: cfg.listLimit }));
    if (list.items !== cfg.pods) throw new Error(`paginated LIST returned ${list.items} pods, expected ${cfg.pods}`);
    const stringify = stringifyBaseline(cluster);
    figures['list100kSeconds'] = round(list.seconds, 2);
    figures['listPages'] = list.pages;
    figures['listItems'] = list.items;
    figures['stringifySeconds'] = round(stringify, 2);
    figures['listVsStringify'] = round(list.seconds / stringify, 2);
    figures['listServerCpuSeconds'] = round(listCpuMs / 1000, 2);
    figures['peakRssAfterListMiB'] = mib(peakRssBytes() ?? 0);
    log(
      `paginated LIST of ${list.items} pods (limit ${cfg.listLimit}): ${figures['list100kSeconds']} s in ${list.pages} pages; ` +
        `JSON.stringify of the same objects: ${figures['stringifySeconds']} s (LIST = ${figures['listVsStringify']}x); server thread CPU ${figures['listServerCpuSeconds']} s`,
    );

    if (cfg.watchers > 0 && cfg.watchEvents > 0) {
      const { result: wf, cpuMs: watchCpuMs } = await withServerCpu(() => watchFanOut(cluster, client!, cfg.watchers, cfg.watchEvents, 0));
      figures['watchServerCpuUsPerEvent'] = round((watchCpuMs * 1000) / wf.delivered, 1);
      figures['watchEventsPerSec'] = round(wf.eventsPerSec);
      figures['watchDelivered'] = wf.delivered;
      figures['watchLagP50Ms'] = round(wf.lagP50Ms, 1);
      figures['watchLagP99Ms'] = round(wf.lagP99Ms, 1);
      figures['watchLagMaxMs'] = round(wf.lagMaxMs, 1);
      log(
        `watch fan-out: ${cfg.watchEvents} changes x ${cfg.watchers} watchers = ${wf.delivered} events in ${round(wf.seconds, 2)} s: ` +
          `${figures['watchEventsPerSec']}/s, lag p50 ${figures['watchLagP50Ms']} ms, p99 ${figures['watchLagP99Ms']} ms; ` +
          `server thread CPU ${figures['watchServerCpuUsPerEvent']} us per delivered event (the changes included)`,
      );
      // Lag at a steady rate well below the burst throughput: what an informer sees in a busy cluster.
      const paced = Math.min(cfg.watchEvents, cfg.watchRate * 5);
      const pw = await watchFanOut(cluster, client, cfg.watchers, paced, cfg.watchRate);
      figures['watchPacedChangesPerSec'] = cfg.watchRate;
      figures['watchPacedLagP50Ms'] = round(pw.lagP50Ms, 1);
      figures['watchPacedLagP99Ms'] = round(pw.lagP99Ms, 1);
      log(
        `watch at a steady ${cfg.watchRate} changes/s (${cfg.watchRate * cfg.watchers} events/s to ${cfg.watchers} watchers): ` +
          `lag p50 ${figures['watchPacedLagP50Ms']} ms, p99 ${figures['watchPacedLagP99Ms']} ms`,
      );
    }
    gcNow();
    const end = process.memoryUsage();
    figures['rssEndMiB'] = mib(end.rss);
    figures['heapUsedEndMiB'] = mib(end.heapUsed);
    figures['peakRssMiB'] = mib(peakRssBytes() ?? 0);
    log(`RSS at the end (after GC) ${figures['rssEndMiB']} MiB, heap used ${figures['heapUsedEndMiB']} MiB; peak RSS ${figures['peakRssAfterWritesMiB']} MiB after the writes, ${figures['peakRssAfterListMiB']} MiB after the LIST, ${figures['peakRssMiB']} MiB for the whole run`);
  } finally {
    await client?.close();
    await sim.stop();
  }
  console.log(`BENCH sim ${JSON.stringify(figures)}`);
}
