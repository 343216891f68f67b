/**
 * Runs a profile's plugins for one pod: the extension points in order, the per-node filter
 * walk with early stop, weighted scores, reserve/unreserve, permit and bind. Policy lives in
 * the plugins; this file only sequences them.
 */
import type { Clock } from '../../../kube/index.js';
import type { NodeInfo } from '../node-info.js';
import type { NodeTable } from '../node-table.js';
import type { SchedPod } from '../types.js';
import type { CycleState } from './cycle-state.js';
import type { FilterPlugin, Profile, ScorePlugin } from './interfaces.js';
import { errorStatus, isRejection, type Status } from './status.js';
import { WaitingPods, type WaitingPod } from './waiting-pods.js';

/** A rejection and the plugin that made it. */
export interface PluginStatus {
  status: Status;
  plugin: string;
}

export interface FilterOutcome {
  feasible: NodeInfo[];
  /** kube-scheduler reason -> how many nodes gave it (for "0/N nodes are available: ..."). */
  reasons: Map<string, number>;
  /** Plugins that rejected at least one node. */
  rejectedBy: Set<string>;
  /** Nodes looked at (the walk stops once enough are feasible). */
  examined: number;
  /**
   * With a NodeTable: the feasible nodes' rows, in the same order (runScores reads columns by
   * them). The framework's scratch: valid until its next walk (the scheduling cycle uses it at
   * once; thousands of nodes a pod were garbage).
   */
  rows?: Int32Array;
}

/** The smallest slice of nodes the columnar walk filters at once. */
const MIN_CHUNK = 32;

export class Framework {
  readonly waiting: WaitingPods;

  constructor(
    readonly profile: Profile,
    clock: Clock,
  ) {
    this.waiting = new WaitingPods(clock);
  }

  runPreFilter(state: CycleState, pod: SchedPod): PluginStatus | undefined {
    for (const p of this.profile.preFilter) {
      let s: Status | undefined;
      try {
        s = p.preFilter(state, pod);
      } catch (err) {
        s = errorStatus(`${p.name} pre-filter failed: ${(err as Error).message}`);
      }
      if (s === undefined) continue;
      if (s.code === 'Skip') state.skipFilter.add(p.name);
      else if (isRejection(s)) return { status: s, plugin: p.name };
    }
    return undefined;
  }

  /** The filters that run this cycle (pre-filter may have skipped some). */
  activeFilters(state: CycleState): FilterPlugin[] {
    return state.skipFilter.size === 0 ? this.profile.filter : this.profile.filter.filter((p) => !state.skipFilter.has(p.name));
  }

  /** Runs filters on one node; the first rejection ends it, as in kube-scheduler. */
  runFilters(filters: readonly FilterPlugin[], state: CycleState, pod: SchedPod, node: NodeInfo): PluginStatus | undefined {
    for (let i = 0; i < filters.length; i++) {
      const p = filters[i]!;
      const s = p.filter(state, pod, node);
      if (s !== undefined && isRejection(s)) return { status: s, plugin: p.name };
    }
    return undefined;
  }

  /**
   * Walks `nodes` round-robin from `start` until `want` feasible nodes are found or every node
   * has been looked at (kube-scheduler's percentageOfNodesToScore walk). Given the NodeTable
   * whose rows are `nodes`, it filters slices of rows plugin by plugin (filterRows) instead of
   * node by node; the outcome is the same either way.
   */
  findFeasible(state: CycleState, pod: SchedPod, nodes: readonly NodeInfo[], start: number, want: number, table?: NodeTable): FilterOutcome {
    if (table !== undefined && table.nodes === nodes) return this.findFeasibleRows(state, pod, table, start, want);
    const filters = this.activeFilters(state);
    const feasible: NodeInfo[] = [];
    const reasons = new Map<string, number>();
    const rejectedBy = new Set<string>();
    const n = nodes.length;
    let examined = 0;
    for (; examined < n && feasible.length < want; examined++) {
      const node = nodes[(start + examined) % n]!;
      const rejected = this.filterOne(filters, state, pod, node);
      if (rejected === undefined) {
        feasible.push(node);
        continue;
      }
      count(rejected, reasons, rejectedBy);
    }
    return { feasible, reasons, rejectedBy, examined };
  }

