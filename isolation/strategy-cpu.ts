// CPU bandwidth strategy: offline pods are capped by a CFS quota equal to the
// offline budget (or their own batch-cpu limit when lower), get the lowest
// weight, and run SCHED_IDLE where the kernel has cpu.idle. Online pods keep
// what kubelet gave them.
import { qosTierDir, type CgroupLayout } from './cgroup-layout.js';
import type { CgroupValue } from './desired.js';
import type { PodCgroup } from './node-reader.js';
import type { IsolationPolicy } from './policy.js';

export interface CpuStrategyInput {
  layout: CgroupLayout;
  pods: readonly PodCgroup[];
  /** Offline budget in millicores (from the cpuset plan). */
  offlineMilli: number;
  policy: IsolationPolicy;
  /** CFS period per cgroup dir, µs (default 100000). */
  periods: ReadonlyMap<string, number>;
  /** The kernel exposes cpu.idle (Linux ≥ 5.15). */
  hasCpuIdle: boolean;
}

const MIN_QUOTA_US = 1000; // the kernel refuses smaller quotas

export function quotaUs(milli: number, periodUs: number): number {
  return Math.max(MIN_QUOTA_US, Math.round((milli * periodUs) / 1000));
}

function quotaValue(layout: CgroupLayout, milli: number, periodUs: number): { file: string; value: string } {
  const q = quotaUs(milli, periodUs);
  return layout.version === 'v1' ? { file: 'cpu.cfs_quota_us', value: String(q) } : { file: 'cpu.max', value: `${q} ${periodUs}` };
}

/**
 * v2 cpu.weight from v1 cpu.shares, the kernel/runc mapping:
 * 1 + ((shares − 2) × 9999) / 262142.
 */
export function sharesToWeight(shares: number): number {
  const s = Math.min(262144, Math.max(2, Math.round(shares)));
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

export function planCpu(i: CpuStrategyInput): CgroupValue[] {
  const { layout } = i;
  if (layout.mounts.cpu === null) return [];
  const out: CgroupValue[] = [];
  const offline = i.pods.filter((p) => p.pod.tidepoolQos === 'offline');
  const idle = i.policy.offlineCpuIdle && i.hasCpuIdle;
  for (const p of offline) {
    const own = p.pod.limits.batchCpuMilli ?? p.pod.limits.cpuMilli;
    const milli = own === null ? i.offlineMilli : Math.min(own, i.offlineMilli);
    const { file, value } = quotaValue(layout, milli, i.periods.get(p.dir) ?? 100_000);
    out.push({ dir: p.dir, file, value, strategy: 'cpu-quota' });
    if (idle) {
      // A SCHED_IDLE group rejects shares/weight writes (EINVAL), so weight is left alone.
      out.push({ dir: p.dir, file: 'cpu.idle', value: '1', strategy: 'cpu-idle' });
    } else if (layout.version === 'v1') {
      out.push({ dir: p.dir, file: 'cpu.shares', value: '2', strategy: 'cpu-weight' });
    } else {
      out.push({ dir: p.dir, file: 'cpu.weight', value: '1', strategy: 'cpu-weight' });
    }
  }

  // One cap for all offline pods together, where the besteffort tier holds only
  // offline pods and kubelet (cgroupfs driver) leaves the tier's quota alone.
  if (i.policy.offlineTierQuota && layout.driver === 'cgroupfs' && offline.length > 0) {
    const inTier = i.pods.filter((p) => p.tier === 'BestEffort');
    if (inTier.length > 0 && inTier.every((p) => p.pod.tidepoolQos === 'offline')) {
      const tier = qosTierDir(layout, 'BestEffort');
      const { file, value } = quotaValue(layout, i.offlineMilli, i.periods.get(tier) ?? 100_000);
      out.push({ dir: tier, file, value, strategy: 'cpu-tier-quota' });
    }
  }
  return out;
}
