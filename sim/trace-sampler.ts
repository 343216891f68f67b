// What a utilization trace measures, sampled from the simulated kubelets on the simulated
// clock: every interval, every ready node's CPU demand by class.
//
// - Used CPU of a node = min(capacity, system + online demand + offline demand): what
//   metrics.k8s.io reports for it. Utilization of a sample = Σ used / Σ capacity over the
//   sampled nodes; the trace's utilization is the mean over its samples.
// - Online unmet: a (node, sample) pair where the node's online pods want more CPU than is left
//   after the system and the offline pods running there take theirs:
//       online demand > capacity − system demand − offline demand   (online demand > 0)
//   Offline pods are counted at their full demand: no credit is taken for CPU isolation
//   throttling them first (no isolation agent runs in the simulation). A node whose online pods
//   alone exceed it is counted too, although there no offline pod is to blame; such pairs are
//   also counted apart (`onlineOverCapacitySamples`) so the two can be told apart.

import type { SimCluster } from './cluster.js';
import type { NodeDemand } from './kubelet.js';
import { timersOf, type Clock } from './time.js';

export interface SamplerOptions {
  clusters: readonly SimCluster[];
  /** Simulated ms between samples. Default 60 s. */
  intervalMs?: number;
  /** The clock the clusters run on (their api.clock by default). */
  clock?: Clock;
}

export interface UtilizationSummary {
  samples: number;
  /** Node samples (nodes × samples). */
  nodeSamples: number;
  /** Mean of Σ used / Σ capacity over the samples, 0..1. */
  utilization: number;
  /** Means of online, offline and system demand served, as shares of capacity. */
  onlineShare: number;
  offlineShare: number;
  systemShare: number;
  /** The highest sample's utilization. */
  peakUtilization: number;
  /** Node samples where online demand was not met (see the header). */
  onlineUnmetSamples: number;
  /** Of those, node samples where online demand alone exceeded what the system left. */
  onlineOverCapacitySamples: number;
  /** Σ of unmet online demand over the unmet node samples, millicores (how much, not only how often). */
  onlineUnmetMilli: number;
  /** Simulated ms of the first and last sample. */
  firstAt: number | undefined;
  lastAt: number | undefined;
}

/** Judges one node's demand at one instant. */
export function judgeNode(d: NodeDemand): { used: number; unmet: number; overCapacity: boolean } {
  const total = d.systemCpuMilli + d.onlineCpuMilli + d.offlineCpuMilli;
  const leftForOnline = d.cpuMilli - d.systemCpuMilli - d.offlineCpuMilli;
  const unmet = d.onlineCpuMilli > 0 ? Math.max(0, d.onlineCpuMilli - leftForOnline) : 0;
  return { used: Math.min(d.cpuMilli, total), unmet, overCapacity: d.onlineCpuMilli > d.cpuMilli - d.systemCpuMilli };
}

export class UtilizationSampler {
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly timers: ReturnType<typeof timersOf>;
  private timer: unknown;
  private nextAt = 0;
  private running = false;
  private samples = 0;
  private nodeSamples = 0;
  private utilSum = 0;
  private onlineSum = 0;
  private offlineSum = 0;
  private systemSum = 0;
  private peak = 0;
  private unmet = 0;
  private overCapacity = 0;
  private unmetMilli = 0;
  private firstAt: number | undefined;
  private lastAt: number | undefined;

  constructor(private readonly o: SamplerOptions) {
    if (o.clusters.length === 0) throw new RangeError('utilization sampler: at least one cluster is required');
    this.intervalMs = o.intervalMs ?? 60_000;
    if (!(this.intervalMs > 0)) throw new RangeError(`utilization sampler: intervalMs must be positive, got ${this.intervalMs}`);
    this.clock = o.clock ?? o.clusters[0]!.api.clock;
    this.timers = timersOf(this.clock);
  }

  /** Takes a sample now and then every interval until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    this.nextAt = 0;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (!this.running) return;
    const now = this.clock.now();
    this.sampleNow();
    // On a fixed grid, so late wake-ups do not add up to missing samples; one that missed a
    // whole interval starts the grid again from now.
    this.nextAt = this.nextAt === 0 || now - this.nextAt > this.intervalMs ? now + this.intervalMs : this.nextAt + this.intervalMs;
    this.timer = this.timers.setTimeout(() => this.tick(), Math.max(0, this.nextAt - this.clock.now()));
  }

  /** Takes one sample of every cluster's ready nodes. */
  sampleNow(): void {
    let capacity = 0;
    let used = 0;
    let online = 0;
    let offline = 0;
    let system = 0;
    for (const c of this.o.clusters) {
      for (const d of c.fleet.cpuDemand()) {
        const j = judgeNode(d);
        capacity += d.cpuMilli;
        used += j.used;
        // Served shares: the system first, then online, then offline, within the capacity.
        const sys = Math.min(d.cpuMilli, d.systemCpuMilli);
        const on = Math.min(d.cpuMilli - sys, d.onlineCpuMilli);
        system += sys;
        online += on;
        offline += Math.min(d.cpuMilli - sys - on, d.offlineCpuMilli);
        this.nodeSamples++;
        if (j.unmet > 0) {
          this.unmet++;
          this.unmetMilli += j.unmet;
          if (j.overCapacity) this.overCapacity++;
        }
      }
    }
    if (capacity === 0) return;
    const at = this.clock.now();
    this.firstAt ??= at;
    this.lastAt = at;
    this.samples++;
    const u = used / capacity;
    this.utilSum += u;
    this.onlineSum += online / capacity;
    this.offlineSum += offline / capacity;
    this.systemSum += system / capacity;
    if (u > this.peak) this.peak = u;
  }

  summary(): UtilizationSummary {
    const n = Math.max(1, this.samples);
    return {
      samples: this.samples,
      nodeSamples: this.nodeSamples,
      utilization: this.utilSum / n,
      onlineShare: this.onlineSum / n,
      offlineShare: this.offlineSum / n,
      systemShare: this.systemSum / n,
      peakUtilization: this.peak,
      onlineUnmetSamples: this.unmet,
      onlineOverCapacitySamples: this.overCapacity,
      onlineUnmetMilli: this.unmetMilli,
      firstAt: this.firstAt,
      lastAt: this.lastAt,
    };
  }
}