  private filterOne(filters: readonly FilterPlugin[], state: CycleState, pod: SchedPod, node: NodeInfo): PluginStatus | undefined {
    try {
      return this.runFilters(filters, state, pod, node);
    } catch (err) {
      return { status: errorStatus(`filter failed on node ${node.name}: ${(err as Error).message}`), plugin: 'framework' };
    }
  }

  // Scratch for the columnar walk, grown to the node count and reused every cycle.
  private chunkRows = new Int32Array(0);
  private candidates = new Int32Array(0);
  private live = new Int32Array(0);
  private feasibleRows = new Int32Array(0);
  /** Per chunk position: index of the filter that rejected it (-1: feasible), and its status. */
  private rejectedBy = new Int16Array(0);
  private rejectStatus: Array<Status | undefined> = [];
  private verdicts: Array<Status | undefined> = [];

  private findFeasibleRows(state: CycleState, pod: SchedPod, table: NodeTable, start: number, want: number): FilterOutcome {
    const nodes = table.nodes;
    const n = nodes.length;
    const filters = this.activeFilters(state);
    if (this.chunkRows.length < n) {
      this.chunkRows = new Int32Array(n);
      this.candidates = new Int32Array(n);
      this.live = new Int32Array(n);
      this.feasibleRows = new Int32Array(n);
      this.rejectedBy = new Int16Array(n);
    }
    let found = 0;
    const feasibleRows = this.feasibleRows;
    const rejectedBy = this.rejectedBy;
    const rejectStatus = this.rejectStatus;
    const chunkRows = this.chunkRows;
    // Rejections are tallied per (filter, status) run: most rejected nodes of a walk share one
    // status object, so a counter replaces a map update per node.
    const tally = new Map<Status, { plugin: string; nodes: number }>();
    let runStatus: Status | undefined;
    let runPlugin = '';
    let runLength = 0;
    const flush = (): void => {
      if (runStatus === undefined) return;
      const t = tally.get(runStatus);
      if (t) t.nodes += runLength;
      else tally.set(runStatus, { plugin: runPlugin, nodes: runLength });
    };
    let examined = 0;
    while (examined < n && found < want) {
      // A slice as large as the nodes still wanted: all of them pass in the common case, and a
      // walk that finds rejections takes a few more, smaller slices.
      const size = Math.min(n - examined, Math.max(MIN_CHUNK, want - found));
      this.filterChunk(filters, state, pod, table, (start + examined) % n, size);
      for (let k = 0; k < size && found < want; k++, examined++) {
        const f = rejectedBy[k]!;
        if (f < 0) {
          feasibleRows[found++] = chunkRows[k]!;
          continue;
        }
        const status = rejectStatus[k]!;
        const plugin = f < filters.length ? filters[f]!.name : 'framework';
        if (status === runStatus && plugin === runPlugin) {
          runLength++;
          continue;
        }
        flush();
        runStatus = status;
        runPlugin = plugin;
        runLength = 1;
      }
    }
    flush();
    // Made at its final size: a list grown by push from empty copied itself ~7 times per walk.
    const feasible = new Array<NodeInfo>(found);
    for (let i = 0; i < found; i++) feasible[i] = nodes[feasibleRows[i]!]!;
    const reasons = new Map<string, number>();
    const plugins = new Set<string>();
    for (const [status, t] of tally) {
      plugins.add(t.plugin);
      for (const r of status.reasons) reasons.set(r, (reasons.get(r) ?? 0) + t.nodes);
    }
    return { feasible, reasons, rejectedBy: plugins, examined, rows: feasibleRows.subarray(0, found) };
  }

