// What `bench colocation`'s throughput phase schedules, and onto what: the simulated nodes'
// measured load and the batch capacity that load leaves, and the offline pods. Shared by the
// sim process (it publishes the batch capacity on the Nodes), the scheduler process (it feeds the
// same load into its LoadStore, as the agents' streams would) and the bench (it knows which
// nodes are too hot for offline work, to check that none got any).
//
// Everything is a pure function of the node's index, so the three processes agree without
// talking about it.
import jsonpatch from 'fast-json-patch';
import { DEFAULT_COLOCATION_SETTINGS, BATCH_CPU, BATCH_MEMORY } from '../../api/index.js';
import { computeBatch } from '../../colocation/batch/index.js';
import type { NodeLoadSample } from '../../colocation/load/index.js';
import { mutatePod } from '../../colocation/webhook/index.js';

type Obj = Record<string, unknown>;

export const CLUSTER = 'coloc';
/** A common large worker: 32 cores, 128 GiB. */
export const NODE_SHAPE = { cpu: '32', memory: '128Gi', pods: 110 } as const;
const NODE_CPU_MILLI = 32_000;
const NODE_MEMORY_BYTES = 128 * 1024 ** 3;
/** Share of nodes whose measured CPU is at or above the policy's offline load threshold. */
export const HOT_SHARE = 0.15;

/** The ceiling marks its pods with this label (value BINDER_VALUE); its binder binds only those. */
export const BINDER_LABEL = 'bench.tidepool.dev/bound-by';
export const BINDER_VALUE = 'plain-binder';

/** The simulated fleet names its nodes this way (sim/cluster.ts). */
export function nodeName(i: number): string {
  return `${CLUSTER}-node-${i}`;
}

/** The index of a node named by nodeName(), or -1. */
export function nodeIndex(name: string): number {
  const prefix = `${CLUSTER}-node-`;
  if (!name.startsWith(prefix)) return -1;
  const i = Number(name.slice(prefix.length));
  return Number.isInteger(i) && i >= 0 ? i : -1;
}

