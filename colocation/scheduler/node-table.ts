/**
 * The figures the filters and scores read for nearly every pod, one row per node, one typed
 * array per figure (struct of arrays), rows in the cache's node-list order.
 *
 * Why: a scheduling cycle at 5,000 nodes looks at ~500 nodes. Read through the NodeInfo objects
 * (scattered over the heap, each pointing to its load state, its reservation map, boxed
 * numbers), a node costs several cache misses, and those misses — not the arithmetic — were
 * most of the cycle in a busy process. Read from columns, the walk over consecutive rows is a
 * few sequential streams the CPU prefetches. The NodeInfo stays the source of truth: it writes
 * its figures here whenever they change (NodeInfo.publish*), and anything a row cannot answer
 * alone (a reservation held, a taint, no load linked yet) is flagged so the plugin asks the
 * NodeInfo instead.
 */
import type { NodeInfo } from './node-info.js';

/** Row flags: anything set means "look at the NodeInfo" for the checks it concerns. */
export const ROW_UNSCHEDULABLE = 1;
export const ROW_NOT_READY = 2;
export const ROW_TAINTED = 4;
/** Room is held for gangs here (free room depends on the pod's own gang). */
export const ROW_RESERVED = 8;
/** The node's load state is not linked yet (the estimator links it on first per-node use). */
export const ROW_NO_LOAD = 16;
/** The linked load state has a sample (fresh or not: sampledAt says). */
export const ROW_HAS_SAMPLE = 32;

const INITIAL_ROWS = 64;

export class NodeTable {
  /** The nodes, row by row (the cache's list: the same array). */
  nodes: readonly NodeInfo[] = [];
  flags = new Uint8Array(INITIAL_ROWS);
  maxPods = new Float64Array(INITIAL_ROWS);
  podCount = new Float64Array(INITIAL_ROWS);
  /** Allocatable and requested per resource slot (node-info.ts: cpu, memory, batch-cpu, batch-memory). */
  alloc: Float64Array[] = slots();
  used: Float64Array[] = slots();
  offlineBackoffUntil = new Float64Array(INITIAL_ROWS);
  /** The latest load sample's time and usage, and the estimate added by placements since. */
  sampledAt = new Float64Array(INITIAL_ROWS);
  loadCpu = new Float64Array(INITIAL_ROWS);
  loadMemory = new Float64Array(INITIAL_ROWS);
  placedCpu = new Float64Array(INITIAL_ROWS);
  placedMemory = new Float64Array(INITIAL_ROWS);
  /**
   * The figures of NodeSettings' per-node answer the walk reads (the staleness bound in ms, the
   * offline load thresholds in %) and the policy generation they were read at (-1: none).
   */
  colocationGeneration = new Int32Array(INITIAL_ROWS).fill(-1);
  staleAfterMs = new Float64Array(INITIAL_ROWS);
  offlineCpuPercent = new Float64Array(INITIAL_ROWS);
  offlineMemoryPercent = new Float64Array(INITIAL_ROWS);

  get capacity(): number {
    return this.flags.length;
  }

  /** Makes room for `rows` rows, keeping what is there. */
  ensure(rows: number): void {
    if (rows <= this.capacity) return;
    let size = this.capacity;
    while (size < rows) size *= 2;
    this.flags = grow(this.flags, size);
    this.maxPods = grow(this.maxPods, size);
    this.podCount = grow(this.podCount, size);
    this.alloc = this.alloc.map((c) => grow(c, size));
    this.used = this.used.map((c) => grow(c, size));
    this.offlineBackoffUntil = grow(this.offlineBackoffUntil, size);
    this.sampledAt = grow(this.sampledAt, size);
    this.loadCpu = grow(this.loadCpu, size);
    this.loadMemory = grow(this.loadMemory, size);
    this.placedCpu = grow(this.placedCpu, size);
    this.placedMemory = grow(this.placedMemory, size);
    this.staleAfterMs = grow(this.staleAfterMs, size);
    this.offlineCpuPercent = grow(this.offlineCpuPercent, size);
    this.offlineMemoryPercent = grow(this.offlineMemoryPercent, size);
    const gen = new Int32Array(size).fill(-1);
    gen.set(this.colocationGeneration);
    this.colocationGeneration = gen;
  }
}

function slots(): Float64Array[] {
  return [0, 1, 2, 3].map(() => new Float64Array(INITIAL_ROWS));
}

function grow<T extends Float64Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
