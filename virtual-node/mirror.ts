/**
 * The mirror of a host pod: what crosses into a member cluster, built from an allowlist of spec
 * fields (never by stripping a few), with a deterministic name and the origin annotations that
 * make ownership provable. Pure: a host pod in, a mirror (or the reason there is none) out.
 *
 * What never crosses: nodeName, ownerReferences, uid, resourceVersion, finalizers, status, the
 * host's service-account token volumes, the scheduler name and priority value (the member decides
 * them), readiness gates (they name host conditions), the virtual node's own toleration (a
 * member's virtual node must never take the mirror back).
 */
import { createHash } from 'node:crypto';
import {
  MANAGED_BY_LABEL,
  ORIGIN_CLUSTER_ANNOTATION,
  ORIGIN_CLUSTER_LABEL,
  ORIGIN_NAME_ANNOTATION,
  ORIGIN_NAMESPACE_ANNOTATION,
  ORIGIN_UID_ANNOTATION,
  isVirtualNodeToleration,
} from '../api/index.js';

type Obj = Record<string, unknown>;

/** A pod as JSON (the host informer keeps whole objects). */
export interface PodJson {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind?: string; name?: string; apiVersion?: string; controller?: boolean }>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    resourceVersion?: string;
    [k: string]: unknown;
  };
  spec?: Obj;
  status?: Obj;
}

/** Objects a pod references that must exist beside its mirror. */
export interface PodReferences {
  configMaps: string[];
  secrets: string[];
  serviceAccount: string | undefined;
}

export interface MirrorOptions {
  /** The host cluster's id (origin-cluster). */
  hostCluster: string;
  /** The virtual node's name (managed-by). */
  nodeName: string;
  /** The member's policy allows hostNetwork. */
  allowHostNetwork: boolean;
  /** Priority classes known to exist in the member (priorityClassName crosses only for these). */
  memberPriorityClasses?: ReadonlySet<string>;
  /**
   * Host API access for the pod (a service-account token Secret in the member namespace): mounted
   * at the standard path, KUBERNETES_SERVICE_HOST/PORT pointed at the host API.
   */
  hostApi?: { secretName: string; host: string; port: number };
}

export type MirrorResult =
  | { ok: true; pod: PodJson; refs: PodReferences; dropped: string[] }
  | { ok: false; reason: string; message: string };

/** Where a service-account token is mounted in every container. */
export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Spec fields that cross as they are. */
const SPEC_ALLOWLIST = [
  'activeDeadlineSeconds',
  'affinity',
  'dnsConfig',
  'dnsPolicy',
  'enableServiceLinks',
  'hostAliases',
  'hostname',
  'nodeSelector',
  'os',
  'restartPolicy',
  'securityContext',
  'setHostnameAsFQDN',
  'shareProcessNamespace',
  'subdomain',
  'terminationGracePeriodSeconds',
  'topologySpreadConstraints',
] as const;

/** Volume sources that make sense in another cluster: the data comes along or is local. */
const VOLUME_TYPES = new Set(['emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected']);

/** Metadata annotations that describe the host object, not the workload. */
const DROPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

/**
 * The mirror's name: the host name, cut to leave room, and a hash of (host cluster, namespace,
 * name, uid). The same host pod always gets the same name (a restart never makes a duplicate);
 * a new pod under an old name gets a new one (the old mirror is garbage, not ours to reuse).
 */
export function mirrorName(hostCluster: string, pod: PodJson): string {
  const m = pod.metadata ?? {};
  const hash = createHash('sha256').update(`${hostCluster}\0${m.namespace ?? 'default'}\0${m.name ?? ''}\0${m.uid ?? ''}`).digest('hex').slice(0, 10);
  const base = (m.name ?? 'pod').slice(0, 52).replace(/[-.]+$/, '');
  return `${base}-${hash}`;
}

export function hostKeyOf(pod: PodJson): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