/** mulberry32: a small seeded generator, so a node's load is the same in every process. */
function seeded(seed: number): () => number {
  let a = (seed * 2654435761) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NodeLoadModel {
  /** Millicores / bytes. */
  onlineCpu: number;
  onlineMemory: number;
  /** Online usage's peak over the policy's window (what batch capacity is computed from). */
  onlinePeakCpu: number;
  onlinePeakMemory: number;
  systemCpu: number;
  systemMemory: number;
  /** Offline work already running there (not this bench's pods). */
  offlineCpu: number;
  offlineMemory: number;
  /** Whole-node CPU at or above the offline load threshold: the load filter must keep pods off it. */
  hot: boolean;
}

/**
 * Node i's load: online services at 5–45 % of the CPU (peak 10 % higher), the system ~0.3–0.8
 * cores; on HOT_SHARE of the nodes, offline work already running lifts the whole node to 70–90 %
 * CPU. Those nodes still advertise batch capacity (it is computed from the online peak), so only
 * the load threshold filter keeps new offline pods off them.
 */
export function nodeLoad(i: number): NodeLoadModel {
  const r = seeded(i + 1);
  const onlineShare = 0.05 + 0.4 * r();
  const onlineCpu = Math.round(NODE_CPU_MILLI * onlineShare);
  const onlineMemory = Math.round(NODE_MEMORY_BYTES * (0.15 + 0.35 * r()));
  const systemCpu = 300 + Math.round(500 * r());
  const systemMemory = Math.round((2 + 2 * r()) * 1024 ** 3);
  const hot = r() < HOT_SHARE;
  const offlineCpu = hot ? Math.max(0, Math.round(NODE_CPU_MILLI * (0.7 + 0.2 * r())) - onlineCpu - systemCpu) : 0;
  const offlineMemory = hot ? Math.round(offlineCpu * 4 * 1024 * 1024) : 0;
  return {
    onlineCpu,
    onlineMemory,
    onlinePeakCpu: Math.round(onlineCpu * 1.1),
    onlinePeakMemory: Math.round(onlineMemory * 1.05),
    systemCpu,
    systemMemory,
    offlineCpu,
    offlineMemory,
    hot,
  };
}

/** A sample of node i as an agent would report it at `now` (±2 % of jitter from `random`). */
export function nodeSample(i: number, now: number, random: () => number): NodeLoadSample {
  const m = nodeLoad(i);
  const j = (): number => 0.98 + 0.04 * random();
  const onlineCpu = Math.round(m.onlineCpu * j());
  const onlineMemory = Math.round(m.onlineMemory * j());
  return {
    node: nodeName(i),
    sampledAt: now,
    cpu: Math.min(NODE_CPU_MILLI, onlineCpu + m.offlineCpu + m.systemCpu),
    memory: Math.min(NODE_MEMORY_BYTES, onlineMemory + m.offlineMemory + m.systemMemory),
    onlineCpu,
    onlineMemory,
    systemCpu: m.systemCpu,
    systemMemory: m.systemMemory,
    source: 'agent',
  };
}

/**
 * The batch capacity node i advertises, by the batch controller's own formula over the same
 * load (Tidepool's default policy), as extended-resource quantities for Node status.
 */
export function batchAllocatable(i: number): Record<string, string> {
  const m = nodeLoad(i);
  const now = Date.now();
  const latest: NodeLoadSample = { ...nodeSample(i, now, () => 0.5), onlineCpu: m.onlineCpu, onlineMemory: m.onlineMemory };
  const b = computeBatch({
    node: nodeName(i),
    allocatable: { cpu: NODE_CPU_MILLI, memory: NODE_MEMORY_BYTES },
    settings: { pool: null, ...DEFAULT_COLOCATION_SETTINGS },
    policy: null,
    reserved: { cpu: 0, memory: 0 },
    latest,
    peak: {
      node: nodeName(i),
      windowMs: DEFAULT_COLOCATION_SETTINGS.usageWindowSeconds * 1000,
      samples: 1,
      oldestAt: now,
      newestAt: now,
      cpu: latest.cpu,
      memory: latest.memory,
      onlineCpu: m.onlinePeakCpu,
      onlineMemory: m.onlinePeakMemory,
      systemCpu: m.systemCpu,
      systemMemory: m.systemMemory,
    },
    now,
  });
  return { [BATCH_CPU]: String(b.result.cpu), [BATCH_MEMORY]: String(b.result.memory) };
}

/** The offline job's pod as its user writes it: 1 CPU and 2 GiB requested, a batch label. */
function userPod(name: string, labels: Readonly<Record<string, string>>): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'etl-nightly', 'tidepool.dev/qos': 'offline', 'bench.tidepool.dev/run': 'colocation', ...labels } },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'worker',
          image: 'registry.example.com/data/etl-worker:2.8.1',
          args: ['--shard', name, '--input=s3://warehouse/events/', '--output=s3://warehouse/rollups/'],
          env: [
            { name: 'JOB', value: 'nightly-rollup' },
            { name: 'PARALLELISM', value: '1' },
          ],
          resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } },
        },
      ],
    },
  };
}

/**
 * The offline pod as stored: the user's pod as Tidepool's admission webhook mutates it (batch
 * resources, tidepool-offline priority class, tidepool-scheduler). Throws if the webhook would
 * not mutate it, so the bench never schedules something other than it claims. `labels` are added
 * to the user's (the ceiling marks its pods for its binder).
 */
export function offlinePod(name: string, labels: Readonly<Record<string, string>> = {}): Obj {
  const pod = userPod(name, labels);
  const m = mutatePod(pod);
  if (m.outcome !== 'mutated') throw new Error(`bench colocation: the webhook left ${name} ${m.outcome} (${m.reason})`);
  return jsonpatch.applyPatch(pod, m.patch as jsonpatch.Operation[], false, true).newDocument;
}
