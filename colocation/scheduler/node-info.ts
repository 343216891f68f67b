/**
 * One node as the scheduler sees it: the Node (projected), the pods that hold room on it (bound
 * and assumed), their summed requests, and room held for gangs. Filters read it hundreds of
 * thousands of times a second, so:
 * - the sums are kept up to date on each change instead of recounted;
 * - the figures nearly every check reads (cpu, memory, batch-cpu, batch-memory allocatable,
 *   requested and held; cordon, readiness, taints, labels) are copied into fields of this one
 *   object. With thousands of nodes, each further object a check touches per node is a likely
 *   cache miss, and those misses, not the arithmetic, were the cost of a scheduling cycle.
 */
import { BATCH_CPU, BATCH_MEMORY, offlineEvictedUntil } from '../../api/index.js';
import type { NodeColocation } from '../batch/index.js';
import type { NodeSummary, NodeTaint, ResourceAmounts } from '../../kube/index.js';
import type { NodeLoadState } from './load-estimator.js';
import { ROW_HAS_SAMPLE, ROW_NO_LOAD, ROW_NOT_READY, ROW_RESERVED, ROW_TAINTED, ROW_UNSCHEDULABLE, type NodeTable } from './node-table.js';
import type { SchedPod } from './types.js';

/** kube-scheduler's default when a node does not state its pod capacity. */
const DEFAULT_MAX_PODS = 110;

/** Slots of the resources kept in fields. */
export const R_CPU = 0;
export const R_MEMORY = 1;
export const R_BATCH_CPU = 2;
export const R_BATCH_MEMORY = 3;
export const SLOT_RESOURCES: readonly string[] = ['cpu', 'memory', BATCH_CPU, BATCH_MEMORY];
const SLOT: ReadonlyMap<string, number> = new Map(SLOT_RESOURCES.map((r, i) => [r, i]));
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const NO_TAINTS: readonly NodeTaint[] = Object.freeze([]);

/** The slot of a resource, or -1 for the others. */
export function slotOf(resource: string): number {
  return SLOT.get(resource) ?? -1;
}

export class NodeInfo {
  private summary: NodeSummary | undefined;
  // Copies of the Node's hot fields (see the module comment).
  labels: Readonly<Record<string, string>> = NO_LABELS;
  taints: readonly NodeTaint[] = NO_TAINTS;
  unschedulable = false;
  ready = false;
  maxPods = DEFAULT_MAX_PODS;
  /** Until when (ms) offline pods stay away: the eviction controller just shed offline load here. 0: no back-off. */
  offlineBackoffUntil = 0;
  allocCpu = 0;
  allocMemory = 0;
  allocBatchCpu = 0;
  allocBatchMemory = 0;
  usedCpu = 0;
  usedMemory = 0;
  usedBatchCpu = 0;
  usedBatchMemory = 0;
  heldCpu = 0;
  heldMemory = 0;
  heldBatchCpu = 0;
  heldBatchMemory = 0;
  /** Requests of the pods here, every resource. */
  readonly requested: ResourceAmounts = {};
  podCount = 0;
  readonly pods = new Map<string, SchedPod>();
  /** Pods here with required anti-affinity terms (the symmetric anti-affinity check looks at these). */
  antiAffinityPods = 0;
  /** Room held for gangs' members: gang key -> amounts. */
  readonly reserved = new Map<string, ResourceAmounts>();
  readonly reservedTotal: ResourceAmounts = {};
  /** Bumped on each change, so callers can tell whether what they computed is still current. */
  generation = 0;
  private loadState: NodeLoadState | undefined;
  /** The NodeTable this node writes its figures to, and its row there (-1: none). */
  private table: NodeTable | undefined;
  row = -1;
  /** The policy settings for these labels at policy generation colocationGeneration (NodeSettings.for). */
  colocation: NodeColocation | undefined;
  colocationLabels: object | undefined;
  colocationGeneration = -1;

  constructor(readonly name: string) {}

  /** The node's measured load (LoadEstimator.stateOf links it on first use). */
  get load(): NodeLoadState | undefined {
    return this.loadState;
  }

  set load(st: NodeLoadState | undefined) {
    this.loadState = st;
    if (st) st.owner = this;
    this.publishLoad();
  }

