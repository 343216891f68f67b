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
import { R_BATCH_CPU, R_BATCH_MEMORY, R_CPU, R_MEMORY } from '../node-info.js';
import { ROW_HAS_SAMPLE, ROW_NO_LOAD } from '../node-table.js';

export const LOAD_AWARE = 'LoadAware';

const POD_ESTIMATE = stateKey<Usage>(LOAD_AWARE);

export function loadAware(estimator: LoadEstimator, settings: NodeSettings, opts: { skipOfflineWhenPacking: () => boolean }): ScorePlugin & PreScorePlugin {
  const est: Usage & { measured: boolean } = { cpu: 0, memory: 0, measured: false };
  const score: ScorePlugin['score'] = (state, pod, info) => {
    const add = state.read(POD_ESTIMATE) ?? estimator.podEstimate(pod);
    estimator.estimate(info, state.now, settings.for(info).staleAfterSeconds * 1000, est);
    return headroom(est.cpu + add.cpu, est.memory + add.memory, info.allocCpu, info.allocMemory);
  };
  return {
    name: LOAD_AWARE,
    preScore(state, pod) {
      if (pod.qos === 'offline' && opts.skipOfflineWhenPacking()) return SKIP;
      state.write(POD_ESTIMATE, estimator.podEstimate(pod));
      return undefined;
    },
    score,
    scoreRows(state, pod, table, rows, count, out) {
      const add = state.read(POD_ESTIMATE) ?? estimator.podEstimate(pod);
      const { flags, sampledAt, loadCpu, loadMemory, placedCpu, placedMemory, alloc, used } = table;
      const now = state.now;
      for (let j = 0; j < count; j++) {
        const row = rows[j]!;
        const f = flags[row]!;
        if ((f & ROW_NO_LOAD) !== 0) {
          out[j] = score(state, pod, table.nodes[row]!);
          continue;
        }
        const fresh = (f & ROW_HAS_SAMPLE) !== 0 && now - sampledAt[row]! <= settings.staleAfterMsAt(table, row);
        // As LoadEstimator.estimate: the fresh sample plus placements since, else the requests.
        const cpu = fresh ? loadCpu[row]! + placedCpu[row]! : used[R_CPU]![row]! + used[R_BATCH_CPU]![row]!;
        const memory = fresh ? loadMemory[row]! + placedMemory[row]! : used[R_MEMORY]![row]! + used[R_BATCH_MEMORY]![row]!;
        out[j] = headroom(cpu + add.cpu, memory + add.memory, alloc[R_CPU]![row]!, alloc[R_MEMORY]![row]!);
      }
    },
  };
}

/** Mean free share of cpu and memory after the pod, 0..100 (resources the node has none of left out). */
function headroom(cpu: number, memory: number, cpuAlloc: number, memAlloc: number): number {
  let sum = 0;
  let n = 0;
  if (cpuAlloc > 0) {
    sum += Math.max(0, 1 - cpu / cpuAlloc);
    n++;
  }
  if (memAlloc > 0) {
    sum += Math.max(0, 1 - memory / memAlloc);
    n++;
  }
  return n > 0 ? (sum / n) * 100 : 0;
}