  /**
   * Judges `size` rows from `first` (wrapping) into chunkRows[k], rejectedBy[k] (the filter's
   * index, -1 when feasible; filters.length for an error the framework pinned on the node) and
   * rejectStatus[k].
   */
  private filterChunk(filters: readonly FilterPlugin[], state: CycleState, pod: SchedPod, table: NodeTable, first: number, size: number): void {
    const n = table.nodes.length;
    const rows = this.chunkRows;
    const live = this.live;
    const cand = this.candidates;
    const out = this.verdicts;
    const rejectedBy = this.rejectedBy;
    const rejectStatus = this.rejectStatus;
    for (let k = 0; k < size; k++) {
      const row = (first + k) % n;
      rows[k] = row;
      cand[k] = row;
      live[k] = k;
      rejectedBy[k] = -1;
    }
    let alive = size;
    try {
      for (let f = 0; f < filters.length && alive > 0; f++) {
        const p = filters[f]!;
        if (p.filterRows !== undefined) p.filterRows(state, pod, table, cand, alive, out);
        else for (let j = 0; j < alive; j++) out[j] = p.filter(state, pod, table.nodes[cand[j]!]!);
        // Most filters pass every node: the candidates stay as they are.
        let first = 0;
        while (first < alive && (out[first] === undefined || !isRejection(out[first]!))) first++;
        if (first === alive) continue;
        let kept = first;
        for (let j = first; j < alive; j++) {
          const s = out[j];
          if (s !== undefined && isRejection(s)) {
            rejectedBy[live[j]!] = f;
            rejectStatus[live[j]!] = s;
          } else {
            live[kept] = live[j]!;
            cand[kept++] = cand[j]!;
          }
        }
        alive = kept;
      }
    } catch {
      // A plugin threw on some row: judge this slice node by node, which pins the error on
      // the node it happened on, as the per-node walk does.
      for (let k = 0; k < size; k++) {
        const rejected = this.filterOne(filters, state, pod, table.nodes[rows[k]!]!);
        rejectedBy[k] = rejected === undefined ? -1 : filterIndex(filters, rejected.plugin);
        rejectStatus[k] = rejected?.status;
      }
    }
  }

  // Scratch for runScores, grown to the largest feasible list and reused every cycle.
  private scoreScratch = new Float64Array(0);
  private totalScratch = new Float64Array(0);

  /**
   * Weighted sum of every active score plugin's normalized score, per feasible node. A single
   * node is not scored (there is no choice to make) unless `evenForOne`. The answer is the
   * framework's scratch: read it before the next runScores.
   */
  runScores(state: CycleState, pod: SchedPod, feasible: readonly NodeInfo[], evenForOne = false, table?: NodeTable, rows?: Int32Array): Float64Array {
    const n = feasible.length;
    if (this.totalScratch.length < n) {
      this.totalScratch = new Float64Array(n);
      this.scoreScratch = new Float64Array(n);
    }
    const totals = this.totalScratch.subarray(0, n);
    totals.fill(0);
    if (n === 0 || (n === 1 && !evenForOne)) return totals;
    for (const p of this.profile.preScore) {
      const s = p.preScore(state, pod, feasible);
      if (s?.code === 'Skip') state.skipScore.add(p.name);
    }
    const scores = this.scoreScratch.subarray(0, n);
    for (const { plugin, weight } of this.profile.score) {
      if (weight === 0 || state.skipScore.has(plugin.name)) continue;
      if (plugin.scoreRows !== undefined && table !== undefined && rows !== undefined && rows.length === n) plugin.scoreRows(state, pod, table, rows, n, scores);
      else scoreAll(plugin, state, pod, feasible, scores);
      plugin.normalize?.(state, pod, scores);
      for (let i = 0; i < n; i++) totals[i]! += weight * clampScore(scores[i]!);
    }
    return totals;
  }

