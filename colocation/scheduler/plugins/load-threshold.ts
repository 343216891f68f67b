/**
 * The load threshold: an offline pod skips nodes whose *measured* CPU or memory usage is at or
 * above the policy's offlineLoadPercent (per node pool), so batch work never lands where the
 * online services already need the machine. Online pods are not affected (they have first
 * claim). A node without a fresh sample passes: its batch resources, computed from the same
 * load data, already drop to zero when the data goes stale. A node the eviction controller just
 * shed offline pods from (its tidepool.dev/offline-evicted-until annotation) is skipped until
 * then, so an evicted pod never goes straight back (koordinator #2477).
 */
import type { FilterPlugin, PreFilterPlugin } from '../framework/interfaces.js';
import { SKIP, unschedulable, type Status } from '../framework/status.js';
import type { LoadEstimator } from '../load-estimator.js';
import type { NodeSettings } from '../policy.js';

export const LOAD_THRESHOLD = 'LoadThreshold';

const CPU_HOT: Status = unschedulable('node(s) had cpu usage at or above the offline load threshold');
const MEMORY_HOT: Status = unschedulable('node(s) had memory usage at or above the offline load threshold');
const BOTH_HOT: Status = unschedulable(CPU_HOT.reasons[0]!, MEMORY_HOT.reasons[0]!);
const SHEDDING: Status = unschedulable('node(s) had offline pods evicted for load recently');

export function loadThreshold(estimator: LoadEstimator, settings: NodeSettings): PreFilterPlugin & FilterPlugin {
  return {
    name: LOAD_THRESHOLD,
    events: ['LoadSample', 'NodeChanged', 'NodeAdded'],
    preFilter(_state, pod) {
      return pod.qos === 'offline' ? undefined : SKIP;
    },
    filter(state, _pod, info) {
      if (info.offlineBackoffUntil > state.now) return SHEDDING;
      const s = settings.for(info);
      const sample = estimator.measured(info, state.now, s.staleAfterSeconds * 1000);
      if (!sample) return undefined;
      const t = s.thresholds.offlineLoadPercent;
      const cpuAlloc = info.allocCpu;
      const memAlloc = info.allocMemory;
      const cpuHot = cpuAlloc > 0 && sample.cpu * 100 >= t.cpu * cpuAlloc;
      const memHot = memAlloc > 0 && sample.memory * 100 >= t.memory * memAlloc;
      if (cpuHot) return memHot ? BOTH_HOT : CPU_HOT;
      return memHot ? MEMORY_HOT : undefined;
    },
  };
}
