// How much CPU offline pods may have right now:
//   offline = pool × threshold − online usage (max over the recent window)
// rounded up to whole cores for the cpuset, capped for the quota, and never
// taking the last `minOnlineCpus` CPUs of the pool from online pods.

export interface OfflineBudgetInput {
  /** CPUs in the shared pool (excludes reserved and exclusive CPUs). */
  poolCpus: number;
  threadsPerCore: number;
  /** Online (shared) + system CPU use, max over the usage window, millicores. */
  onlineUsageMilli: number;
  reclaimThresholdPercent: number;
  minOnlineCpus: number;
}

export interface OfflineBudget {
  /** CPU time offline pods may use in total (the quota), millicores. */
  offlineMilli: number;
  /** CPUs in the offline cpuset (whole cores; at least one core, since a cpuset cannot be empty). */
  offlineCpus: number;
  /** True when the pool is too small to keep online and offline apart. */
  overlapsOnline: boolean;
}

export function computeOfflineBudget(i: OfflineBudgetInput): OfflineBudget {
  const tpc = Math.max(1, i.threadsPerCore);
  const poolMilli = i.poolCpus * 1000;
  const allowedMilli = Math.max(0, Math.floor((poolMilli * i.reclaimThresholdPercent) / 100) - Math.max(0, i.onlineUsageMilli));
  const maxCores = Math.floor(Math.max(0, i.poolCpus - i.minOnlineCpus) / tpc);
  const overlapsOnline = maxCores < 1;
  const wantCores = Math.ceil(Math.ceil(allowedMilli / 1000) / tpc);
  const cores = overlapsOnline ? 1 : Math.min(maxCores, Math.max(1, wantCores));
  const offlineCpus = Math.min(i.poolCpus, cores * tpc);
  return { offlineMilli: Math.min(allowedMilli, offlineCpus * 1000), offlineCpus, overlapsOnline };
}
