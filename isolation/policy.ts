// Isolation policy: the knobs an operator sets, with validation that names the flag.

export type OnlineCpusetMode = 'exclude-offline' | 'shared';
export type MemoryProtectionMode = 'low' | 'min' | 'none';

export interface IsolationPolicy {
  /** Share (%) of the shared CPU pool that online + offline together may use; offline gets what online leaves. */
  reclaimThresholdPercent: number;
  /** CPUs always left to online pods in the shared pool. */
  minOnlineCpus: number;
  /** 'exclude-offline': online pods do not run on the offline CPUs; 'shared': they may. */
  onlineCpuset: OnlineCpusetMode;
  /** CPUs kept away from every pod (system daemons). */
  reservedCpus: number[];
  /** Put offline pod cgroups in SCHED_IDLE (cpu.idle=1) where the kernel has it. */
  offlineCpuIdle: boolean;
  /** Also cap the besteffort tier (cgroupfs driver, tier holding only offline pods). */
  offlineTierQuota: boolean;
  /** Number of samples over which the max online usage is taken (growth waits this long, shrink is immediate). */
  usageWindow: number;
  offlineL3Percent: number;
  offlineMbPercent: number;
  onlineL3Percent: number;
  onlineMbPercent: number;
  /** How online memory requests are protected on cgroup v2. online-exclusive always uses memory.min. */
  memoryProtection: MemoryProtectionMode;
  /** Offline memory.high as a % of the pod's (batch-)memory limit. */
  offlineMemoryHighPercent: number;
  offlineOomScoreAdj: number;
  /** Evict offline pods when node memory use passes this % ... */
  evictMemoryThresholdPercent: number;
  /** ... until it is back under this %. */
  evictMemoryLowerPercent: number;
  /** Do not ask to evict the same pod again within this time. */
  evictCooldownMs: number;
  /** At most this many evictions per reconcile. */
  maxEvictionsPerCycle: number;
}

export const DEFAULT_POLICY: Readonly<IsolationPolicy> = Object.freeze({
  reclaimThresholdPercent: 65,
  minOnlineCpus: 1,
  onlineCpuset: 'exclude-offline',
  reservedCpus: [],
  offlineCpuIdle: true,
  offlineTierQuota: true,
  usageWindow: 5,
  offlineL3Percent: 30,
  offlineMbPercent: 30,
  onlineL3Percent: 100,
  onlineMbPercent: 100,
  memoryProtection: 'low',
  offlineMemoryHighPercent: 90,
  offlineOomScoreAdj: 1000,
  evictMemoryThresholdPercent: 90,
  evictMemoryLowerPercent: 85,
  evictCooldownMs: 60_000,
  maxEvictionsPerCycle: 2,
}) as IsolationPolicy;

/** The command-line flag that sets each numeric/enum policy field (for error messages). */
export const POLICY_FLAGS: Readonly<Record<keyof IsolationPolicy, string>> = {
  reclaimThresholdPercent: '--reclaim-threshold-percent',
  minOnlineCpus: '--min-online-cpus',
  onlineCpuset: '--online-cpuset',
  reservedCpus: '--reserved-cpus',
  offlineCpuIdle: '--offline-cpu-idle',
  offlineTierQuota: '--offline-tier-quota',
  usageWindow: '--usage-window',
  offlineL3Percent: '--offline-l3-percent',
  offlineMbPercent: '--offline-mb-percent',
  onlineL3Percent: '--online-l3-percent',
  onlineMbPercent: '--online-mb-percent',
  memoryProtection: '--memory-protection',
  offlineMemoryHighPercent: '--offline-memory-high-percent',
  offlineOomScoreAdj: '--offline-oom-score-adj',
  evictMemoryThresholdPercent: '--evict-memory-threshold-percent',
  evictMemoryLowerPercent: '--evict-memory-lower-percent',
  evictCooldownMs: '--evict-cooldown-seconds',
  maxEvictionsPerCycle: '--max-evictions-per-cycle',
};

