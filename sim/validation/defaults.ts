// Defaulting as kube-apiserver does it on every write (the SetDefaults_* functions of
// k8s.io/kubernetes/pkg/apis/*/v1 plus the admission plugins that add fields users then
// see: DefaultTolerationSeconds, Priority's preemptionPolicy, ServiceAccount's name).
// Pod status, priority and namespace finalizers are set by sim/kinds.ts hooks; this module
// does not repeat them.
import { createHash } from 'node:crypto';
import { childRecord, isRecord, type KubeObject } from '../object.js';
import { EXTRA_DEFAULTERS } from './defaults-extra.js';

type Obj = Record<string, unknown>;

export type Defaulter = (obj: KubeObject, create: boolean) => void;

const rec = childRecord;

function setIfAbsent(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function records(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

// ---------------------------------------------------------------- pods

/** "Always" for :latest or no tag, else "IfNotPresent" (a digest counts as a tag). */
export function defaultPullPolicy(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return 'Always';
  return image.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: unknown): void {
  if (!isRecord(p)) return;
  setIfAbsent(p, 'timeoutSeconds', 1);
  setIfAbsent(p, 'periodSeconds', 10);
  setIfAbsent(p, 'successThreshold', 1);
  setIfAbsent(p, 'failureThreshold', 3);
  defaultHandler(p);
}

function defaultHandler(h: unknown): void {
  if (!isRecord(h)) return;
  if (isRecord(h['httpGet'])) {
    setIfAbsent(h['httpGet'], 'path', '/');
    setIfAbsent(h['httpGet'], 'scheme', 'HTTP');
  }
}

function defaultFieldRef(envOrItem: Obj, key: string): void {
  const src = envOrItem[key];
  if (isRecord(src) && isRecord(src['fieldRef'])) setIfAbsent(src['fieldRef'], 'apiVersion', 'v1');
}

function defaultContainer(c: Obj, hostNetwork: boolean): void {
  if (typeof c['image'] === 'string' && c['image']) setIfAbsent(c, 'imagePullPolicy', defaultPullPolicy(c['image']));
  // A Go struct field: kube always serializes it, as `resources: {}` when empty.
  setIfAbsent(c, 'resources', {});
  setIfAbsent(c, 'terminationMessagePath', '/dev/termination-log');
  setIfAbsent(c, 'terminationMessagePolicy', 'File');
  for (const p of records(c['ports'])) {
    setIfAbsent(p, 'protocol', 'TCP');
    if (hostNetwork && p['hostPort'] === undefined && p['containerPort'] !== undefined) p['hostPort'] = p['containerPort'];
  }
  for (const e of records(c['env'])) defaultFieldRef(e, 'valueFrom');
  defaultProbe(c['livenessProbe']);
  defaultProbe(c['readinessProbe']);
  defaultProbe(c['startupProbe']);
  if (isRecord(c['lifecycle'])) {
    defaultHandler(c['lifecycle']['postStart']);
    defaultHandler(c['lifecycle']['preStop']);
  }
  defaultRequestsFromLimits(c['resources']);
}

/** A limit without a request means "request the same" (SetDefaults_Pod). */
function defaultRequestsFromLimits(resources: unknown): void {
  if (!isRecord(resources) || !isRecord(resources['limits'])) return;
  const limits = resources['limits'];
  if (Object.keys(limits).length === 0) return;
  const requests = rec(resources, 'requests');
  for (const [name, q] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = q;
}

function defaultVolume(v: Obj): void {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v['emptyDir'] = {};
  for (const k of ['configMap', 'secret', 'downwardAPI', 'projected'] as const) {
    const src = v[k];
    if (isRecord(src)) setIfAbsent(src, 'defaultMode', 420);
  }
  if (isRecord(v['downwardAPI'])) {
    for (const item of records(v['downwardAPI']['items'])) if (isRecord(item['fieldRef'])) setIfAbsent(item['fieldRef'], 'apiVersion', 'v1');
  }
  if (isRecord(v['hostPath'])) setIfAbsent(v['hostPath'], 'type', '');
  if (isRecord(v['projected'])) {
    for (const src of records(v['projected']['sources'])) {
      if (isRecord(src['serviceAccountToken'])) setIfAbsent(src['serviceAccountToken'], 'expirationSeconds', 3600);
    }
  }
}

/** SetDefaults_PodSpec and its containers and volumes; shared by pods and pod templates. */
export function defaultPodSpec(spec: Obj): void {
  setIfAbsent(spec, 'dnsPolicy', 'ClusterFirst');
  setIfAbsent(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'terminationGracePeriodSeconds', 30);
  setIfAbsent(spec, 'securityContext', {});
  setIfAbsent(spec, 'schedulerName', 'default-scheduler');
  setIfAbsent(spec, 'enableServiceLinks', true);
  const hostNetwork = spec['hostNetwork'] === true;
  for (const key of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
    for (const c of records(spec[key])) defaultContainer(c, hostNetwork);
  }
  for (const v of records(spec['volumes'])) defaultVolume(v);
  defaultRequestsFromLimits(spec['resources']);
}

const DEFAULT_TOLERATIONS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/** DefaultTolerationSeconds admission: tolerate not-ready/unreachable for 300s unless told otherwise. */
function addDefaultTolerations(spec: Obj): void {
  const tolerations = records(spec['tolerations']);
  const tolerates = (key: string): boolean =>
    tolerations.some(
      (t) =>
        (t['effect'] === undefined || t['effect'] === '' || t['effect'] === 'NoExecute') &&
        ((t['key'] === undefined || t['key'] === '') ? t['operator'] === 'Exists' : t['key'] === key),
    );
  const add = DEFAULT_TOLERATIONS.filter((k) => !tolerates(k));
  if (add.length === 0) return;
  const list = Array.isArray(spec['tolerations']) ? (spec['tolerations'] as unknown[]) : [];
  for (const key of add) list.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  spec['tolerations'] = list;
}

function defaultPod(pod: KubeObject, create: boolean): void {
  const spec = rec(pod, 'spec');
  defaultPodSpec(spec);
  if (!create) return;
  // Admission plugins run on create only.
  setIfAbsent(spec, 'serviceAccountName', 'default');
  if (spec['serviceAccount'] === undefined) spec['serviceAccount'] = spec['serviceAccountName'];
  // preemptionPolicy is the Priority admission's to set, from the PriorityClass (sim/kinds.ts).
  addDefaultTolerations(spec);
}

function defaultTemplate(spec: Obj): void {
  const template = rec(spec, 'template');
  defaultPodSpec(rec(template, 'spec'));
}

// ---------------------------------------------------------------- workloads

function defaultDeployment(d: KubeObject): void {
  const spec = rec(d, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  const strategy = rec(spec, 'strategy');
  setIfAbsent(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate') {
    const ru = rec(strategy, 'rollingUpdate');
    setIfAbsent(ru, 'maxUnavailable', '25%');
    setIfAbsent(ru, 'maxSurge', '25%');
  }
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  setIfAbsent(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec);
}

function defaultReplicaSet(rs: KubeObject): void {
  const spec = rec(rs, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  defaultTemplate(spec);
}

function defaultStatefulSet(s: KubeObject): void {
  const spec = rec(s, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  setIfAbsent(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = rec(spec, 'updateStrategy');
  setIfAbsent(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate') setIfAbsent(rec(strategy, 'rollingUpdate'), 'partition', 0);
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  const retention = rec(spec, 'persistentVolumeClaimRetentionPolicy');
  setIfAbsent(retention, 'whenDeleted', 'Retain');
  setIfAbsent(retention, 'whenScaled', 'Retain');
  for (const pvc of records(spec['volumeClaimTemplates'])) {
    setIfAbsent(rec(pvc, 'spec'), 'volumeMode', 'Filesystem');
    setIfAbsent(rec(pvc, 'status'), 'phase', 'Pending');
  }
  defaultTemplate(spec);
}

function defaultDaemonSet(ds: KubeObject): void {
  const spec = rec(ds, 'spec');
  const strategy = rec(spec, 'updateStrategy');
  setIfAbsent(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate') {
    const ru = rec(strategy, 'rollingUpdate');
    setIfAbsent(ru, 'maxUnavailable', 1);
    setIfAbsent(ru, 'maxSurge', 0);
  }
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec);
}

function defaultJob(job: KubeObject, create: boolean): void {
  const spec = rec(job, 'spec');
  if (spec['completions'] === undefined && spec['parallelism'] === undefined) {
    spec['completions'] = 1;
    spec['parallelism'] = 1;
  }
  setIfAbsent(spec, 'parallelism', 1);
  setIfAbsent(spec, 'backoffLimit', 6);
  setIfAbsent(spec, 'completionMode', 'NonIndexed');
  setIfAbsent(spec, 'suspend', false);
  setIfAbsent(spec, 'podReplacementPolicy', spec['podFailurePolicy'] ? 'Failed' : 'TerminatingOrFailed');
  if (create && spec['manualSelector'] !== true && job.metadata.uid) {
    // The job controller's generated selector and template labels (batch/v1 strategy).
    const uid = job.metadata.uid;
    const name = job.metadata.name ?? '';
    const template = rec(spec, 'template');
    const tmeta = rec(template, 'metadata');
    const labels = { ...(isRecord(tmeta['labels']) ? tmeta['labels'] : {}) } as Obj;
    labels['batch.kubernetes.io/controller-uid'] = uid;
    labels['batch.kubernetes.io/job-name'] = name;
    labels['controller-uid'] = uid;
    labels['job-name'] = name;
    tmeta['labels'] = labels;
    if (spec['selector'] === undefined) spec['selector'] = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  }
  defaultTemplate(spec);
}

// ---------------------------------------------------------------- services

/** A stable pseudo-allocated ClusterIP in 10.96.0.0/12 (derived from the uid, so no allocator state). */
export function clusterIpFor(uid: string): string {
  const h = createHash('sha256').update(uid).digest();
  const n = ((h[0]! << 16) | (h[1]! << 8) | h[2]!) & 0x0fffff; // 20 host bits
  const host = n === 0 || n === 0x0fffff ? 10 : n;
  return `10.${96 + (host >> 16)}.${(host >> 8) & 0xff}.${host & 0xff}`;
}

function nodePortFor(uid: string, index: number): number {
  const h = createHash('sha256').update(`${uid}/${index}`).digest();
  return 30000 + (((h[0]! << 8) | h[1]!) % 2768);
}

function defaultService(svc: KubeObject, create: boolean): void {
  const spec = rec(svc, 'spec');
  setIfAbsent(spec, 'type', 'ClusterIP');
  const type = spec['type'];
  setIfAbsent(spec, 'sessionAffinity', 'None');
  if (type === 'ExternalName') return;
  setIfAbsent(spec, 'internalTrafficPolicy', 'Cluster');
  const ports = records(spec['ports']);
  ports.forEach((p, i) => {
    setIfAbsent(p, 'protocol', 'TCP');
    if (p['targetPort'] === undefined && p['port'] !== undefined) p['targetPort'] = p['port'];
    if (create && (type === 'NodePort' || type === 'LoadBalancer') && p['nodePort'] === undefined && svc.metadata.uid) {
      p['nodePort'] = nodePortFor(svc.metadata.uid, i);
    }
  });
  if (type === 'NodePort' || type === 'LoadBalancer') setIfAbsent(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setIfAbsent(spec, 'allocateLoadBalancerNodePorts', true);
  if (create) {
    if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
      if (svc.metadata.uid) spec['clusterIP'] = clusterIpFor(svc.metadata.uid);
    }
    if (spec['clusterIPs'] === undefined && typeof spec['clusterIP'] === 'string') spec['clusterIPs'] = [spec['clusterIP']];
    setIfAbsent(spec, 'ipFamilies', ['IPv4']);
    setIfAbsent(spec, 'ipFamilyPolicy', 'SingleStack');
    setIfAbsent(svc, 'status', { loadBalancer: {} });
  }
}

// ---------------------------------------------------------------- the rest

function defaultSecret(s: KubeObject): void {
  if (s['type'] === undefined || s['type'] === '') s['type'] = 'Opaque';
  // stringData is write-only: kube merges it into data (base64) and never stores it.
  const sd = s['stringData'];
  if (isRecord(sd)) {
    const data = rec(s, 'data');
    for (const [k, v] of Object.entries(sd)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  }
  delete s['stringData'];
}

function defaultNamespace(ns: KubeObject): void {
  // kube sets this label on every write, so it cannot be removed or changed.
  const name = ns.metadata.name;
  if (name) ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': name };
  setIfAbsent(rec(ns, 'spec'), 'finalizers', ['kubernetes']);
}

function defaultPriorityClass(pc: KubeObject): void {
  setIfAbsent(pc, 'preemptionPolicy', 'PreemptLowerPriority');
}

function defaultCrd(crd: KubeObject): void {
  const spec = rec(crd, 'spec');
  const names = rec(spec, 'names');
  if (typeof names['kind'] === 'string') {
    setIfAbsent(names, 'singular', names['kind'].toLowerCase());
    setIfAbsent(names, 'listKind', `${names['kind']}List`);
  }
  setIfAbsent(spec, 'scope', 'Namespaced');
  setIfAbsent(rec(spec, 'conversion'), 'strategy', 'None');
}

function defaultNode(node: KubeObject): void {
  // SetDefaults_NodeStatus: allocatable defaults to capacity.
  const status = node['status'];
  if (isRecord(status) && isRecord(status['capacity']) && status['allocatable'] === undefined) {
    status['allocatable'] = { ...status['capacity'] };
  }
}

const DEFAULTERS: Record<string, Defaulter> = {
  '/Pod': defaultPod,
  '/Namespace': defaultNamespace,
  '/Node': defaultNode,
  '/Secret': defaultSecret,
  '/Service': defaultService,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/StatefulSet': defaultStatefulSet,
  'apps/DaemonSet': defaultDaemonSet,
  'batch/Job': defaultJob,
  'scheduling.k8s.io/PriorityClass': defaultPriorityClass,
  'apiextensions.k8s.io/CustomResourceDefinition': defaultCrd,
  ...EXTRA_DEFAULTERS,
};

/**
 * Fields the server allocated keep their values when an update leaves them out (a PUT of
 * a Service manifest keeps its ClusterIP and node ports, as kube's Service REST does).
 */
function carryServiceAllocations(svc: KubeObject, old: KubeObject): void {
  const spec = rec(svc, 'spec');
  const before = isRecord(old['spec']) ? old['spec'] : {};
  if (spec['type'] === 'ExternalName') return;
  for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy'] as const) {
    if ((spec[k] === undefined || spec[k] === '') && before[k] !== undefined) spec[k] = structuredClone(before[k]);
  }
  const oldPorts = records(before['ports']);
  for (const p of records(spec['ports'])) {
    if (p['nodePort'] !== undefined || (spec['type'] !== 'NodePort' && spec['type'] !== 'LoadBalancer')) continue;
    const match = oldPorts.find((o) => o['port'] === p['port'] && (o['protocol'] ?? 'TCP') === (p['protocol'] ?? 'TCP'));
    if (match?.['nodePort'] !== undefined) p['nodePort'] = match['nodePort'];
  }
}

const CARRY_OVER: Record<string, (obj: KubeObject, old: KubeObject) => void> = {
  '/Service': carryServiceAllocations,
};

/** Before defaulting an update: keep what the server allocated and the client left out. */
export function carryOver(group: string, kind: string, obj: KubeObject, old: KubeObject): void {
  CARRY_OVER[`${group}/${kind}`]?.(obj, old);
}

/** Applies kube's defaults for a built-in kind in place. */
export function applyDefaults(group: string, kind: string, obj: KubeObject, create: boolean): void {
  DEFAULTERS[`${group}/${kind}`]?.(obj, create);
}
