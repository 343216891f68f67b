/**
 * Packing of offline pods, when the scheduler's policy says `offlinePlacement: pack`: prefers
 * the node whose (batch) room is already most used, so offline work fills few nodes and leaves
 * whole nodes free for online bursts. Skipped for online pods and in spread mode.
 */
import type { PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { SKIP } from '../framework/status.js';
import { resourcePair, usedFraction } from './resource-shape.js';

export const OFFLINE_PACKING = 'OfflinePacking';

export function offlinePacking(packing: () => boolean): ScorePlugin & PreScorePlugin {
  return {
    name: OFFLINE_PACKING,
    preScore(_state, pod) {
      return pod.qos === 'offline' && packing() ? undefined : SKIP;
    },
    score(_state, pod, info) {
      let sum = 0;
      let n = 0;
      for (const r of resourcePair(pod)) {
        const f = usedFraction(info, pod, r);
        if (f === undefined) continue;
        sum += f;
        n++;
      }
      return n > 0 ? (sum / n) * 100 : 0;
    },
  };
}
