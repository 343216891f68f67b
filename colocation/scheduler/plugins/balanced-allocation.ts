/**
 * Balanced resources (kube-scheduler's NodeResourcesBalancedAllocation): prefers nodes where,
 * after the pod, CPU and memory are used in similar proportion, so neither is stranded.
 * score = (1 − std of the used fractions) × 100; on reclaimed capacity the batch pair counts.
 */
import { stateKey } from '../framework/cycle-state.js';
import type { PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { podShape, usedFraction, usedFractionAt, type PodShape } from './resource-shape.js';

export const BALANCED_ALLOCATION = 'BalancedAllocation';

const SHAPE = stateKey<PodShape>(BALANCED_ALLOCATION);

export function balancedAllocation(): ScorePlugin & PreScorePlugin {
  return {
    name: BALANCED_ALLOCATION,
    preScore(state, pod) {
      state.write(SHAPE, podShape(pod));
      return undefined;
    },
    score(state, pod, info) {
      const shape = state.read(SHAPE) ?? podShape(pod);
      return balance(usedFraction(info, shape, shape.slots[0]), usedFraction(info, shape, shape.slots[1]));
    },
    scoreRows(state, pod, table, rows, count, out) {
      const shape = state.read(SHAPE) ?? podShape(pod);
      const [a, b] = shape.slots;
      for (let j = 0; j < count; j++) {
        const row = rows[j]!;
        out[j] = balance(usedFractionAt(table, row, shape, a), usedFractionAt(table, row, shape, b));
      }
    },
  };
}

/** 100 when the two shares are equal, less the further apart; 0 / 100 when the node lacks one or both. */
function balance(fa: number | undefined, fb: number | undefined): number {
  if (fa === undefined || fb === undefined) return fa === undefined && fb === undefined ? 0 : 100;
  return (1 - Math.abs(fa - fb) / 2) * 100;
}
