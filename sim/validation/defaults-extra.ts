// kube's defaulting (SetDefaults_* of k8s.io/kubernetes/pkg/apis/*/v1) for the kinds the sim
// stores and serves without a controller: RBAC, batch CronJob, networking, storage,
// PersistentVolume(Claim), LimitRange, webhook configurations and autoscaling/v2.
import { childRecord, isRecord, type KubeObject } from '../object.js';
import { defaultPodSpec } from './defaults.js';

type Obj = Record<string, unknown>;
type Defaulter = (obj: KubeObject, create: boolean) => void;

const rec = childRecord;

function setIfAbsent(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function records(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/**
 * SetDefaults_Subject: users and groups belong to the RBAC API group. (Service accounts get
 * the core group "", which omitempty leaves out of the JSON.)
 */
function defaultBinding(b: KubeObject): void {
  for (const s of records(b['subjects'])) {
    if (s['apiGroup'] !== undefined && s['apiGroup'] !== '') continue;
    if (s['kind'] === 'User' || s['kind'] === 'Group') s['apiGroup'] = 'rbac.authorization.k8s.io';
  }
}

function defaultCronJob(cj: KubeObject): void {
  const spec = rec(cj, 'spec');
  setIfAbsent(spec, 'concurrencyPolicy', 'Allow');
  setIfAbsent(spec, 'suspend', false);
  setIfAbsent(spec, 'successfulJobsHistoryLimit', 3);
  setIfAbsent(spec, 'failedJobsHistoryLimit', 1);
  // Only the pod template inside is defaulted: SetDefaults_Job works on Jobs, not templates.
  defaultPodSpec(rec(rec(rec(rec(spec, 'jobTemplate'), 'spec'), 'template'), 'spec'));
}

/** SetDefaults_NetworkPolicy: ports are TCP; policyTypes say which rule lists apply. */
function defaultNetworkPolicy(np: KubeObject): void {
  const spec = rec(np, 'spec');
  for (const rule of [...records(spec['ingress']), ...records(spec['egress'])]) {
    for (const p of records(rule['ports'])) setIfAbsent(p, 'protocol', 'TCP');
  }
  if (!Array.isArray(spec['policyTypes']) || spec['policyTypes'].length === 0) {
    spec['policyTypes'] = Array.isArray(spec['egress']) && spec['egress'].length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

function defaultStorageClass(sc: KubeObject): void {
  setIfAbsent(sc, 'reclaimPolicy', 'Delete');
  setIfAbsent(sc, 'volumeBindingMode', 'Immediate');
}

function defaultPersistentVolume(pv: KubeObject): void {
  const spec = rec(pv, 'spec');
  setIfAbsent(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setIfAbsent(spec, 'volumeMode', 'Filesystem');
  setIfAbsent(rec(pv, 'status'), 'phase', 'Pending');
}

function defaultPersistentVolumeClaim(pvc: KubeObject): void {
  setIfAbsent(rec(pvc, 'spec'), 'volumeMode', 'Filesystem');
  setIfAbsent(rec(pvc, 'status'), 'phase', 'Pending');
}

/** SetDefaults_LimitRangeItem: a container's default is its max, its default request the min or default. */
function defaultLimitRange(lr: KubeObject): void {
  for (const item of records(rec(lr, 'spec')['limits'])) {
    if (item['type'] !== 'Container') continue;
    const def = rec(item, 'default');
    const defReq = rec(item, 'defaultRequest');
    const max = isRecord(item['max']) ? item['max'] : {};
    const min = isRecord(item['min']) ? item['min'] : {};
    for (const [k, v] of Object.entries(max)) if (def[k] === undefined) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (defReq[k] === undefined) defReq[k] = min[k] ?? v;
    if (Object.keys(def).length === 0) delete item['default'];
    if (Object.keys(defReq).length === 0) delete item['defaultRequest'];
  }
}

function defaultWebhooks(mutating: boolean): Defaulter {
  return (cfg) => {
    for (const w of records(cfg['webhooks'])) {
      setIfAbsent(w, 'failurePolicy', 'Fail');
      setIfAbsent(w, 'matchPolicy', 'Equivalent');
      setIfAbsent(w, 'namespaceSelector', {});
      setIfAbsent(w, 'objectSelector', {});
      setIfAbsent(w, 'timeoutSeconds', 10);
      if (mutating) setIfAbsent(w, 'reinvocationPolicy', 'Never');
      for (const r of records(w['rules'])) setIfAbsent(r, 'scope', '*');
      const service = rec(w, 'clientConfig')['service'];
      if (isRecord(service)) setIfAbsent(service, 'port', 443);
    }
  };
}

/** SetDefaults_HorizontalPodAutoscaler (v2): one replica at least, 80% CPU when no metric is given. */
function defaultHorizontalPodAutoscaler(hpa: KubeObject): void {
  const spec = rec(hpa, 'spec');
  setIfAbsent(spec, 'minReplicas', 1);
  if (!Array.isArray(spec['metrics']) || spec['metrics'].length === 0) {
    spec['metrics'] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
}

export const EXTRA_DEFAULTERS: Readonly<Record<string, Defaulter>> = {
  'rbac.authorization.k8s.io/RoleBinding': defaultBinding,
  'rbac.authorization.k8s.io/ClusterRoleBinding': defaultBinding,
  'batch/CronJob': defaultCronJob,
  'networking.k8s.io/NetworkPolicy': defaultNetworkPolicy,
  'storage.k8s.io/StorageClass': defaultStorageClass,
  '/PersistentVolume': defaultPersistentVolume,
  '/PersistentVolumeClaim': defaultPersistentVolumeClaim,
  '/LimitRange': defaultLimitRange,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': defaultWebhooks(false),
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': defaultWebhooks(true),
  'autoscaling/HorizontalPodAutoscaler': defaultHorizontalPodAutoscaler,
};
