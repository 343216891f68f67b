/**
 * The extension points of a scheduling profile, in kube-scheduler's framework shape. A plugin
 * is a small object implementing the points it needs; the cycle state is passed explicitly.
 *
 *   queue sort -> pre-filter -> filter (per node) -> pre-score -> score (+ normalize)
 *     -> reserve -> permit -> [binding cycle, apart] -> bind
 *
 * Hot-path rule: filter and score run once per (pod, node), thousands of times a second; they
 * must read NodeInfo's kept sums and what pre-filter put in the cycle state, never scan pods.
 */
import type { NodeInfo } from '../node-info.js';
import type { NodeTable } from '../node-table.js';
import type { SchedPod } from '../types.js';
import type { CycleState } from './cycle-state.js';
import type { Status } from './status.js';

/**
 * Cluster changes that can make a rejected pod schedulable. A plugin lists the ones that can
 * undo its own rejections; a pod rejected by it waits (unschedulable) until one of them happens.
 */
export type ClusterEvent =
  | 'NodeAdded'
  | 'NodeChanged'
  /** A pod stopped holding room: deleted, finished, unbound, or its assumption was dropped. */
  | 'PodGone'
  /** New load figures for a node. */
  | 'LoadSample'
  /** A gang gained a member, its PodGroup changed, or gang room was released. */
  | 'GangChanged';

export interface Plugin {
  readonly name: string;
  /** Events that may undo this plugin's rejections (see ClusterEvent). */
  readonly events?: readonly ClusterEvent[];
}

/** A pod as it waits in the queue. */
export interface QueuedPod {
  pod: SchedPod;
  /** The fair-share queue it waits in (namespace, or a label's value). */
  tenant: string;
  /** When it first entered the queue: aging and end-to-end latency count from here. */
  readonly initialQueuedAt: number;
  /** Arrival order (first entry), breaking ties between pods queued in the same millisecond. */
  readonly seq: number;
  /** When it last entered the active queue. */
  queuedAt: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** Plugins that rejected it last time. */
  unschedulablePlugins: Set<string>;
  /** Not tried again before this (backoff), clock ms. */
  backoffUntil: number;
  /** When the scheduler last looked for a node to hold for it (starvation.ts), clock ms. */
  holdSearchedAt?: number;
}

export interface QueueSortPlugin extends Plugin {
  /** Within one tenant's queue of one class: does `a` go before `b`? */
  less(a: QueuedPod, b: QueuedPod): boolean;
}

export interface PreFilterPlugin extends Plugin {
  /** Once per pod and cycle: compute what filter needs, reject the pod outright, or answer Skip. */
  preFilter(state: CycleState, pod: SchedPod): Status | undefined;
}

export interface FilterPlugin extends Plugin {
  /** Can `pod` go to `node`? undefined = yes. */
  filter(state: CycleState, pod: SchedPod, node: NodeInfo): Status | undefined;
  /**
   * Optional, for speed at scale: filter()'s verdicts for the nodes at `rows[0..count)` of
   * `table`, into `out[0..count)`, read from the table's columns. A row the columns cannot
   * settle (its flags say so) is judged by filter() on `table.nodes[row]`. Must agree with
   * filter() on every node (test/colocation/scheduler/node-table.test.ts holds them to it).
   */
  filterRows?(state: CycleState, pod: SchedPod, table: NodeTable, rows: Int32Array, count: number, out: Array<Status | undefined>): void;
}

export interface PreScorePlugin extends Plugin {
  /** Once per pod with the feasible nodes; Skip leaves this plugin's score out. */
  preScore(state: CycleState, pod: SchedPod, nodes: readonly NodeInfo[]): Status | undefined;
}

export interface ScorePlugin extends Plugin {
  /** Higher is better. 0..100 unless normalize() maps it there. */
  score(state: CycleState, pod: SchedPod, node: NodeInfo): number;
  /** Optional: score() for the nodes at `rows[0..count)` of `table`, into `out` (as filterRows). */
  scoreRows?(state: CycleState, pod: SchedPod, table: NodeTable, rows: Int32Array, count: number, out: Float64Array): void;
  /** Maps this plugin's raw scores (one per feasible node) into 0..100, in place. */
  normalize?(state: CycleState, pod: SchedPod, scores: Float64Array): void;
}

export interface ReservePlugin extends Plugin {
  /** The pod is assumed on `node`; hold whatever else it needs, or reject (then unreserve runs). */
  reserve(state: CycleState, pod: SchedPod, node: string): Status | undefined;
  /** Undo reserve; must tolerate being called for a pod reserve never saw. */
  unreserve(state: CycleState, pod: SchedPod, node: string): void;
}

export interface PermitResult {
  /** undefined = allowed now. */
  status: Status | undefined;
  /** With status Wait: how long to wait before the pod is rejected. */
  timeoutMs?: number;
}

export interface PermitPlugin extends Plugin {
  permit(state: CycleState, pod: SchedPod, node: string): PermitResult;
}

export interface BindPlugin extends Plugin {
  /** Writes the binding. Skip passes to the next bind plugin. */
  bind(state: CycleState, pod: SchedPod, node: string, signal: AbortSignal | undefined): Promise<Status | undefined>;
}

/** A scoring plugin and its weight in the total. */
export interface WeightedScore {
  plugin: ScorePlugin;
  weight: number;
}

/** A profile: the plugins of each extension point, in order. */
export interface Profile {
  schedulerName: string;
  queueSort: QueueSortPlugin;
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  preScore: PreScorePlugin[];
  score: WeightedScore[];
  reserve: ReservePlugin[];
  permit: PermitPlugin[];
  bind: BindPlugin[];
}