export interface PolicyError {
  field: keyof IsolationPolicy;
  flag: string;
  message: string;
}

function intIn(errors: PolicyError[], p: IsolationPolicy, field: keyof IsolationPolicy, lo: number, hi: number): void {
  const v = p[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    const flag = POLICY_FLAGS[field];
    errors.push({ field, flag, message: `${flag} must be an integer between ${lo} and ${hi}, got ${String(v)}` });
  }
}

/** Check every field; returns all problems (empty when valid). */
export function validatePolicy(p: IsolationPolicy): PolicyError[] {
  const errors: PolicyError[] = [];
  intIn(errors, p, 'reclaimThresholdPercent', 0, 100);
  intIn(errors, p, 'minOnlineCpus', 1, 4096);
  intIn(errors, p, 'usageWindow', 1, 1000);
  intIn(errors, p, 'offlineL3Percent', 1, 100);
  intIn(errors, p, 'offlineMbPercent', 1, 100);
  intIn(errors, p, 'onlineL3Percent', 1, 100);
  intIn(errors, p, 'onlineMbPercent', 1, 100);
  intIn(errors, p, 'offlineMemoryHighPercent', 1, 100);
  intIn(errors, p, 'offlineOomScoreAdj', -1000, 1000);
  intIn(errors, p, 'evictMemoryThresholdPercent', 1, 100);
  intIn(errors, p, 'evictMemoryLowerPercent', 1, 100);
  intIn(errors, p, 'evictCooldownMs', 0, 24 * 3600 * 1000);
  intIn(errors, p, 'maxEvictionsPerCycle', 0, 1000);
  if (
    Number.isInteger(p.evictMemoryLowerPercent) &&
    Number.isInteger(p.evictMemoryThresholdPercent) &&
    p.evictMemoryLowerPercent >= p.evictMemoryThresholdPercent
  ) {
    errors.push({
      field: 'evictMemoryLowerPercent',
      flag: POLICY_FLAGS.evictMemoryLowerPercent,
      message: `${POLICY_FLAGS.evictMemoryLowerPercent} (${p.evictMemoryLowerPercent}) must be below ${POLICY_FLAGS.evictMemoryThresholdPercent} (${p.evictMemoryThresholdPercent})`,
    });
  }
  if (p.onlineCpuset !== 'exclude-offline' && p.onlineCpuset !== 'shared') {
    errors.push({ field: 'onlineCpuset', flag: POLICY_FLAGS.onlineCpuset, message: `${POLICY_FLAGS.onlineCpuset} must be "exclude-offline" or "shared", got "${String(p.onlineCpuset)}"` });
  }
  if (p.memoryProtection !== 'low' && p.memoryProtection !== 'min' && p.memoryProtection !== 'none') {
    errors.push({ field: 'memoryProtection', flag: POLICY_FLAGS.memoryProtection, message: `${POLICY_FLAGS.memoryProtection} must be "low", "min" or "none", got "${String(p.memoryProtection)}"` });
  }
  if (!Array.isArray(p.reservedCpus) || p.reservedCpus.some((c) => !Number.isInteger(c) || c < 0)) {
    errors.push({ field: 'reservedCpus', flag: POLICY_FLAGS.reservedCpus, message: `${POLICY_FLAGS.reservedCpus} must be a CPU list like "0-1,8"` });
  }
  return errors;
}

export class PolicyValidationError extends Error {
  override readonly name = 'PolicyValidationError';
  constructor(readonly errors: PolicyError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/** Merge over the defaults and validate; throws PolicyValidationError naming each bad flag. */
export function makePolicy(overrides: Partial<IsolationPolicy> = {}): IsolationPolicy {
  const p: IsolationPolicy = { ...DEFAULT_POLICY, reservedCpus: [...DEFAULT_POLICY.reservedCpus], ...overrides };
  const errors = validatePolicy(p);
  if (errors.length > 0) throw new PolicyValidationError(errors);
  return p;
}
