/**
 * Least estimated load: prefers the node with the most room left after the pod, by measured
 * usage plus the estimate of pods placed since the sample (load-estimator.ts). CPU and memory
 * count equally; 0..100.
 */
import { stateKey } from '../framework/cycle-state.js';
import type { PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { SKIP } from '../framework/status.js';
import type { LoadEstimator, Usage } from '../load-estimator.js';
import type { NodeSettings } from '../policy.js';

export const LOAD_AWARE = 'LoadAware';

const POD_ESTIMATE = stateKey<Usage>(LOAD_AWARE);

export function loadAware(estimator: LoadEstimator, settings: NodeSettings, opts: { skipOfflineWhenPacking: () => boolean }): ScorePlugin & PreScorePlugin {
  const est: Usage & { measured: boolean } = { cpu: 0, memory: 0, measured: false };
  return {
    name: LOAD_AWARE,
    preScore(state, pod) {
      if (pod.qos === 'offline' && opts.skipOfflineWhenPacking()) return SKIP;
      state.write(POD_ESTIMATE, estimator.podEstimate(pod));
      return undefined;
    },
    score(state, pod, info) {
      const add = state.read(POD_ESTIMATE) ?? estimator.podEstimate(pod);
      estimator.estimate(info, state.now, settings.for(info).staleAfterSeconds * 1000, est);
      const cpuAlloc = info.allocCpu;
      const memAlloc = info.allocMemory;
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
