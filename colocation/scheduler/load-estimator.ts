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
 */
import { BATCH_CPU, BATCH_MEMORY } from '../../api/index.js';
import type { Clock } from '../../kube/index.js';
import type { NodeLoadSample, NodeLoadView } from '../load/types.js';
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

export class LoadEstimator {
  private readonly placements = new Map<string, Placement[]>();
  private readonly nodeOf = new Map<string, string>();

  constructor(
    private readonly view: NodeLoadView,
    private readonly clock: Clock,
    private readonly settings: EstimationSettings = DEFAULT_ESTIMATION,
  ) {}

  /** The usage a pod is expected to add. */
  podEstimate(pod: SchedPod): Usage {
    const r = pod.requests;
    const cpu = (r['cpu'] ?? 0) + (r[BATCH_CPU] ?? 0);
    const memory = (r['memory'] ?? 0) + (r[BATCH_MEMORY] ?? 0);
    return {
      cpu: cpu > 0 ? cpu * this.settings.cpuFactor : DEFAULT_CPU_MILLI,
      memory: memory > 0 ? memory * this.settings.memoryFactor : DEFAULT_MEMORY_BYTES,
    };
  }

  /** The latest sample for the node if it is fresh enough to trust. */
  measured(node: string, staleAfterMs: number): NodeLoadSample | undefined {
    const s = this.view.latest(node);
    if (!s || this.clock.now() - s.sampledAt > staleAfterMs) return undefined;
    return s;
  }

  /** `pod` was just placed on `node`. */
  placed(pod: SchedPod, node: string): void {
    this.forget(pod.key);
    const e = this.podEstimate(pod);
    let list = this.placements.get(node);
    if (!list) this.placements.set(node, (list = []));
    list.push({ key: pod.key, at: this.clock.now(), cpu: e.cpu, memory: e.memory });
    this.nodeOf.set(pod.key, node);
  }

  /** The placement did not happen after all (binding failed, permit rejected). */
  forget(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const list = this.placements.get(node);
    if (!list) return;
    const i = list.findIndex((p) => p.key === key);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.placements.delete(node);
  }

  /**
   * Estimated usage of the node: fresh sample + recent placements, or its requests when there is
   * no fresh sample. `measured` says which.
   */
  estimate(info: NodeInfo, staleAfterMs: number, out: Usage & { measured: boolean }): void {
    const s = this.measured(info.name, staleAfterMs);
    if (!s) {
      out.cpu = (info.requested['cpu'] ?? 0) + (info.requested[BATCH_CPU] ?? 0);
      out.memory = (info.requested['memory'] ?? 0) + (info.requested[BATCH_MEMORY] ?? 0);
      out.measured = false;
      this.prune(info.name, this.clock.now() - staleAfterMs);
      return;
    }
    out.cpu = s.cpu;
    out.memory = s.memory;
    out.measured = true;
    const list = this.prune(info.name, s.sampledAt - this.settings.startupGraceMs);
    if (list) {
      for (const p of list) {
        out.cpu += p.cpu;
        out.memory += p.memory;
      }
    }
  }

  /** Drops placements made before `before` (they are in the measurement by now). */
  private prune(node: string, before: number): Placement[] | undefined {
    const list = this.placements.get(node);
    if (!list) return undefined;
    let drop = 0;
    while (drop < list.length && list[drop]!.at < before) drop++;
    if (drop > 0) {
      for (let i = 0; i < drop; i++) this.nodeOf.delete(list[i]!.key);
      list.splice(0, drop);
    }
    if (list.length === 0) {
      this.placements.delete(node);
      return undefined;
    }
    return list;
  }
}
