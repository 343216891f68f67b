/**
 * Measured node load, as every colocation part reads it: the scheduler's load filter and score,
 * the batch-capacity controller and offline eviction. Sources (the isolation agent's gRPC
 * stream, metrics.k8s.io) turn what they receive into these; readers never see a source.
 *
 * Amounts are integers: cpu in millicores, memory in bytes (working set, never page cache).
 */

export interface NodeLoadSample {
  node: string;
  /** Clock ms when the sample was taken (not received). */
  sampledAt: number;
  /** Whole-node usage. */
  cpu: number;
  memory: number;
  /** Usage of online pods (agent: measured per class; metrics.k8s.io: sum of online pods' usage). */
  onlineCpu?: number;
  onlineMemory?: number;
  /** System (non-pod) usage, when the source knows it. */
  systemCpu?: number;
  systemMemory?: number;
  source: 'agent' | 'metrics-api';
}

/** What readers ask: the latest sample per node, and a window of them. */
export interface NodeLoadView {
  latest(node: string): NodeLoadSample | undefined;
  /** Samples for `node` taken within the last `windowMs` (oldest first). */
  window(node: string, windowMs: number): readonly NodeLoadSample[];
  /** Called after new samples arrive for `node`. Returns an unsubscribe function. */
  onSample(cb: (sample: NodeLoadSample) => void): () => void;
}

/**
 * The largest figures among one node's samples in a window, each field its own maximum (the
 * online peak and the system peak may come from different samples). Amounts as in
 * NodeLoadSample; online and system figures a source did not know are filled as
 * `onlineCpuOf`/`systemCpuOf` (sample.ts) fill them.
 */
export interface LoadPeak {
  node: string;
  windowMs: number;
  /** Samples the window held. */
  samples: number;
  /** sampledAt of the oldest and newest of them. */
  oldestAt: number;
  newestAt: number;
  cpu: number;
  memory: number;
  onlineCpu: number;
  onlineMemory: number;
  systemCpu: number;
  systemMemory: number;
}

/** A NodeLoadView that also answers the peak over a window cheaply (what LoadStore implements). */
export interface NodeLoadPeaks extends NodeLoadView {
  peak(node: string, windowMs: number): LoadPeak | undefined;
  /** Milliseconds since the latest sample of `node` was taken; undefined when there is none. */
  ageMs(node: string): number | undefined;
}
