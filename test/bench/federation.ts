// Benchmark of federation/: `npm run bench -- federation [--quick] [--clusters N] [--nodes N]
// [--events N] [--placements N]` (quick: 10 × 200 nodes, 200k events, 5k placements).
//
// 1. Model build: 10 clusters × 1,000 nodes × 30 pods fed as CapacityEvents; RSS and heap of
//    the model after a full GC (against a baseline taken before building it).
// 2. Model update throughput: a pre-generated stream of mixed events (pod moves and deletes +
//    re-adds, node usage samples, node updates) applied to the built model; events per second
//    of this process's CPU time. Side by side: one full recount of one cluster (the oracle, what
//    a non-incremental model would do per event) — the ratio says how many events one recount costs.
// 3. place(): p50/p99 over mixed pod shapes (250m–6 CPU, 256Mi–12Gi, a fifth with a
//    nodeSelector, a tenth Spark executors with app affinity) at 10 × 1,000 nodes, each
//    placement assumed then forgotten so the pool stays the same.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FederationModel } from '../../federation/model.js';
import { Placer } from '../../federation/placement.js';
import { placementPod, type PodObject } from '../../federation/pod.js';
import { ReferenceState, recount } from '../../federation/oracle.js';
import type { CapacityEvent, NodeInfo, PodInfo } from '../../federation/types.js';
import { DEFAULT_POLICY } from '../../federation/types.js';
import { percentile } from './_stats.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const GI = 1024 ** 3;

