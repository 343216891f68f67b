/**
 * Balanced resources (kube-scheduler's NodeResourcesBalancedAllocation): prefers nodes where,
 * after the pod, CPU and memory are used in similar proportion, so neither is stranded.
 * score = (1 − std of the used fractions) × 100; on reclaimed capacity the batch pair counts.
 */
import type { ScorePlugin } from '../framework/interfaces.js';
import { resourcePair, usedFraction } from './resource-shape.js';

export const BALANCED_ALLOCATION = 'BalancedAllocation';

export function balancedAllocation(): ScorePlugin {
  return {
    name: BALANCED_ALLOCATION,
    score(_state, pod, info) {
      const [a, b] = resourcePair(pod);
      const fa = usedFraction(info, pod, a);
      const fb = usedFraction(info, pod, b);
      if (fa === undefined || fb === undefined) return fa === undefined && fb === undefined ? 0 : 100;
      return (1 - Math.abs(fa - fb) / 2) * 100;
    },
  };
}