  /** Gives this node row `row` of `table` (undefined / -1: none) and writes its figures there. */
  placeInTable(table: NodeTable | undefined, row: number): void {
    this.table = table;
    this.row = table ? row : -1;
    this.publish();
  }

  /** undefined while pods are known on a node the informer has not shown (or no longer shows). */
  get node(): NodeSummary | undefined {
    return this.summary;
  }

  set node(n: NodeSummary | undefined) {
    this.summary = n;
    this.labels = n?.labels ?? NO_LABELS;
    // Most nodes have no taints: one shared empty list instead of one per node.
    this.taints = n && n.taints.length > 0 ? n.taints : NO_TAINTS;
    this.unschedulable = n?.unschedulable ?? false;
    this.ready = n?.ready ?? false;
    this.maxPods = n?.allocatable['pods'] ?? DEFAULT_MAX_PODS;
    this.offlineBackoffUntil = offlineEvictedUntil(n?.annotations) ?? 0;
    this.allocCpu = n?.allocatable['cpu'] ?? 0;
    this.allocMemory = n?.allocatable['memory'] ?? 0;
    this.allocBatchCpu = n?.allocatable[BATCH_CPU] ?? 0;
    this.allocBatchMemory = n?.allocatable[BATCH_MEMORY] ?? 0;
    this.generation++;
    this.publish();
  }

  allocAt(slot: number): number {
    switch (slot) {
      case R_CPU:
        return this.allocCpu;
      case R_MEMORY:
        return this.allocMemory;
      case R_BATCH_CPU:
        return this.allocBatchCpu;
      default:
        return this.allocBatchMemory;
    }
  }

  usedAt(slot: number): number {
    switch (slot) {
      case R_CPU:
        return this.usedCpu;
      case R_MEMORY:
        return this.usedMemory;
      case R_BATCH_CPU:
        return this.usedBatchCpu;
      default:
        return this.usedBatchMemory;
    }
  }

  heldAt(slot: number): number {
    switch (slot) {
      case R_CPU:
        return this.heldCpu;
      case R_MEMORY:
        return this.heldMemory;
      case R_BATCH_CPU:
        return this.heldBatchCpu;
      default:
        return this.heldBatchMemory;
    }
  }

  /**
   * allocatable − requested − room held, for one resource, not counting the room held under
   * `gang` or `own` (the pod's gang and its own starvation hold: its own room is free to it).
   */
  free(resource: string, gang?: string, own?: string): number {
    const slot = SLOT.get(resource);
    if (slot !== undefined) return this.freeAt(slot, gang, own);
    const n = this.summary;
    if (!n) return 0;
    const free = (n.allocatable[resource] ?? 0) - (this.requested[resource] ?? 0);
    if (this.reserved.size === 0) return free;
    return free - (this.reservedTotal[resource] ?? 0) + this.heldFor(gang, resource) + this.heldFor(own, resource);
  }

  /** free() for a slot. */
  freeAt(slot: number, gang?: string, own?: string): number {
    const free = this.allocAt(slot) - this.usedAt(slot);
    if (this.reserved.size === 0) return free;
    const resource = SLOT_RESOURCES[slot]!;
    return free - this.heldAt(slot) + this.heldFor(gang, resource) + this.heldFor(own, resource);
  }

  private heldFor(key: string | undefined, resource: string): number {
    return key === undefined ? 0 : (this.reserved.get(key)?.[resource] ?? 0);
  }

  addPod(pod: SchedPod): void {
    this.pods.set(pod.key, pod);
    this.addRequested(pod.requests, 1);
    this.podCount++;
    if (pod.antiAffinity.length > 0) this.antiAffinityPods++;
    this.generation++;
    this.publishUsed();
  }

  removePod(key: string): SchedPod | undefined {
    const pod = this.pods.get(key);
    if (!pod) return undefined;
    this.pods.delete(key);
    this.addRequested(pod.requests, -1);
    this.podCount--;
    if (pod.antiAffinity.length > 0) this.antiAffinityPods--;
    this.generation++;
    this.publishUsed();
    return pod;
  }

  reserve(gang: string, amounts: Readonly<ResourceAmounts>): void {
    const r = this.reserved.get(gang) ?? {};
    addTo(r, amounts, 1);
    this.reserved.set(gang, r);
    this.addHeld(amounts, 1);
    this.generation++;
    this.publishFlags();
  }

