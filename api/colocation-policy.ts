/**
 * The ColocationPolicy custom resource (cluster-scoped): how much of a node offline work may
 * use, when the scheduler stops sending it more and when it is evicted, with overrides per
 * node pool. validateColocationPolicy turns any object into a policy with every default filled
 * in, or into the list of what is wrong with it.
 *
 * All thresholds are percents of the node's allocatable (0..100), per resource.
 */

export const COLOCATION_POLICY_GROUP = 'tidepool.dev';
export const COLOCATION_POLICY_VERSION = 'v1alpha1';
export const COLOCATION_POLICY_KIND = 'ColocationPolicy';
export const COLOCATION_POLICY_PLURAL = 'colocationpolicies';

/**
 * How far the eviction threshold must sit above the scheduler's offline load threshold, in
 * percentage points. With no gap, a node just under the filter threshold takes an offline pod
 * whose first load spike crosses the eviction threshold, and the pod is evicted at once (and
 * rescheduled onto the same node: koordinator #2477).
 */
export const MIN_EVICTION_GAP_PERCENT = 10;

export interface ResourcePercents {
  cpu: number;
  memory: number;
}

export interface ColocationThresholds {
  /** batch capacity = allocatable × reclaimPercent − max(online usage over the window) − system usage. */
  reclaimPercent: ResourcePercents;
  /** The scheduler places no offline pod on a node whose measured usage is at or above this. */
  offlineLoadPercent: ResourcePercents;
  /** Offline pods are evicted while the node's usage stays above this; at least MIN_EVICTION_GAP_PERCENT above offlineLoadPercent. */
  evictionPercent: ResourcePercents;
}

/** Everything a component needs to act on one node. */
export interface ColocationSettings {
  thresholds: ColocationThresholds;
  /** Online usage is taken as its maximum over this window, so a dip does not lend capacity a burst needs back. */
  usageWindowSeconds: number;
  /** Load data older than this counts as missing: batch capacity drops to 0 rather than trusting it. */
  staleAfterSeconds: number;
}

/** A partial override for the nodes a selector picks. */
export interface NodePoolOverride {
  name: string;
  /** Node labels that must all match (as a pod's nodeSelector). */
  nodeSelector: Readonly<Record<string, string>>;
  thresholds?: { [K in keyof ColocationThresholds]?: Partial<ResourcePercents> };
  usageWindowSeconds?: number;
  staleAfterSeconds?: number;
}

export interface ColocationPolicySpec extends ColocationSettings {
  /** First matching pool wins. */
  nodePools: NodePoolOverride[];
}

export interface ColocationPolicy {
  name: string;
  spec: ColocationPolicySpec;
}

/** The settings a node gets and which pool (if any) they came from. */
export interface EffectiveColocation extends ColocationSettings {
  pool: string | null;
}

/** Frozen all the way down: every policy is merged from it, none may change it. */
export const DEFAULT_COLOCATION_SETTINGS: Readonly<ColocationSettings> = Object.freeze({
  thresholds: Object.freeze({
    reclaimPercent: Object.freeze({ cpu: 65, memory: 65 }),
    offlineLoadPercent: Object.freeze({ cpu: 65, memory: 80 }),
    evictionPercent: Object.freeze({ cpu: 80, memory: 90 }),
  }),
  usageWindowSeconds: 300,
  staleAfterSeconds: 120,
});

export type ColocationPolicyResult = { policy: ColocationPolicy; errors?: undefined } | { errors: string[]; policy?: undefined };

