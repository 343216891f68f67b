/**
 * The scheduler's own settings (the ColocationPolicy holds the load thresholds; these are how
 * the scheduler works), their defaults, and validation that names the flag of a bad value, so
 * a typo fails at start with a message the user can act on, never later in a cycle.
 */
import type { ResourceAmounts } from '../../kube/index.js';
import { DEFAULT_ESTIMATION, type EstimationSettings } from './load-estimator.js';
import { DEFAULT_GANG_SETTINGS, type GangSettings } from './gang/spec.js';

export type OfflinePlacement = 'spread' | 'pack';

export interface SchedulerSettings {
  /** Share of nodes to find feasible before scoring (1..100); 0 = kube-scheduler's adaptive figure. */
  percentageOfNodesToScore: number;
  /** Offline pods: spread by least estimated load, or pack onto the most used nodes. */
  offlinePlacement: OfflinePlacement;
  /** An offline pod queued this long goes before online pods (anti-starvation bound). */
  offlineMaxWaitMs: number;
  /** Fair share by this pod label's value; by namespace when unset or absent on the pod. */
  tenantLabel: string | undefined;
  /** Share weights per tenant (default 1). */
  tenantWeights: Readonly<Record<string, number>>;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** A pod parked as unschedulable this long is tried again even without an event. */
  maxUnschedulableMs: number;
  /** Pods assumed and not yet bound (waiting at permit or for their binding) at once; the scheduling loop waits beyond it. */
  maxInFlightBindings: number;
  /**
   * Binding requests on the wire at once. With many in flight the API server answers many per
   * turn of its loop and both sides spend less CPU per binding (kube-scheduler binds each pod in
   * a goroutine of its own, bounded only by its client's rate limit): at 5,000 nodes, 8 bound
   * ~1,300 pods/s, 32 ~1,500, 64 ~1,550–1,600 (docs/BENCHMARKS.md). The client pools 96
   * connections (kube/transport.ts), so 32 stay for its watches, lease renewals and Event writes
   * during a burst of bindings.
   */
  bindingConcurrency: number;
  /** How long a written binding waits for the informer to confirm it. */
  assumeTtlMs: number;
  estimation: EstimationSettings;
  gang: GangSettings;
  /** Score plugin weights by plugin name (a plugin not named keeps its default). */
  scoreWeights: Readonly<Record<string, number>>;
  /** Plugins switched off by name (never the binder or the queue sort). */
  disabledPlugins: readonly string[];
  /** Write a Normal "Scheduled" Event per bound pod (kube-scheduler does). */
  scheduledEvents: boolean;
}

export const DEFAULT_SETTINGS: Readonly<SchedulerSettings> = Object.freeze({
  percentageOfNodesToScore: 0,
  offlinePlacement: 'spread',
  offlineMaxWaitMs: 60_000,
  tenantLabel: undefined,
  tenantWeights: {},
  backoffInitialMs: 1_000,
  backoffMaxMs: 10_000,
  maxUnschedulableMs: 60_000,
  maxInFlightBindings: 512,
  bindingConcurrency: 64,
  assumeTtlMs: 30_000,
  estimation: DEFAULT_ESTIMATION,
  gang: DEFAULT_GANG_SETTINGS,
  scoreWeights: {},
  disabledPlugins: [],
  scheduledEvents: true,
});

export class SchedulerConfigError extends Error {
  override readonly name = 'SchedulerConfigError';
}

export type SettingsInput = Partial<Omit<SchedulerSettings, 'estimation' | 'gang'>> & {
  estimation?: Partial<EstimationSettings>;
  gang?: Partial<GangSettings>;
};

/** Merges `input` onto the defaults and checks every value; throws SchedulerConfigError naming the flag. */
export function resolveSettings(input: SettingsInput = {}): SchedulerSettings {
  const s: SchedulerSettings = {
    ...DEFAULT_SETTINGS,
    ...definedOnly(input),
    estimation: { ...DEFAULT_ESTIMATION, ...definedOnly(input.estimation ?? {}) },
    gang: { ...DEFAULT_GANG_SETTINGS, ...definedOnly(input.gang ?? {}) },
  };
  const errors: string[] = [];
  const range = (flag: string, v: number, min: number, max: number, integer = false): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      errors.push(`--${flag}: must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
  };
  range('percentage-of-nodes-to-score', s.percentageOfNodesToScore, 0, 100);
  if (s.offlinePlacement !== 'spread' && s.offlinePlacement !== 'pack') errors.push(`--offline-placement: must be "spread" or "pack", got ${JSON.stringify(s.offlinePlacement)}`);
  range('offline-max-wait-ms', s.offlineMaxWaitMs, 1, 86_400_000);
  if (s.tenantLabel !== undefined && (typeof s.tenantLabel !== 'string' || s.tenantLabel === '')) errors.push(`--tenant-label: must be a label key, got ${JSON.stringify(s.tenantLabel)}`);
  for (const [t, w] of Object.entries(s.tenantWeights)) range(`tenant-weight (${t})`, w, 0.001, 1_000_000);
  range('backoff-initial-ms', s.backoffInitialMs, 1, 3_600_000);
  range('backoff-max-ms', s.backoffMaxMs, s.backoffInitialMs, 3_600_000);
  range('max-unschedulable-ms', s.maxUnschedulableMs, 1_000, 86_400_000);
  range('max-in-flight-bindings', s.maxInFlightBindings, 1, 100_000, true);
  range('binding-concurrency', s.bindingConcurrency, 1, 1_000, true);
  range('assume-ttl-ms', s.assumeTtlMs, 1_000, 3_600_000);
  range('estimate-cpu-factor', s.estimation.cpuFactor, 0.01, 1);
  range('estimate-memory-factor', s.estimation.memoryFactor, 0.01, 1);
  range('estimate-startup-grace-ms', s.estimation.startupGraceMs, 0, 3_600_000);
  range('gang-min-workers', s.gang.minWorkers, 0, 10_000, true);
  range('gang-reservation-timeout-ms', s.gang.reservationTimeoutMs, 100, 86_400_000);
  range('gang-permit-timeout-ms', s.gang.permitTimeoutMs, 100, 86_400_000);
  if (!isAmounts(s.gang.workerRequests)) errors.push(`--gang-worker-requests: must map resource names to non-negative integers, got ${JSON.stringify(s.gang.workerRequests)}`);
  for (const [p, w] of Object.entries(s.scoreWeights)) range(`score-weight (${p})`, w, 0, 100);
  if (!Array.isArray(s.disabledPlugins) || !s.disabledPlugins.every((p) => typeof p === 'string')) errors.push('--disable-plugins: must be a list of plugin names');
  if (errors.length > 0) throw new SchedulerConfigError(`invalid scheduler configuration: ${errors.join('; ')}`);
  return s;
}

function isAmounts(v: unknown): v is ResourceAmounts {
  return typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