  /** Gives back up to `amounts` of gang's room here (never more than it holds). */
  unreserve(gang: string, amounts?: Readonly<ResourceAmounts>): void {
    const r = this.reserved.get(gang);
    if (!r) return;
    const give = amounts ? clampTo(amounts, r) : { ...r };
    addTo(r, give, -1);
    this.addHeld(give, -1);
    if (amounts === undefined || Object.values(r).every((v) => v <= 0)) this.reserved.delete(gang);
    this.generation++;
    this.publishFlags();
  }

  /** Nothing left here: no node object, no pods, no reservations. */
  isEmpty(): boolean {
    return this.summary === undefined && this.pods.size === 0 && this.reserved.size === 0;
  }

  /** Writes every figure to the table row (a new row, or the Node changed). */
  private publish(): void {
    const t = this.table;
    if (!t || this.row < 0) return;
    const row = this.row;
    t.maxPods[row] = this.maxPods;
    t.offlineBackoffUntil[row] = this.offlineBackoffUntil;
    for (let slot = 0; slot < SLOT_RESOURCES.length; slot++) t.alloc[slot]![row] = this.allocAt(slot);
    // The labels may have changed: the policy's answer for this node is asked again.
    t.colocationGeneration[row] = -1;
    this.publishUsed();
    this.publishLoad();
  }

  private publishUsed(): void {
    const t = this.table;
    if (!t || this.row < 0) return;
    const row = this.row;
    t.podCount[row] = this.podCount;
    for (let slot = 0; slot < SLOT_RESOURCES.length; slot++) t.used[slot]![row] = this.usedAt(slot);
  }

  /** The load state's figures (the estimator calls this through NodeLoadState.owner on each change). */
  publishLoad(): void {
    const t = this.table;
    if (!t || this.row < 0) return;
    const row = this.row;
    const st = this.loadState;
    if (st) {
      t.sampledAt[row] = st.sampledAt;
      t.loadCpu[row] = st.cpu;
      t.loadMemory[row] = st.memory;
      t.placedCpu[row] = st.placedCpu;
      t.placedMemory[row] = st.placedMemory;
    }
    this.publishFlags();
  }

  private publishFlags(): void {
    const t = this.table;
    if (!t || this.row < 0) return;
    const st = this.loadState;
    t.flags[this.row] =
      (this.unschedulable ? ROW_UNSCHEDULABLE : 0) |
      (this.ready ? 0 : ROW_NOT_READY) |
      (this.taints.length > 0 ? ROW_TAINTED : 0) |
      (this.reserved.size > 0 ? ROW_RESERVED : 0) |
      (st === undefined ? ROW_NO_LOAD : st.hasSample ? ROW_HAS_SAMPLE : 0);
  }

  private addRequested(amounts: Readonly<ResourceAmounts>, sign: 1 | -1): void {
    addTo(this.requested, amounts, sign);
    this.usedCpu = this.requested['cpu'] ?? 0;
    this.usedMemory = this.requested['memory'] ?? 0;
    this.usedBatchCpu = this.requested[BATCH_CPU] ?? 0;
    this.usedBatchMemory = this.requested[BATCH_MEMORY] ?? 0;
  }

  private addHeld(amounts: Readonly<ResourceAmounts>, sign: 1 | -1): void {
    addTo(this.reservedTotal, amounts, sign);
    this.heldCpu = this.reservedTotal['cpu'] ?? 0;
    this.heldMemory = this.reservedTotal['memory'] ?? 0;
    this.heldBatchCpu = this.reservedTotal[BATCH_CPU] ?? 0;
    this.heldBatchMemory = this.reservedTotal[BATCH_MEMORY] ?? 0;
  }
}

function addTo(into: ResourceAmounts, amounts: Readonly<ResourceAmounts>, sign: 1 | -1): void {
  for (const k in amounts) {
    const v = (into[k] ?? 0) + sign * amounts[k]!;
    if (v === 0) delete into[k];
    else into[k] = v;
  }
}

function clampTo(want: Readonly<ResourceAmounts>, have: Readonly<ResourceAmounts>): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const k in want) out[k] = Math.max(0, Math.min(want[k]!, have[k] ?? 0));
  return out;
}
