/**
 * LoadStore: recent load samples per node, in memory only (node load is high-frequency data
 * that stays out of etcd). Per node a bounded, time-ordered ring of samples: the latest in O(1),
 * a window by binary search, and the peak over a window from monotonic deques kept per window
 * length asked for (amortised O(1) per sample), so the batch controller and the scheduler can ask
 * "the highest online usage in the last five minutes" on every pass without rescanning.
 *
 * Both sources may feed the same node. An agent measures per QoS class, metrics.k8s.io only
 * infers, so while a node's agent samples are fresh its metrics.k8s.io samples are ignored.
 *
 * Time is the sample's own `sampledAt` (when it was measured, not received), clamped to the
 * store's clock: a source whose clock runs ahead must not make its data look fresher than now.
 */
import { silentLogger, systemClock, type Clock, type Logger } from '../../kube/index.js';
import { onlineCpuOf, onlineMemoryOf, systemCpuOf, systemMemoryOf, validSample } from './sample.js';
import type { LoadPeak, NodeLoadPeaks, NodeLoadSample } from './types.js';
import { WindowMax } from './window-max.js';

export interface LoadStoreOptions {
  /** Samples older than this are dropped: the longest window anyone asks for. Default 15 min. */
  retentionMs?: number;
  /** Most samples kept per node (an agent streaming every 2 s fills 15 min with 450). Default 1024. */
  maxSamplesPerNode?: number;
  /** metrics.k8s.io samples are ignored for a node whose latest agent sample is younger than this. Default 60 s. */
  agentPreferenceMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Why add() kept or dropped a sample. */
export type AddOutcome = 'added' | 'older' | 'agent-preferred';

const MAX_TRACKED_WINDOWS = 8;

const PEAK_FIELDS = ['cpu', 'memory', 'onlineCpu', 'onlineMemory', 'systemCpu', 'systemMemory'] as const;
type PeakField = (typeof PEAK_FIELDS)[number];

function fieldsOf(s: NodeLoadSample): Record<PeakField, number> {
  return {
    cpu: s.cpu,
    memory: s.memory,
    onlineCpu: onlineCpuOf(s),
    onlineMemory: onlineMemoryOf(s),
    systemCpu: systemCpuOf(s),
    systemMemory: systemMemoryOf(s),
  };
}

/** Peaks of one node over one window length. */
class PeakTracker {
  private readonly maxes = PEAK_FIELDS.map(() => new WindowMax());

  constructor(readonly windowMs: number) {}

  push(s: NodeLoadSample): void {
    const f = fieldsOf(s);
    PEAK_FIELDS.forEach((k, i) => {
      const m = this.maxes[i]!;
      m.push(s.sampledAt, f[k]);
      m.evictBefore(s.sampledAt - this.windowMs);
    });
  }

  read(since: number): Record<PeakField, number> | undefined {
    const out = {} as Record<PeakField, number>;
    for (const [i, k] of PEAK_FIELDS.entries()) {
      const m = this.maxes[i]!;
      m.evictBefore(since);
      const v = m.max();
      if (v === undefined) return undefined;
      out[k] = v;
    }
    return out;
  }
}

/** A node's samples, oldest first, in a ring of fixed capacity. */
class NodeSeries {
  private readonly ring: (NodeLoadSample | undefined)[];
  private start = 0;
  size = 0;
  lastAgentAt = -Infinity;
  readonly trackers = new Map<number, PeakTracker>();

  constructor(capacity: number) {
    this.ring = new Array<NodeLoadSample | undefined>(capacity);
  }

  at(i: number): NodeLoadSample {
    return this.ring[(this.start + i) % this.ring.length]!;
  }

  latest(): NodeLoadSample | undefined {
    return this.size === 0 ? undefined : this.at(this.size - 1);
  }

  push(s: NodeLoadSample): void {
    if (this.size === this.ring.length) this.dropOldest();
    this.ring[(this.start + this.size) % this.ring.length] = s;
    this.size++;
    for (const t of this.trackers.values()) t.push(s);
  }

  dropOldest(): void {
    this.ring[this.start] = undefined;
    this.start = (this.start + 1) % this.ring.length;
    this.size--;
  }

