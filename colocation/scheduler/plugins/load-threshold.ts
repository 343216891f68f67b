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
import { R_CPU, R_MEMORY } from '../node-info.js';
import { ROW_HAS_SAMPLE, ROW_NO_LOAD } from '../node-table.js';

export const LOAD_THRESHOLD = 'LoadThreshold';

const CPU_HOT: Status = unschedulable('node(s) had cpu usage at or above the offline load threshold');
const MEMORY_HOT: Status = unschedulable('node(s) had memory usage at or above the offline load threshold');
const BOTH_HOT: Status = unschedulable(CPU_HOT.reasons[0]!, MEMORY_HOT.reasons[0]!);
const SHEDDING: Status = unschedulable('node(s) had offline pods evicted for load recently');

export function loadThreshold(estimator: LoadEstimator, settings: NodeSettings): PreFilterPlugin & FilterPlugin {
  const filter: FilterPlugin['filter'] = (state, _pod, info) => {
    if (info.offlineBackoffUntil > state.now) return SHEDDING;
    const s = settings.for(info);
    const sample = estimator.measured(info, state.now, s.staleAfterSeconds * 1000);
    if (!sample) return undefined;
    const t = s.thresholds.offlineLoadPercent;
    return verdict(t.cpu, t.memory, sample.cpu, sample.memory, info.allocCpu, info.allocMemory);
  };
  return {
    name: LOAD_THRESHOLD,
    events: ['LoadSample', 'NodeChanged', 'NodeAdded'],
    preFilter(_state, pod) {
      return pod.qos === 'offline' ? undefined : SKIP;
    },
    filter,
    filterRows(state, pod, table, rows, count, out) {
      const { flags, offlineBackoffUntil, sampledAt, loadCpu, loadMemory, alloc, offlineCpuPercent, offlineMemoryPercent } = table;
      const now = state.now;
      for (let j = 0; j < count; j++) {
        const row = rows[j]!;
        if (offlineBackoffUntil[row]! > now) {
          out[j] = SHEDDING;
          continue;
        }
        const f = flags[row]!;
        if ((f & ROW_NO_LOAD) !== 0) {
          // First look at this node: filter() links its load state, and the row has it from then on.
          out[j] = filter(state, pod, table.nodes[row]!);
          continue;
        }
        if ((f & ROW_HAS_SAMPLE) === 0 || now - sampledAt[row]! > settings.staleAfterMsAt(table, row)) {
          out[j] = undefined;
          continue;
        }
        // staleAfterMsAt made the row's threshold columns current.
        out[j] = verdict(offlineCpuPercent[row]!, offlineMemoryPercent[row]!, loadCpu[row]!, loadMemory[row]!, alloc[R_CPU]![row]!, alloc[R_MEMORY]![row]!);
      }
    },
  };
}

/** Hot at or above cpuPercent / memoryPercent of the allocatable. */
function verdict(cpuPercent: number, memoryPercent: number, cpu: number, memory: number, cpuAlloc: number, memAlloc: number): Status | undefined {
  const cpuHot = cpuAlloc > 0 && cpu * 100 >= cpuPercent * cpuAlloc;
  const memHot = memAlloc > 0 && memory * 100 >= memoryPercent * memAlloc;
  if (cpuHot) return memHot ? BOTH_HOT : CPU_HOT;
  return memHot ? MEMORY_HOT : undefined;
}