/** True when a controller that runs one pod per node (a DaemonSet) owns the pod. */
export function isDaemonSetPod(pod: PodJson): boolean {
  return (pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet' && o.controller === true);
}

export function isTerminal(phase: unknown): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

const isRecord = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/** A projected volume that carries a service-account token (the host's kube-api-access-*). */
function isTokenVolume(v: Obj): boolean {
  const projected = v['projected'];
  return isRecord(projected) && arr(projected['sources']).some((s) => s['serviceAccountToken'] !== undefined);
}

/** ConfigMaps, Secrets and the ServiceAccount a pod spec refers to. */
export function referencesOf(spec: Obj): PodReferences {
  const cms = new Set<string>();
  const secrets = new Set<string>();
  for (const v of arr(spec['volumes'])) {
    if (isTokenVolume(v)) continue;
    const cm = v['configMap'];
    if (isRecord(cm) && typeof cm['name'] === 'string') cms.add(cm['name']);
    const s = v['secret'];
    if (isRecord(s) && typeof s['secretName'] === 'string') secrets.add(s['secretName']);
    const p = v['projected'];
    if (isRecord(p)) {
      for (const src of arr(p['sources'])) {
        const pc = src['configMap'];
        if (isRecord(pc) && typeof pc['name'] === 'string') cms.add(pc['name']);
        const ps = src['secret'];
        if (isRecord(ps) && typeof ps['name'] === 'string') secrets.add(ps['name']);
      }
    }
  }
  for (const c of [...arr(spec['initContainers']), ...arr(spec['containers'])]) {
    for (const e of arr(c['env'])) {
      const from = e['valueFrom'];
      if (!isRecord(from)) continue;
      const cmk = from['configMapKeyRef'];
      if (isRecord(cmk) && typeof cmk['name'] === 'string') cms.add(cmk['name']);
      const sk = from['secretKeyRef'];
      if (isRecord(sk) && typeof sk['name'] === 'string') secrets.add(sk['name']);
    }
    for (const e of arr(c['envFrom'])) {
      const cm = e['configMapRef'];
      if (isRecord(cm) && typeof cm['name'] === 'string') cms.add(cm['name']);
      const s = e['secretRef'];
      if (isRecord(s) && typeof s['name'] === 'string') secrets.add(s['name']);
    }
  }
  for (const ps of arr(spec['imagePullSecrets'])) if (typeof ps['name'] === 'string') secrets.add(ps['name']);
  const sa = typeof spec['serviceAccountName'] === 'string' && spec['serviceAccountName'] !== '' ? spec['serviceAccountName'] : undefined;
  return { configMaps: [...cms].sort(), secrets: [...secrets].sort(), serviceAccount: sa };
}

/** True when the host pod mounts a service-account token (it wants to talk to the host API). */
export function wantsHostApi(spec: Obj): boolean {
  return arr(spec['volumes']).some(isTokenVolume);
}

/**
 * The pod as a member cluster should see it: the terms that chose the *virtual* node (a
 * nodeSelector or required node-affinity expression on one of its labels, a matchFields on its
 * name) are dropped — they were satisfied on the host and mean nothing among member nodes — and
 * everything else the user asked for stays, for placement and the mirror alike.
 */
export function forMember(pod: PodJson, virtualNodeLabels: Readonly<Record<string, string>>): PodJson {
  const spec = pod.spec;
  if (!isRecord(spec)) return pod;
  const ours = (key: unknown): boolean => typeof key === 'string' && key in virtualNodeLabels;
  const out: Obj = { ...spec };
  const sel = spec['nodeSelector'];
  if (isRecord(sel)) {
    const kept = Object.fromEntries(Object.entries(sel).filter(([k]) => !ours(k)));
    if (Object.keys(kept).length > 0) out['nodeSelector'] = kept;
    else delete out['nodeSelector'];
  }
  const affinity = spec['affinity'];
  const nodeAffinity = isRecord(affinity) ? affinity['nodeAffinity'] : undefined;
  const required = isRecord(nodeAffinity) ? nodeAffinity['requiredDuringSchedulingIgnoredDuringExecution'] : undefined;
  if (isRecord(affinity) && isRecord(nodeAffinity) && isRecord(required)) {
    const terms = arr(required['nodeSelectorTerms']).map((t) => {
      const term: Obj = {};
      const exprs = arr(t['matchExpressions']).filter((e) => !ours(e['key']));
      const fields = arr(t['matchFields']).filter((f) => f['key'] !== 'metadata.name');
      if (exprs.length > 0) term['matchExpressions'] = exprs;
      if (fields.length > 0) term['matchFields'] = fields;
      return term;
    });
    // A term left empty matched only the virtual node: it no longer constrains anything, and
    // (terms being ORed) neither does the whole requirement.
    const na: Obj = { ...nodeAffinity };
    if (terms.some((t) => Object.keys(t).length === 0) || terms.length === 0) delete na['requiredDuringSchedulingIgnoredDuringExecution'];
    else na['requiredDuringSchedulingIgnoredDuringExecution'] = { ...required, nodeSelectorTerms: terms };
    const aff: Obj = { ...affinity, nodeAffinity: na };
    if (Object.keys(na).length === 0) delete aff['nodeAffinity'];
    if (Object.keys(aff).length > 0) out['affinity'] = aff;
    else delete out['affinity'];
  }
  return { ...pod, spec: out };
}

/** Builds the mirror of `pod` for a member cluster, or says why it cannot cross. */
export function buildMirror(pod: PodJson, opts: MirrorOptions): MirrorResult {
  const meta = pod.metadata ?? {};
  const spec = pod.spec;
  if (!meta.name || !meta.uid) return { ok: false, reason: 'InvalidPod', message: 'the pod has no name or uid' };
  if (!isRecord(spec) || arr(spec['containers']).length === 0) return { ok: false, reason: 'InvalidPod', message: 'the pod has no containers' };
  if (spec['hostPID'] === true || spec['hostIPC'] === true) {
    return { ok: false, reason: 'UnsupportedSpec', message: 'hostPID and hostIPC do not cross to a member cluster' };
  }
  if (spec['hostNetwork'] === true && !opts.allowHostNetwork) {
    return { ok: false, reason: 'HostNetworkNotAllowed', message: 'the pod asks for hostNetwork, which the chosen member cluster\'s policy does not allow (MemberCluster spec.allowHostNetwork)' };
  }
  const dropped: string[] = [];
  const volumes: Obj[] = [];
  const droppedVolumes = new Set<string>();
  for (const v of arr(spec['volumes'])) {
    const name = String(v['name'] ?? '');
    if (isTokenVolume(v)) {
      droppedVolumes.add(name);
      continue;
    }
    const type = Object.keys(v).find((k) => k !== 'name');
    if (!type || !VOLUME_TYPES.has(type)) {
      return { ok: false, reason: 'UnsupportedVolume', message: `volume "${name}" of type ${type ?? 'unknown'} cannot cross to a member cluster (supported: ${[...VOLUME_TYPES].join(', ')})` };
    }
    volumes.push(structuredClone(v));
  }
  const out: Obj = {};
  for (const k of SPEC_ALLOWLIST) if (spec[k] !== undefined) out[k] = structuredClone(spec[k]);
  if (spec['hostNetwork'] === true) {
    out['hostNetwork'] = true;
    if (out['dnsPolicy'] === undefined) out['dnsPolicy'] = 'ClusterFirstWithHostNet';
  }
  const tolerations = arr(spec['tolerations']).filter((t) => !isVirtualNodeToleration(t as { key?: string }));
  if (tolerations.length > 0) out['tolerations'] = structuredClone(tolerations);
  const refs = referencesOf(spec);
  if (refs.serviceAccount !== undefined) out['serviceAccountName'] = refs.serviceAccount;
  // The member's own token would authenticate to the member; the pod wants its host identity.
  out['automountServiceAccountToken'] = false;
  const pullSecrets = arr(spec['imagePullSecrets']);
  if (pullSecrets.length > 0) out['imagePullSecrets'] = structuredClone(pullSecrets);
  const pc = spec['priorityClassName'];
  if (typeof pc === 'string' && pc !== '') {
    if (opts.memberPriorityClasses?.has(pc)) out['priorityClassName'] = pc;
    else dropped.push(`priorityClassName ${pc} (no such PriorityClass in the member cluster)`);
  }
  const hostApi = opts.hostApi && wantsHostApi(spec) ? opts.hostApi : undefined;
  if (hostApi) {
    volumes.push({
      name: 'tidepool-host-api',
      secret: { secretName: hostApi.secretName, defaultMode: 0o644, items: [{ key: 'token', path: 'token' }, { key: 'ca.crt', path: 'ca.crt' }, { key: 'namespace', path: 'namespace' }] },
    });
  }
  const container = (c: Obj): Obj => {
    const copy = structuredClone(c);
    const mounts = arr(copy['volumeMounts']).filter((m) => !droppedVolumes.has(String(m['name'])) && !(hostApi && m['mountPath'] === SERVICE_ACCOUNT_MOUNT));
    if (hostApi) {
      mounts.push({ name: 'tidepool-host-api', mountPath: SERVICE_ACCOUNT_MOUNT, readOnly: true });
      const env = arr(copy['env']).filter((e) => e['name'] !== 'KUBERNETES_SERVICE_HOST' && e['name'] !== 'KUBERNETES_SERVICE_PORT');
      env.push({ name: 'KUBERNETES_SERVICE_HOST', value: hostApi.host }, { name: 'KUBERNETES_SERVICE_PORT', value: String(hostApi.port) });
      copy['env'] = env;
    }
    if (mounts.length > 0) copy['volumeMounts'] = mounts;
    else delete copy['volumeMounts'];
    return copy;
  };
  out['containers'] = arr(spec['containers']).map(container);
  const inits = arr(spec['initContainers']);
  if (inits.length > 0) out['initContainers'] = inits.map(container);
  if (volumes.length > 0) out['volumes'] = volumes;

  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.annotations ?? {})) if (!DROPPED_ANNOTATIONS.has(k)) annotations[k] = v;
  annotations[ORIGIN_CLUSTER_ANNOTATION] = opts.hostCluster;
  annotations[ORIGIN_NAMESPACE_ANNOTATION] = meta.namespace ?? 'default';
  annotations[ORIGIN_NAME_ANNOTATION] = meta.name;
  annotations[ORIGIN_UID_ANNOTATION] = meta.uid;
  const mirror: PodJson = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: mirrorName(opts.hostCluster, pod),
      namespace: meta.namespace ?? 'default',
      labels: { ...(meta.labels ?? {}), [MANAGED_BY_LABEL]: opts.nodeName, [ORIGIN_CLUSTER_LABEL]: opts.hostCluster },
      annotations,
    },
    spec: out,
  };
  return { ok: true, pod: mirror, refs, dropped };
}

/** The origin of a member object, read from its annotations; undefined when it is not a mirror of `hostCluster`'s. */
export function originOf(obj: { metadata?: { annotations?: Record<string, string> } }, hostCluster: string): { namespace: string; name: string; uid: string } | undefined {
  const a = obj.metadata?.annotations;
  if (!a || a[ORIGIN_CLUSTER_ANNOTATION] !== hostCluster) return undefined;
  const namespace = a[ORIGIN_NAMESPACE_ANNOTATION];
  const name = a[ORIGIN_NAME_ANNOTATION];
  const uid = a[ORIGIN_UID_ANNOTATION];
  if (!namespace || !name || !uid) return undefined;
  return { namespace, name, uid };
}