function memory(): { heap: number; rss: number } {
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const ZONES = ['a', 'b', 'c'];

function nodeInfo(name: string, i: number): NodeInfo {
  const big = i % 10 === 0;
  return {
    name,
    allocatable: { cpu: big ? 64_000 : 32_000, memory: (big ? 256 : 128) * GI, pods: 110 },
    labels: { 'topology.kubernetes.io/zone': ZONES[i % 3]!, 'node.kubernetes.io/instance-type': big ? 'xl' : 'l', ...(i % 7 === 0 ? { disk: 'ssd' } : {}) },
    taints: [],
    ready: true,
    unschedulable: false,
  };
}

function podInfo(key: string, node: string | undefined, r: () => number): PodInfo {
  return {
    key,
    namespace: 'default',
    ...(node ? { nodeName: node } : {}),
    phase: 'Running',
    requests: { cpu: 100 + Math.floor(r() * 900), memory: Math.floor((0.25 + r() * 3) * GI) },
    qos: 'online',
    lent: r() < 0.1,
  };
}

export interface BenchArgs {
  clusters: number;
  nodes: number;
  events: number;
  placements: number;
}

/** Flags to sizes; a bad value is an error that names the flag. */
export function parseArgs(args: string[]): BenchArgs {
  const quick = args.includes('--quick');
  const out: BenchArgs = { clusters: 10, nodes: quick ? 200 : 1_000, events: quick ? 200_000 : 1_000_000, placements: quick ? 5_000 : 20_000 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--quick') continue;
    const key = ({ '--clusters': 'clusters', '--nodes': 'nodes', '--events': 'events', '--placements': 'placements' } as const)[a as '--nodes'];
    if (!key) throw new Error(`bench federation: unknown flag "${a}" (known: --quick, --clusters, --nodes, --events, --placements)`);
    const v = args[++i];
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1) throw new Error(`bench federation: ${a} needs a whole number of at least 1, got ${JSON.stringify(v)}`);
    out[key] = Number(v);
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const size = parseArgs(args);
  const CLUSTERS = size.clusters;
  const NODES = size.nodes;
  const PODS_PER_NODE = 30;
  const r = rng(42);

  // ---------------------------------------------------------------- 1. build + memory
  const base = memory();
  const model = new FederationModel();
  const names = Array.from({ length: CLUSTERS }, (_, i) => `c${i}`);
  const t0 = performance.now();
  let built = 0;
  for (const c of names) {
    const cm = model.ensureCluster(c, { ...DEFAULT_POLICY, headroom: { fraction: 0.1 } });
    for (let n = 0; n < NODES; n++) {
      const node = `${c}-n${n}`;
      cm.apply({ kind: 'node-upsert', node: nodeInfo(node, n) });
      for (let p = 0; p < PODS_PER_NODE; p++) cm.apply({ kind: 'pod-upsert', pod: podInfo(`default/${node}-p${p}`, node, r) });
      cm.apply({ kind: 'node-usage', name: node, usage: { cpu: Math.floor(r() * 20_000), memory: Math.floor(r() * 64 * GI) } });
      built += PODS_PER_NODE + 2;
    }
    model.setReady(c, true);
  }
  const buildMs = performance.now() - t0;
  const mem = memory();
  const rssMiB = mem.rss / 2 ** 20;
  const modelHeapMiB = (mem.heap - base.heap) / 2 ** 20;
  console.log(`model: ${CLUSTERS} clusters × ${NODES} nodes × ${PODS_PER_NODE} pods = ${built.toLocaleString()} events in ${buildMs.toFixed(0)} ms`);
  console.log(`memory: RSS ${rssMiB.toFixed(0)} MiB (process), model heap ${modelHeapMiB.toFixed(0)} MiB = ${((mem.heap - base.heap) / (CLUSTERS * NODES * PODS_PER_NODE)).toFixed(0)} B per pod`);

  // ---------------------------------------------------------------- 2. update throughput
  const EVENTS = size.events;
  let stream: { c: number; ev: CapacityEvent }[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const c = Math.floor(r() * CLUSTERS);
    const n = Math.floor(r() * NODES);
    const node = `c${c}-n${n}`;
    const x = r();
    let ev: CapacityEvent;
    if (x < 0.5) {
      // A pod updated (status, or rescheduled onto another node).
      const p = Math.floor(r() * PODS_PER_NODE);
      const target = r() < 0.2 ? `c${c}-n${Math.floor(r() * NODES)}` : node;
      ev = { kind: 'pod-upsert', pod: podInfo(`default/${node}-p${p}`, target, r) };
    } else if (x < 0.65) {
      ev = { kind: 'pod-delete', key: `default/${node}-p${Math.floor(r() * PODS_PER_NODE)}` };
    } else if (x < 0.95) {
      ev = { kind: 'node-usage', name: node, usage: { cpu: Math.floor(r() * 20_000), memory: Math.floor(r() * 64 * GI) } };
    } else {
      const info = nodeInfo(node, n);
      ev = { kind: 'node-upsert', node: { ...info, ready: r() < 0.98, unschedulable: r() < 0.02 } };
    }
    stream.push({ c, ev });
  }
  const clusters = names.map((n) => model.cluster(n)!);
  const c0 = cpuMs();
  const w0 = performance.now();
  for (const { c, ev } of stream) clusters[c]!.apply(ev);
  const updCpuMs = cpuMs() - c0;
  const updWallMs = performance.now() - w0;
  const eventsPerSec = Math.round(EVENTS / (updCpuMs / 1000));
  console.log(`updates: ${EVENTS.toLocaleString()} events in ${updCpuMs.toFixed(0)} ms CPU (${updWallMs.toFixed(0)} ms wall): ${eventsPerSec.toLocaleString()} events/s CPU, ${Math.round(EVENTS / (updWallMs / 1000)).toLocaleString()} events/s wall`);

  // Side by side: what one full recount of one cluster costs (the oracle over the same size).
  const ref = new ReferenceState();
  for (let n = 0; n < NODES; n++) {
    const node = `x-n${n}`;
    ref.apply({ kind: 'node-upsert', node: nodeInfo(node, n) });
    for (let p = 0; p < PODS_PER_NODE; p++) ref.apply({ kind: 'pod-upsert', pod: podInfo(`default/${node}-p${p}`, node, r) });
  }
  const RECOUNTS = 20;
  const rc0 = cpuMs();
  for (let i = 0; i < RECOUNTS; i++) recount('x', DEFAULT_POLICY, ref, true);
  const recountMs = (cpuMs() - rc0) / RECOUNTS;
  const perEventUs = (updCpuMs * 1000) / EVENTS;
  console.log(`recount of one cluster (${NODES} nodes, ${NODES * PODS_PER_NODE} pods): ${recountMs.toFixed(2)} ms CPU = ${Math.round((recountMs * 1000) / perEventUs).toLocaleString()} incremental events`);

  // ---------------------------------------------------------------- 3. place()
  stream = []; // a million dead events would make every GC pause during placement longer
  // Leaders of some Spark apps, so executors exercise app affinity.
  for (let a = 0; a < 50; a++) {
    const c = clusters[a % CLUSTERS]!;
    c.apply({ kind: 'pod-upsert', pod: { key: `spark/drv-${a}`, namespace: 'spark', nodeName: `c${a % CLUSTERS}-n${a % NODES}`, phase: 'Running', requests: { cpu: 1000, memory: GI }, qos: 'online', lent: true, app: { key: `spark:spark/app-${a}`, role: 'leader' } } });
  }
  const placer = new Placer(model, 'most-idle');
  const PLACEMENTS = size.placements;
  const pods: ReturnType<typeof placementPod>[] = [];
  for (let i = 0; i < PLACEMENTS; i++) {
    const cpu = [250, 500, 1000, 2000, 4000, 6000][Math.floor(r() * 6)]!;
    const mem = [256, 1024, 4096, 8192, 12288][Math.floor(r() * 5)]!;
    const x = r();
    const obj: PodObject = {
      metadata: {
        name: `p${i}`,
        namespace: x < 0.1 ? 'spark' : 'default',
        labels: x < 0.1 ? { 'spark-role': 'executor', 'spark-app-selector': `app-${Math.floor(r() * 50)}` } : {},
      },
      spec: {
        containers: [{ name: 'c', resources: { requests: { cpu: `${cpu}m`, memory: `${mem}Mi` } } }],
        ...(x > 0.8 ? { nodeSelector: { disk: 'ssd' } } : {}),
      },
    };
    pods.push(placementPod(obj));
  }
  // Warm up the JIT on the same code paths.
  for (let i = 0; i < Math.min(2_000, PLACEMENTS * 2); i++) placer.place(pods[i % pods.length]!, { assume: false });
  memory();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let placed = 0;
  for (const p of pods) {
    const u = process.cpuUsage();
    const s = performance.now();
    const res = placer.place(p);
    const e = performance.now();
    const du = process.cpuUsage(u);
    times.push(e - s);
    cpuTimes.push((du.user + du.system) / 1000);
    if (res.ok) {
      placed++;
      model.cluster(res.cluster)!.forget(p.key);
    }
  }
  times.sort((a, b) => a - b);
  const placeP50Ms = percentile(times, 50);
  const placeP99Ms = percentile(times, 99);
  cpuTimes.sort((a, b) => a - b);
  // CPU time of the calling thread per call: what place() costs when the machine is not
  // preempting us (getrusage resolution is coarse, so only the tail means much).
  const placeP99CpuMs = percentile(cpuTimes, 99);
  console.log(`place(): ${PLACEMENTS.toLocaleString()} pods over ${CLUSTERS} × ${NODES} nodes (${placed} placed): p50 ${(placeP50Ms * 1000).toFixed(1)} µs, p99 ${(placeP99Ms * 1000).toFixed(1)} µs, max ${(times[times.length - 1]! * 1000).toFixed(0)} µs wall; p99 ${(placeP99CpuMs * 1000).toFixed(1)} µs CPU`);

  // Full-pool document (the API's answer) for scale.
  const d0 = performance.now();
  model.document();
  const documentMs = performance.now() - d0;

  const result = {
    clusters: CLUSTERS,
    nodesPerCluster: NODES,
    podsPerNode: PODS_PER_NODE,
    eventsPerSec,
    eventsPerSecWall: Math.round(EVENTS / (updWallMs / 1000)),
    recountMs: round(recountMs),
    recountInEvents: Math.round((recountMs * 1000) / perEventUs),
    placed,
    placements: PLACEMENTS,
    events: EVENTS,
    placeP50Ms: round(placeP50Ms, 4),
    placeP99Ms: round(placeP99Ms, 4),
    placeP99CpuMs: round(placeP99CpuMs, 4),
    placeMaxMs: round(times[times.length - 1]!, 2),
    rssMiB: Math.round(rssMiB),
    modelHeapMiB: Math.round(modelHeapMiB),
    buildMs: Math.round(buildMs),
    documentMs: round(documentMs),
  };
  console.log(`BENCH federation ${JSON.stringify(result)}`);
}

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
