/**
 * The pair of resources a pod's placement is judged on: batch-cpu / batch-memory for a pod on
 * reclaimed capacity, cpu / memory otherwise, as NodeInfo slots with the pod's request per
 * slot, computed once per cycle.
 */
import { requestsBatchResources } from '../../../api/index.js';
import { R_BATCH_CPU, R_BATCH_MEMORY, R_CPU, R_MEMORY, SLOT_RESOURCES, type NodeInfo } from '../node-info.js';
import type { StateKey } from '../framework/cycle-state.js';
import type { ScorePlugin } from '../framework/interfaces.js';
import type { NodeTable } from '../node-table.js';
import type { SchedPod } from '../types.js';

export interface PodShape {
  readonly slots: readonly [number, number];
  /** The pod's request per slot. */
  readonly request: readonly number[];
}

const BATCH_PAIR = [R_BATCH_CPU, R_BATCH_MEMORY] as const;
const PLAIN_PAIR = [R_CPU, R_MEMORY] as const;

export function podShape(pod: SchedPod): PodShape {
  return { slots: requestsBatchResources(pod.requests) ? BATCH_PAIR : PLAIN_PAIR, request: SLOT_RESOURCES.map((r) => pod.requests[r] ?? 0) };
}

/** (requested + pod's request) / allocatable for a slot, capped at 1; NaN when the node has none. */
function usedFraction(info: NodeInfo, shape: PodShape, slot: number): number {
  return fraction(info.usedAt(slot), shape.request[slot]!, info.allocAt(slot));
}

/** usedFraction() of the node at `row` of `table`, from its columns. */
function usedFractionAt(table: NodeTable, row: number, shape: PodShape, slot: number): number {
  return fraction(table.used[slot]![row]!, shape.request[slot]!, table.alloc[slot]![row]!);
}

/**
 * Share of `alloc` taken by `used` + `request`, at most 1; NaN when there is none. NaN, not
 * undefined: a value that may be undefined or a fraction is kept boxed, and the row walk
 * allocated a heap number per node and resource (16 KB per pod at 500 nodes).
 */
function fraction(used: number, request: number, alloc: number): number {
  if (alloc <= 0) return Number.NaN;
  return Math.min(1, (used + request) / alloc);
}

/**
 * score() and scoreRows() of a plugin that rates a node by the pod's used fraction of its two
 * resources (`rate`; NaN for a resource the node lacks), the pod's shape read from `key` (its
 * pre-score wrote it) or made anew.
 */
export function rateByUsedFractions(key: StateKey<PodShape>, rate: (fa: number, fb: number) => number): Pick<ScorePlugin, 'score' | 'scoreRows'> {
  return {
    score(state, pod, info) {
      const shape = state.read(key) ?? podShape(pod);
      return rate(usedFraction(info, shape, shape.slots[0]), usedFraction(info, shape, shape.slots[1]));
    },
    scoreRows(state, pod, table, rows, count, out) {
      const shape = state.read(key) ?? podShape(pod);
      const [a, b] = shape.slots;
      for (let j = 0; j < count; j++) {
        const row = rows[j]!;
        out[j] = rate(usedFractionAt(table, row, shape, a), usedFractionAt(table, row, shape, b));
      }
    },
  };
}
