/**
 * Balanced resources (kube-scheduler's NodeResourcesBalancedAllocation): prefers nodes where,
 * after the pod, CPU and memory are used in similar proportion, so neither is stranded.
 * score = (1 − std of the used fractions) × 100; on reclaimed capacity the batch pair counts.
 */
import { stateKey } from '../framework/cycle-state.js';
import type { PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { podShape, rateByUsedFractions, type PodShape } from './resource-shape.js';

export const BALANCED_ALLOCATION = 'BalancedAllocation';

const SHAPE = stateKey<PodShape>(BALANCED_ALLOCATION);

export function balancedAllocation(): ScorePlugin & PreScorePlugin {
  return {
    name: BALANCED_ALLOCATION,
    preScore(state, pod) {
      state.write(SHAPE, podShape(pod));
      return undefined;
    },
    ...rateByUsedFractions(SHAPE, balance),
  };
}

/** 100 when the two shares are equal, less the further apart; 0 / 100 when the node lacks one or both. */
function balance(fa: number, fb: number): number {
  const noA = Number.isNaN(fa);
  const noB = Number.isNaN(fb);
  if (noA || noB) return noA && noB ? 0 : 100;
  return (1 - Math.abs(fa - fb) / 2) * 100;
}
