/**
 * A member cluster's spec — from the config file or a MemberCluster object — validated into the
 * ClusterPolicy the model uses. Every error names the field and what was wrong, so it can go
 * straight into a status condition or a startup error.
 */
import { isDNS1123Label, tryParseQuantity, toMilli, toUnits } from '../kube/index.js';
import type { ClusterPolicy, Taint } from './types.js';
import { DEFAULT_POLICY } from './types.js';


/** Where a member's credentials come from. */
export type MemberAccess =
  /** A kubeconfig Secret in the host cluster (MemberCluster). */
  | { kind: 'secret'; namespace: string; name: string; key: string; context?: string; /** Digest of the kubeconfig read (set by the registry): a rotated Secret restarts the member. */ digest?: string }
  /** A kubeconfig file and context (config file, CLI). */
  | { kind: 'file'; path: string; context?: string };

export interface MemberSpec {
  name: string;
  access: MemberAccess;
  policy: ClusterPolicy;
}

export type SpecResult = { ok: true; spec: MemberSpec } | { ok: false; errors: string[] };

const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses a spec object (MemberCluster `.spec`, or one entry of the config file's `members`).
 * `defaultKubeconfig`: the file a config-file entry without `kubeconfig` uses.
 */
export function parseMemberSpec(name: string, raw: unknown, opts: { prefix?: string; defaultKubeconfig?: string; defaultNamespace?: string } = {}): SpecResult {
  const p = opts.prefix ?? 'spec';
  const errors: string[] = [];
  if (isDNS1123Label(name).length > 0) errors.push(`metadata.name: "${name}" is not a DNS-1123 label`);
  if (!isObj(raw)) return { ok: false, errors: [...errors, `${p}: must be an object`] };

  // --- access
  let access: MemberAccess | undefined;
  const ref = raw['kubeconfigSecretRef'];
  const context = raw['context'];
  if (context !== undefined && typeof context !== 'string') errors.push(`${p}.context: must be a string`);
  if (ref !== undefined) {
    if (!isObj(ref)) errors.push(`${p}.kubeconfigSecretRef: must be an object with name (and namespace, key, context)`);
    else {
      const rn = ref['name'];
      const rns = ref['namespace'] ?? opts.defaultNamespace;
      const key = ref['key'] ?? 'kubeconfig';
      const ctx = ref['context'] ?? context;
      if (typeof rn !== 'string' || rn === '') errors.push(`${p}.kubeconfigSecretRef.name: required`);
      if (typeof rns !== 'string' || rns === '') errors.push(`${p}.kubeconfigSecretRef.namespace: required`);
      if (typeof key !== 'string' || key === '') errors.push(`${p}.kubeconfigSecretRef.key: must be a non-empty string`);
      if (ctx !== undefined && typeof ctx !== 'string') errors.push(`${p}.kubeconfigSecretRef.context: must be a string`);
      if (typeof rn === 'string' && typeof rns === 'string' && typeof key === 'string') {
        access = { kind: 'secret', namespace: rns, name: rn, key, ...(typeof ctx === 'string' ? { context: ctx } : {}) };
      }
    }
  } else {
    const file = raw['kubeconfig'] ?? opts.defaultKubeconfig;
    if (typeof file !== 'string' || file === '') errors.push(`${p}.kubeconfigSecretRef: required (or kubeconfig: a file)`);
    else access = { kind: 'file', path: file, context: typeof context === 'string' ? context : name };
  }

  // --- policy
  const policy: { -readonly [K in keyof ClusterPolicy]: ClusterPolicy[K] } = { ...DEFAULT_POLICY, headroom: {}, namespaces: { allow: [], deny: [] } };
  const num = (field: string, min: number, max: number, integer: boolean): number | undefined => {
    const v = raw[field];
    if (v === undefined) return undefined;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      errors.push(`${p}.${field}: must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return n;
  };
  const w = num('weight', 0, 1000, false);
  if (w !== undefined) policy.weight = w;
  const rt = num('reclaimThreshold', 0, 1, false);
  if (rt !== undefined) policy.reclaimThreshold = rt;
  const mp = num('maxPods', 0, 1_000_000, true);
  if (mp !== undefined) policy.maxPods = mp;
  const maxCpu = quantity(raw['maxCPU'] ?? raw['maxCpu'], `${p}.maxCPU`, 'cpu', errors);
  if (maxCpu !== undefined) policy.maxCpu = maxCpu;
  const paused = raw['paused'];
  if (paused !== undefined && typeof paused !== 'boolean') errors.push(`${p}.paused: must be true or false, got ${JSON.stringify(paused)}`);
  else if (paused !== undefined) policy.paused = paused;
  const hostNet = raw['allowHostNetwork'];
  if (hostNet !== undefined && typeof hostNet !== 'boolean') errors.push(`${p}.allowHostNetwork: must be true or false, got ${JSON.stringify(hostNet)}`);
  else if (hostNet !== undefined) policy.allowHostNetwork = hostNet;

  const labels = raw['labels'];
  if (labels !== undefined) {
    if (!isObj(labels) || !Object.values(labels).every((v) => typeof v === 'string')) errors.push(`${p}.labels: must map strings to strings`);
    else policy.labels = labels as Record<string, string>;
  }

  const taints = raw['taints'];
  if (taints !== undefined) {
    if (!Array.isArray(taints)) errors.push(`${p}.taints: must be a list`);
    else {
      const out: Taint[] = [];
      taints.forEach((t: unknown, i) => {
        if (!isObj(t) || typeof t['key'] !== 'string' || t['key'] === '') return void errors.push(`${p}.taints[${i}].key: required`);
        if (typeof t['effect'] !== 'string' || !EFFECTS.has(t['effect'])) return void errors.push(`${p}.taints[${i}].effect: must be NoSchedule, PreferNoSchedule or NoExecute, got ${JSON.stringify(t['effect'])}`);
        if (t['value'] !== undefined && typeof t['value'] !== 'string') return void errors.push(`${p}.taints[${i}].value: must be a string`);
        out.push({ key: t['key'], effect: t['effect'], ...(typeof t['value'] === 'string' ? { value: t['value'] } : {}) });
      });
      policy.taints = out;
    }
  }

  const hr = raw['headroom'];
  if (hr !== undefined) {
    if (!isObj(hr)) errors.push(`${p}.headroom: must be an object with fraction and/or cpu, memory`);
    else {
      const f = hr['fraction'];
      if (f !== undefined) {
        const n = typeof f === 'string' && f.trim() !== '' ? Number(f) : f;
        if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1) errors.push(`${p}.headroom.fraction: must be between 0 and 1, got ${JSON.stringify(f)}`);
        else policy.headroom = { ...policy.headroom, fraction: n };
      }
      const cpu = quantity(hr['cpu'], `${p}.headroom.cpu`, 'cpu', errors);
      if (cpu !== undefined) policy.headroom = { ...policy.headroom, cpu };
      const mem = quantity(hr['memory'], `${p}.headroom.memory`, 'memory', errors);
      if (mem !== undefined) policy.headroom = { ...policy.headroom, memory: mem };
    }
  }

  const ns = raw['namespaces'];
  if (ns !== undefined) {
    const list = (v: unknown, f: string): string[] => {
      if (v === undefined) return [];
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
        errors.push(`${p}.namespaces.${f}: must be a list of namespace names`);
        return [];
      }
      return v as string[];
    };
    if (!isObj(ns)) errors.push(`${p}.namespaces: must be an object with allow and/or deny lists`);
    else policy.namespaces = { allow: list(ns['allow'], 'allow'), deny: list(ns['deny'], 'deny') };
  }

  if (errors.length > 0 || !access) return { ok: false, errors };
  return { ok: true, spec: { name, access, policy } };
}

function quantity(v: unknown, field: string, resource: 'cpu' | 'memory', errors: string[]): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') {
    errors.push(`${field}: must be a quantity, got ${JSON.stringify(v)}`);
    return undefined;
  }
  const q = tryParseQuantity(v);
  if (!q) {
    errors.push(`${field}: "${v}" is not a valid quantity`);
    return undefined;
  }
  const n = resource === 'cpu' ? toMilli(q) : toUnits(q);
  if (n < 0) {
    errors.push(`${field}: must not be negative, got "${v}"`);
    return undefined;
  }
  return n;
}
