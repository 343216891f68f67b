/**
 * Estimated node load: the latest measured usage plus an estimate for every pod placed on the
 * node since that sample was taken. Measured load lags (a sample every few seconds, a pod that
 * takes a while to start using its CPU); without the estimate, every pod of a burst sees the
 * node that looked idle a minute ago and they all pile onto it.
 *
 * A pod's estimate is its request (cpu + batch-cpu, memory + batch-memory) scaled by a factor
 * (Koordinator's defaults: 85 % cpu, 70 % memory), or kube-scheduler's non-zero defaults for a
 * pod that requests nothing. A placement stays in the estimate until a sample taken
 * `startupGraceMs` after it arrives: by then the pod's usage is in the measurement.
 *
 * Samples older than the policy's staleAfterSeconds count as missing; a node without a usable
 * sample is estimated by its requests, the only figure there is.
 *
 * The per-node figures are kept up to date as samples and placements arrive (NodeLoadState,
 * linked from the NodeInfo), so the filter and score read a few fields per node instead of
 * looking samples up and summing placements hundreds of thousands of times a second.
 */
import { BATCH_CPU, BATCH_MEMORY } from '../../api/index.js';
import type { Clock } from '../../kube/index.js';
import type { NodeLoadSample, NodeLoadView } from '../load/index.js';
import type { NodeInfo } from './node-info.js';
import type { SchedPod } from './types.js';

export interface EstimationSettings {
  /** Share of a pod's cpu request it is expected to use (0..1]. Default 0.85. */
  cpuFactor: number;
  /** Share of a pod's memory request it is expected to use (0..1]. Default 0.7. */
  memoryFactor: number;
  /** A placement still counts in samples taken less than this after it. Default 5 s. */
  startupGraceMs: number;
}

export const DEFAULT_ESTIMATION: Readonly<EstimationSettings> = Object.freeze({ cpuFactor: 0.85, memoryFactor: 0.7, startupGraceMs: 5_000 });

/** kube-scheduler's non-zero defaults for pods that request nothing. */
const DEFAULT_CPU_MILLI = 100;
const DEFAULT_MEMORY_BYTES = 200 * 1024 * 1024;

export interface Usage {
  cpu: number;
  memory: number;
}

interface Placement {
  readonly key: string;
  readonly at: number;
  readonly cpu: number;
  readonly memory: number;
}

/** One node's load as the estimator keeps it: the latest sample's figures, copied into fields. */
export class NodeLoadState {
  sample: NodeLoadSample | undefined;
  hasSample = false;
  sampledAt = 0;
  cpu = 0;
  memory = 0;
  /** Placements not yet in `sample` (oldest first) and their sums. */
  readonly placements: Placement[] = [];
  placedCpu = 0;
  placedMemory = 0;
  /** The NodeInfo that mirrors these figures into the scheduler's NodeTable (node-table.ts). */
  owner: { publishLoad(): void } | undefined;
}

export class LoadEstimator {
  private readonly states = new Map<string, NodeLoadState>();
  private readonly nodeOf = new Map<string, string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly view: NodeLoadView,
    private readonly clock: Clock,
    private readonly settings: EstimationSettings = DEFAULT_ESTIMATION,
  ) {
    this.unsubscribe = view.onSample((s) => this.onSample(s));
  }

  /** The usage a pod is expected to add. */
  podEstimate(pod: SchedPod, out: Usage = { cpu: 0, memory: 0 }): Usage {
    const r = pod.requests;
    const cpu = (r['cpu'] ?? 0) + (r[BATCH_CPU] ?? 0);
    const memory = (r['memory'] ?? 0) + (r[BATCH_MEMORY] ?? 0);
    out.cpu = cpu > 0 ? cpu * this.settings.cpuFactor : DEFAULT_CPU_MILLI;
    out.memory = memory > 0 ? memory * this.settings.memoryFactor : DEFAULT_MEMORY_BYTES;
    return out;
  }

  /** The node's load state, linked from its NodeInfo on first use. */
  stateOf(info: NodeInfo): NodeLoadState {
    let st = info.load;
    if (!st) {
      st = this.state(info.name);
      info.load = st;
    }
    return st;
  }

  /** The node's load state if, at `now`, its latest sample is fresh enough to trust. */
  measured(info: NodeInfo, now: number, staleAfterMs: number): NodeLoadState | undefined {
    const st = info.load ?? this.stateOf(info);
    return st.hasSample && now - st.sampledAt <= staleAfterMs ? st : undefined;
  }

  /** `pod` was just placed on `node`. */
  placed(pod: SchedPod, node: string): void {
    this.forget(pod.key);
    const e = this.podEstimate(pod);
    const st = this.state(node);
    st.placements.push({ key: pod.key, at: this.clock.now(), cpu: e.cpu, memory: e.memory });
    st.placedCpu += e.cpu;
    st.placedMemory += e.memory;
    this.nodeOf.set(pod.key, node);
    st.owner?.publishLoad();
  }

  /** The placement did not happen after all (binding failed, permit rejected). */
  forget(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const st = this.states.get(node);
    if (!st) return;
    const i = st.placements.findIndex((p) => p.key === key);
    if (i < 0) return;
    const [p] = st.placements.splice(i, 1);
    st.placedCpu -= p!.cpu;
    st.placedMemory -= p!.memory;
    st.owner?.publishLoad();
  }

  /**
   * Estimated usage of the node at `now`: fresh sample + placements since, or its requests when
   * there is no fresh sample. `measured` says which.
   */
  estimate(info: NodeInfo, now: number, staleAfterMs: number, out: Usage & { measured: boolean }): void {
    const st = info.load ?? this.stateOf(info);
    if (!st.hasSample || now - st.sampledAt > staleAfterMs) {
      out.cpu = info.usedCpu + info.usedBatchCpu;
      out.memory = info.usedMemory + info.usedBatchMemory;
      out.measured = false;
      return;
    }
    out.cpu = st.cpu + st.placedCpu;
    out.memory = st.memory + st.placedMemory;
    out.measured = true;
  }

  /** The node is gone: forget its figures (its pods' placements go with their deletes). */
  removeNode(node: string): void {
    this.states.delete(node);
  }

  close(): void {
    this.unsubscribe();
  }

  private state(node: string): NodeLoadState {
    let st = this.states.get(node);
    if (!st) {
      st = new NodeLoadState();
      const s = this.view.latest(node);
      if (s) setSample(st, s);
      this.states.set(node, st);
    }
    return st;
  }

  /** A new sample: placements made before it (less the grace) are in it now. */
  private onSample(s: NodeLoadSample): void {
    const st = this.state(s.node);
    if (st.hasSample && st.sampledAt > s.sampledAt) return;
    setSample(st, s);
    const before = s.sampledAt - this.settings.startupGraceMs;
    let drop = 0;
    while (drop < st.placements.length && st.placements[drop]!.at < before) {
      const p = st.placements[drop]!;
      st.placedCpu -= p.cpu;
      st.placedMemory -= p.memory;
      this.nodeOf.delete(p.key);
      drop++;
    }
    if (drop > 0) st.placements.splice(0, drop);
    if (st.placements.length === 0) {
      // Keep sums exact: floating point leftovers must not accumulate.
      st.placedCpu = 0;
      st.placedMemory = 0;
    }
    st.owner?.publishLoad();
  }
}

function setSample(st: NodeLoadState, s: NodeLoadSample): void {
  st.sample = s;
  st.hasSample = true;
  st.sampledAt = s.sampledAt;
  st.cpu = s.cpu;
  st.memory = s.memory;
}
