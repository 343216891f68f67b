/**
 * Least estimated load: prefers the node with the most room left after the pod, by measured
 * usage plus the estimate of pods placed since the sample (load-estimator.ts). CPU and memory
 * count equally; 0..100.
 */
import type { PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { SKIP } from '../framework/status.js';
import type { LoadEstimator, Usage } from '../load-estimator.js';
import type { NodeSettings } from '../policy.js';

export const LOAD_AWARE = 'LoadAware';

export function loadAware(estimator: LoadEstimator, settings: NodeSettings, opts: { skipOfflineWhenPacking: () => boolean }): ScorePlugin & PreScorePlugin {
  const est: Usage & { measured: boolean } = { cpu: 0, memory: 0, measured: false };
  return {
    name: LOAD_AWARE,
    preScore(_state, pod) {
      return pod.qos === 'offline' && opts.skipOfflineWhenPacking() ? SKIP : undefined;
    },
    score(_state, pod, info) {
      const node = info.node!;
      estimator.estimate(info, settings.for(node.labels).staleAfterSeconds * 1000, est);
      const add = estimator.podEstimate(pod);
      const cpuAlloc = node.allocatable['cpu'] ?? 0;
      const memAlloc = node.allocatable['memory'] ?? 0;
      let sum = 0;
      let n = 0;
      if (cpuAlloc > 0) {
        sum += Math.max(0, 1 - (est.cpu + add.cpu) / cpuAlloc);
        n++;
      }
      if (memAlloc > 0) {
        sum += Math.max(0, 1 - (est.memory + add.memory) / memAlloc);
        n++;
      }
      return n > 0 ? (sum / n) * 100 : 0;
    },
  };
}