  /** Index of the first sample taken at or after `t` (size when none). */
  firstAtOrAfter(t: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).sampledAt < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export class LoadStore implements NodeLoadPeaks {
  private readonly series = new Map<string, NodeSeries>();
  private readonly listeners = new Set<(s: NodeLoadSample) => void>();
  private readonly retentionMs: number;
  private readonly capacity: number;
  private readonly agentPreferenceMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(options: LoadStoreOptions = {}) {
    this.retentionMs = options.retentionMs ?? 15 * 60_000;
    this.capacity = options.maxSamplesPerNode ?? 1024;
    this.agentPreferenceMs = options.agentPreferenceMs ?? 60_000;
    if (!(this.retentionMs > 0)) throw new RangeError(`load store: retentionMs must be positive, got ${this.retentionMs}`);
    if (!Number.isInteger(this.capacity) || this.capacity < 2) throw new RangeError(`load store: maxSamplesPerNode must be an integer of at least 2, got ${this.capacity}`);
    if (!(this.agentPreferenceMs >= 0)) throw new RangeError(`load store: agentPreferenceMs must not be negative, got ${this.agentPreferenceMs}`);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Records a sample. Throws a RangeError naming the field when the sample is malformed. A
   * sample no newer than the node's latest (a repeated metrics.k8s.io answer) is dropped, as is a
   * metrics.k8s.io sample for a node an agent reports on.
   */
  add(input: NodeLoadSample): AddOutcome {
    const now = this.clock.now();
    const checked = validSample(input);
    const s = checked.sampledAt > now ? { ...checked, sampledAt: now } : checked;
    let series = this.series.get(s.node);
    if (!series) {
      series = new NodeSeries(this.capacity);
      this.series.set(s.node, series);
    }
    const latest = series.latest();
    if (latest !== undefined && s.sampledAt <= latest.sampledAt) return 'older';
    if (s.source === 'metrics-api' && now - series.lastAgentAt < this.agentPreferenceMs) return 'agent-preferred';
    if (s.source === 'agent') series.lastAgentAt = s.sampledAt;
    while (series.size > 0 && series.at(0).sampledAt < s.sampledAt - this.retentionMs) series.dropOldest();
    series.push(s);
    for (const cb of this.listeners) {
      try {
        cb(s);
      } catch (err) {
        this.logger.warn({ err, node: s.node }, 'load sample listener threw');
      }
    }
    return 'added';
  }

  latest(node: string): NodeLoadSample | undefined {
    return this.series.get(node)?.latest();
  }

  ageMs(node: string): number | undefined {
    const s = this.latest(node);
    return s === undefined ? undefined : Math.max(0, this.clock.now() - s.sampledAt);
  }

  window(node: string, windowMs: number): readonly NodeLoadSample[] {
    const series = this.series.get(node);
    if (!series) return [];
    const out: NodeLoadSample[] = [];
    for (let i = series.firstAtOrAfter(this.clock.now() - windowMs); i < series.size; i++) out.push(series.at(i));
    return out;
  }

  peak(node: string, windowMs: number): LoadPeak | undefined {
    if (!(windowMs > 0)) throw new RangeError(`load store: a peak needs a positive window, got ${windowMs}`);
    const series = this.series.get(node);
    if (!series) return undefined;
    const since = this.clock.now() - windowMs;
    const first = series.firstAtOrAfter(since);
    if (first >= series.size) return undefined;
    let tracker = series.trackers.get(windowMs);
    if (!tracker && series.trackers.size < MAX_TRACKED_WINDOWS) {
      tracker = new PeakTracker(windowMs);
      for (let i = first; i < series.size; i++) tracker.push(series.at(i));
      series.trackers.set(windowMs, tracker);
    }
    const peaks = tracker ? tracker.read(since) : this.scan(series, first);
    if (!peaks) return undefined;
    return { node, windowMs, samples: series.size - first, oldestAt: series.at(first).sampledAt, newestAt: series.latest()!.sampledAt, ...peaks };
  }

  /** Nodes with samples. */
  nodes(): string[] {
    return [...this.series.keys()];
  }

  /** Drops everything known about `node` (it left the cluster). */
  forget(node: string): void {
    this.series.delete(node);
  }

  onSample(cb: (sample: NodeLoadSample) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** The peak by a plain scan: for window lengths beyond the tracked few. */
  private scan(series: NodeSeries, first: number): Record<PeakField, number> {
    const out = fieldsOf(series.at(first));
    for (let i = first + 1; i < series.size; i++) {
      const f = fieldsOf(series.at(i));
      for (const k of PEAK_FIELDS) if (f[k] > out[k]) out[k] = f[k];
    }
    return out;
  }
}
