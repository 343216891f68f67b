/**
 * Packing of offline pods, when the scheduler's policy says `offlinePlacement: pack`: prefers
 * the node whose (batch) room is already most used, so offline work fills few nodes and leaves
 * whole nodes free for online bursts. Skipped for online pods and in spread mode.
 */
import { stateKey } from '../framework/cycle-state.js';
import type { PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { SKIP } from '../framework/status.js';
import { podShape, rateByUsedFractions, type PodShape } from './resource-shape.js';

export const OFFLINE_PACKING = 'OfflinePacking';

const SHAPE = stateKey<PodShape>(OFFLINE_PACKING);

export function offlinePacking(packing: () => boolean): ScorePlugin & PreScorePlugin {
  return {
    name: OFFLINE_PACKING,
    preScore(state, pod) {
      if (pod.qos !== 'offline' || !packing()) return SKIP;
      state.write(SHAPE, podShape(pod));
      return undefined;
    },
    ...rateByUsedFractions(SHAPE, fullness),
  };
}

/** Mean used share of the two resources after the pod, 0..100 (a resource the node lacks left out). */
function fullness(fa: number, fb: number): number {
  let sum = 0;
  let n = 0;
  if (!Number.isNaN(fa)) {
    sum += fa;
    n++;
  }
  if (!Number.isNaN(fb)) {
    sum += fb;
    n++;
  }
  return n > 0 ? (sum / n) * 100 : 0;
}