  /** Runs reserve plugins in order; on a rejection, unreserves all of them (reverse order). */
  runReserve(state: CycleState, pod: SchedPod, node: string): PluginStatus | undefined {
    for (const p of this.profile.reserve) {
      let s: Status | undefined;
      try {
        s = p.reserve(state, pod, node);
      } catch (err) {
        s = errorStatus(`${p.name} reserve failed: ${(err as Error).message}`);
      }
      if (s !== undefined && isRejection(s)) {
        this.runUnreserve(state, pod, node);
        return { status: s, plugin: p.name };
      }
    }
    return undefined;
  }

  runUnreserve(state: CycleState, pod: SchedPod, node: string): void {
    for (let i = this.profile.reserve.length - 1; i >= 0; i--) {
      try {
        this.profile.reserve[i]!.unreserve(state, pod, node);
      } catch {
        // unreserve must not stop the others from running
      }
    }
  }

  /**
   * Runs permit plugins: a rejection, or a WaitingPod that settles when every plugin that
   * answered Wait has allowed the pod (already settled when none waits).
   */
  runPermit(state: CycleState, pod: SchedPod, node: string): PluginStatus | WaitingPod {
    const waits: Array<{ plugin: string; timeoutMs: number }> = [];
    for (const p of this.profile.permit) {
      const r = p.permit(state, pod, node);
      if (r.status === undefined) continue;
      if (r.status.code === 'Wait') waits.push({ plugin: p.name, timeoutMs: r.timeoutMs ?? 60_000 });
      else if (isRejection(r.status)) return { status: r.status, plugin: p.name };
    }
    return this.waiting.add(pod, node, waits);
  }

  async runBind(state: CycleState, pod: SchedPod, node: string, signal: AbortSignal | undefined): Promise<PluginStatus | undefined> {
    for (const p of this.profile.bind) {
      const s = await p.bind(state, pod, node, signal);
      if (s?.code === 'Skip') continue;
      return s === undefined ? undefined : { status: s, plugin: p.name };
    }
    return { status: errorStatus('no bind plugin bound the pod'), plugin: 'framework' };
  }

  /** Every plugin of the profile, once (for event registration and listing). */
  plugins(): Array<{ name: string; events?: readonly string[] }> {
    const p = this.profile;
    const all = [p.queueSort, ...p.preFilter, ...p.filter, ...p.preScore, ...p.score.map((s) => s.plugin), ...p.reserve, ...p.permit, ...p.bind];
    return [...new Map(all.map((x) => [x.name, x])).values()];
  }
}

/** The index of the filter named `plugin`; filters.length for the framework's own (or an unknown) rejection. */
function filterIndex(filters: readonly FilterPlugin[], plugin: string): number {
  const i = filters.findIndex((p) => p.name === plugin);
  return i < 0 ? filters.length : i;
}

function count(rejected: PluginStatus, reasons: Map<string, number>, rejectedBy: Set<string>): void {
  rejectedBy.add(rejected.plugin);
  for (const r of rejected.status.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
}

function scoreAll(plugin: ScorePlugin, state: CycleState, pod: SchedPod, nodes: readonly NodeInfo[], out: Float64Array): void {
  for (let i = 0; i < nodes.length; i++) out[i] = plugin.score(state, pod, nodes[i]!);
}

function clampScore(s: number): number {
  return Number.isFinite(s) ? Math.max(0, Math.min(100, s)) : 0;
}

/**
 * kube-scheduler's adaptive percentageOfNodesToScore: all nodes up to 100; beyond, 50 % less
 * 1 % per 125 nodes (at least 5 %), and never fewer than 100 nodes. `percentage` (1..100)
 * overrides the adaptive figure.
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentage?: number): number {
  const MIN = 100;
  if (numAllNodes < MIN) return numAllNodes;
  let pct = percentage;
  if (pct === undefined || pct <= 0) pct = Math.max(5, 50 - Math.floor(numAllNodes / 125));
  if (pct >= 100) return numAllNodes;
  return Math.max(MIN, Math.floor((numAllNodes * pct) / 100));
}
