// cpuset strategy: online-exclusive pods on their own cores, online pods on the
// shared pool (minus the offline CPUs unless policy says share), offline pods on
// a reclaimable set from the far end that shrinks as online load rises.
// Pod and every container cgroup get the same set (v1 children must stay within
// their parent; the executor orders the writes).
import { allocateExclusive, selectOfflineCpus, sharedPool } from './cpu-allocation.js';
import { difference, formatCpuList, intersect } from './cpulist.js';
import type { CgroupValue } from './desired.js';
import type { PodCgroup } from './node-reader.js';
import { computeOfflineBudget, type OfflineBudget } from './offline-budget.js';
import type { IsolationPolicy } from './policy.js';
import type { CpuTopology } from './topology.js';

export interface CpuPlanInput {
  topology: CpuTopology;
  /** CPUs pods may use at all (kubepods' effective cpuset ∩ online CPUs). */
  allowedCpus: readonly number[];
  pods: readonly PodCgroup[];
  policy: IsolationPolicy;
  previousExclusive: ReadonlyMap<string, readonly number[]>;
  /** Current cpuset of each pod cgroup (adoption after restart). */
  currentCpusets: ReadonlyMap<string, readonly number[]>;
  /** Online (shared) + system CPU use, max over the window. */
  onlineUsageMilli: number;
}

export interface CpuPlan {
  exclusive: Map<string, number[]>;
  unsatisfied: { uid: string; wanted: number; reason: string }[];
  pool: number[];
  offlineCpus: number[];
  onlineCpus: number[];
  budget: OfflineBudget;
}

/** Below this share (%) of its cpuset's capacity, the offline quota no longer keeps online pods off its CPUs. */
export const OFFLINE_EXCLUSION_MIN_PERCENT = 25;

function offlineCpusCapacity(cpus: number): number {
  return cpus * 1000;
}

export function planCpus(i: CpuPlanInput): CpuPlan {
  const allowed = intersect(i.allowedCpus, i.topology.cpus.map((c) => c.id));
  const requests = i.pods
    .filter((p) => p.pod.tidepoolQos === 'online-exclusive')
    .map((p) => {
      const current = i.currentCpusets.get(p.pod.uid);
      return { uid: p.pod.uid, cpus: Math.ceil(p.pod.requests.cpuMilli / 1000), ...(current === undefined ? {} : { current }) };
    });
  const usable = difference(allowed, i.policy.reservedCpus);
  const minSharedCores = Math.max(1, Math.ceil(i.policy.minOnlineCpus / i.topology.threadsPerCore));
  const { assigned, unsatisfied } = allocateExclusive(i.topology, usable, requests, i.previousExclusive, minSharedCores);
  const pool = sharedPool(allowed, i.policy.reservedCpus, assigned.values());
  const budget = computeOfflineBudget({
    poolCpus: pool.length,
    threadsPerCore: i.topology.threadsPerCore,
    onlineUsageMilli: i.onlineUsageMilli,
    reclaimThresholdPercent: i.policy.reclaimThresholdPercent,
    minOnlineCpus: i.policy.minOnlineCpus,
  });
  const offlineCpus = selectOfflineCpus(i.topology, pool, budget.offlineCpus);
  // Keeping online pods off the offline CPUs only pays while offline work can really
  // use them. When its quota is down to a sliver of its cpuset (online load is high),
  // offline tasks are throttled (and SCHED_IDLE where the kernel has it), so online
  // pods get the whole pool back instead of queueing on the rest.
  const offlineBusy = budget.offlineMilli * 100 >= offlineCpusCapacity(budget.offlineCpus) * OFFLINE_EXCLUSION_MIN_PERCENT;
  const exclude = i.policy.onlineCpuset === 'exclude-offline' && !budget.overlapsOnline && offlineBusy;
  const hasOffline = i.pods.some((p) => p.pod.tidepoolQos === 'offline');
  const onlineCpus = exclude && hasOffline ? difference(pool, offlineCpus) : pool;
  return { exclusive: assigned, unsatisfied, pool, offlineCpus, onlineCpus: onlineCpus.length > 0 ? onlineCpus : pool, budget };
}

/** cpuset.cpus for each pod cgroup and all its children. */
export function cpusetValues(plan: CpuPlan, pods: readonly PodCgroup[]): CgroupValue[] {
  const out: CgroupValue[] = [];
  if (plan.pool.length === 0) return out; // nothing sane to write; the agent reports it
  for (const p of pods) {
    const cpus = plan.exclusive.get(p.pod.uid) ?? (p.pod.tidepoolQos === 'offline' ? plan.offlineCpus : plan.onlineCpus);
    if (cpus.length === 0) continue;
    const value = formatCpuList(cpus);
    out.push({ dir: p.dir, file: 'cpuset.cpus', value, strategy: 'cpuset' });
    for (const c of p.children) out.push({ dir: c.dir, file: 'cpuset.cpus', value, strategy: 'cpuset' });
  }
  return out;
}