const THRESHOLD_KEYS = ['reclaimPercent', 'offlineLoadPercent', 'evictionPercent'] as const;
const RESOURCES = ['cpu', 'memory'] as const;
const SPEC_KEYS = new Set(['thresholds', 'usageWindowSeconds', 'staleAfterSeconds', 'nodePools']);
const POOL_KEYS = new Set(['name', 'nodeSelector', 'thresholds', 'usageWindowSeconds', 'staleAfterSeconds']);
/** A day: a longer window or staleness bound is a typo (seconds taken for minutes), not a policy. */
const MAX_SECONDS = 86_400;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a ColocationPolicy object (apiVersion/kind optional; when given they must be this
 * CRD's). Every error names the field, what it must be and what it was.
 */
export function validateColocationPolicy(obj: unknown): ColocationPolicyResult {
  const errors: string[] = [];
  if (!isObj(obj)) return { errors: ['must be an object (a ColocationPolicy)'] };

  const apiVersion = obj['apiVersion'];
  const wantVersion = `${COLOCATION_POLICY_GROUP}/${COLOCATION_POLICY_VERSION}`;
  if (apiVersion !== undefined && apiVersion !== wantVersion) errors.push(`apiVersion: must be ${wantVersion}, got ${JSON.stringify(apiVersion)}`);
  const kind = obj['kind'];
  if (kind !== undefined && kind !== COLOCATION_POLICY_KIND) errors.push(`kind: must be ${COLOCATION_POLICY_KIND}, got ${JSON.stringify(kind)}`);
  const meta = obj['metadata'];
  const name = isObj(meta) ? meta['name'] : undefined;
  if (typeof name !== 'string' || name === '') errors.push('metadata.name: required');

  const rawSpec = obj['spec'] ?? {};
  if (!isObj(rawSpec)) return { errors: [...errors, 'spec: must be an object'] };
  unknownKeys(rawSpec, SPEC_KEYS, 'spec', errors);

  const thresholds = readThresholds(rawSpec['thresholds'], 'spec.thresholds', errors);
  const base: ColocationSettings = {
    thresholds: mergeThresholds(DEFAULT_COLOCATION_SETTINGS.thresholds, thresholds),
    usageWindowSeconds: readSeconds(rawSpec['usageWindowSeconds'], 'spec.usageWindowSeconds', errors) ?? DEFAULT_COLOCATION_SETTINGS.usageWindowSeconds,
    staleAfterSeconds: readSeconds(rawSpec['staleAfterSeconds'], 'spec.staleAfterSeconds', errors) ?? DEFAULT_COLOCATION_SETTINGS.staleAfterSeconds,
  };
  checkGap(base.thresholds, 'spec.thresholds', errors);

  const nodePools: NodePoolOverride[] = [];
  const rawPools = rawSpec['nodePools'];
  if (rawPools !== undefined && !Array.isArray(rawPools)) errors.push('spec.nodePools: must be a list');
  const seen = new Set<string>();
  (Array.isArray(rawPools) ? rawPools : []).forEach((raw: unknown, i) => {
    const at = `spec.nodePools[${i}]`;
    if (!isObj(raw)) return void errors.push(`${at}: must be an object with name and nodeSelector`);
    unknownKeys(raw, POOL_KEYS, at, errors);
    const poolName = raw['name'];
    if (typeof poolName !== 'string' || poolName === '') errors.push(`${at}.name: required`);
    else if (seen.has(poolName)) errors.push(`${at}.name: "${poolName}" is used by an earlier pool`);
    else seen.add(poolName);
    const selector = raw['nodeSelector'];
    if (!isObj(selector) || Object.keys(selector).length === 0 || !Object.values(selector).every((v) => typeof v === 'string')) {
      errors.push(`${at}.nodeSelector: must map node label keys to values, at least one (an empty selector would pick every node)`);
    }
    const pool: NodePoolOverride = {
      name: typeof poolName === 'string' ? poolName : '',
      nodeSelector: isObj(selector) ? (selector as Record<string, string>) : {},
    };
    const t = readThresholds(raw['thresholds'], `${at}.thresholds`, errors);
    if (t !== undefined) pool.thresholds = t;
    const window = readSeconds(raw['usageWindowSeconds'], `${at}.usageWindowSeconds`, errors);
    if (window !== undefined) pool.usageWindowSeconds = window;
    const stale = readSeconds(raw['staleAfterSeconds'], `${at}.staleAfterSeconds`, errors);
    if (stale !== undefined) pool.staleAfterSeconds = stale;
    // The pool's thresholds are checked as the nodes will see them: merged onto the policy's.
    if (t !== undefined) checkGap(mergeThresholds(base.thresholds, t), `${at}.thresholds`, errors);
    nodePools.push(pool);
  });

  if (errors.length > 0) return { errors };
  return { policy: { name: name as string, spec: { ...base, nodePools } } };
}

/** The settings for a node with these labels: the first pool whose selector matches, merged onto the policy's own. */
export function colocationFor(spec: ColocationPolicySpec, nodeLabels: Readonly<Record<string, string>>): EffectiveColocation {
  const pool = spec.nodePools.find((p) => Object.entries(p.nodeSelector).every(([k, v]) => nodeLabels[k] === v));
  if (!pool) return { pool: null, thresholds: spec.thresholds, usageWindowSeconds: spec.usageWindowSeconds, staleAfterSeconds: spec.staleAfterSeconds };
  return {
    pool: pool.name,
    thresholds: mergeThresholds(spec.thresholds, pool.thresholds),
    usageWindowSeconds: pool.usageWindowSeconds ?? spec.usageWindowSeconds,
    staleAfterSeconds: pool.staleAfterSeconds ?? spec.staleAfterSeconds,
  };
}

function mergeThresholds(base: ColocationThresholds, over: NodePoolOverride['thresholds']): ColocationThresholds {
  const out = {} as ColocationThresholds;
  for (const k of THRESHOLD_KEYS) out[k] = { ...base[k], ...over?.[k] };
  return out;
}

function readThresholds(raw: unknown, at: string, errors: string[]): NodePoolOverride['thresholds'] {
  if (raw === undefined) return undefined;
  if (!isObj(raw)) {
    errors.push(`${at}: must be an object with ${THRESHOLD_KEYS.join(', ')}`);
    return undefined;
  }
  unknownKeys(raw, new Set(THRESHOLD_KEYS), at, errors);
  const out: NonNullable<NodePoolOverride['thresholds']> = {};
  for (const k of THRESHOLD_KEYS) {
    const r = raw[k];
    if (r === undefined) continue;
    if (!isObj(r)) {
      errors.push(`${at}.${k}: must be an object with cpu and/or memory percents`);
      continue;
    }
    unknownKeys(r, new Set(RESOURCES), `${at}.${k}`, errors);
    const percents: Partial<ResourcePercents> = {};
    for (const res of RESOURCES) {
      const v = r[res];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) errors.push(`${at}.${k}.${res}: must be a percent between 0 and 100, got ${JSON.stringify(v)}`);
      else percents[res] = v;
    }
    out[k] = percents;
  }
  return out;
}

function readSeconds(raw: unknown, at: string, errors: string[]): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > MAX_SECONDS) {
    errors.push(`${at}: must be a whole number of seconds between 1 and ${MAX_SECONDS}, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  return raw;
}

function checkGap(t: ColocationThresholds, at: string, errors: string[]): void {
  for (const res of RESOURCES) {
    const filter = t.offlineLoadPercent[res];
    const evict = t.evictionPercent[res];
    if (evict < filter + MIN_EVICTION_GAP_PERCENT) {
      errors.push(
        `${at}.evictionPercent.${res}: must be at least ${MIN_EVICTION_GAP_PERCENT} above offlineLoadPercent.${res} (${filter}), got ${evict}: ` +
          'a pod placed just under the load threshold would be evicted at once',
      );
    }
  }
}

function unknownKeys(obj: Obj, known: ReadonlySet<string>, at: string, errors: string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.has(k)) errors.push(`${at}.${k}: unknown field (known: ${[...known].join(', ')})`);
  }
}
