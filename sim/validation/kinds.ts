// Per-kind validation (the Validate<Kind> / Validate<Kind>Update functions of
// kube-apiserver) for the kinds the sim serves. Each returns field causes; admission turns
// them into one 422 Invalid.
import { isRecord, type KubeObject } from '../object.js';
import { validateCrd } from './crd.js';
import { EXTRA_CREATE, EXTRA_UPDATE } from './kinds-extra.js';
import { fe, fmtValue, type Causes } from './errors.js';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate, validateTemplateMeta } from './meta.js';
import { isConfigMapKey, isDNS1035Label, isDNS1123Label, isQualifiedName } from '../../kube/index.js';
import { TAINT_EFFECTS, validatePodSpec, validatePodSpecUpdate } from './pod.js';

type Obj = Record<string, unknown>;
type Validator = (obj: KubeObject, out: Causes) => void;
type UpdateValidator = (obj: KubeObject, old: KubeObject, out: Causes) => void;

function records(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map((x) => (isRecord(x) ? x : {})) : [];
}

function spec(o: KubeObject): Obj {
  return isRecord(o['spec']) ? o['spec'] : {};
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    isRecord(val) ? Object.fromEntries(Object.keys(val).sort().map((k) => [k, val[k]])) : val,
  );
}

const MAX_CONFIG_SIZE = 1024 * 1024;

function validateKeys(o: KubeObject, fields: string[], out: Causes): void {
  const seen = new Set<string>();
  let size = 0;
  for (const field of fields) {
    const m = o[field];
    if (!isRecord(m)) continue;
    for (const [k, v] of Object.entries(m)) {
      for (const msg of isConfigMapKey(k)) out.push(fe.invalid(`${field}[${k}]`, k, msg));
      if (seen.has(k)) out.push(fe.invalid(`${field}[${k}]`, k, `duplicate of key present in ${fields.find((f) => f !== field) ?? field}`));
      seen.add(k);
      size += typeof v === 'string' ? v.length : 0;
    }
  }
  if (size > MAX_CONFIG_SIZE) out.push(fe.tooLong(fields[0]!, MAX_CONFIG_SIZE));
}

function immutableData(o: KubeObject, old: KubeObject, fields: string[], out: Causes): void {
  if (old['immutable'] !== true) return;
  for (const f of fields) {
    if (canonical(o[f] ?? {}) !== canonical(old[f] ?? {})) out.push(fe.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  if (o['immutable'] !== true) out.push(fe.forbidden('immutable', 'field is immutable when `immutable` is set'));
}

// ---------------------------------------------------------------- core

const validatePod: Validator = (pod, out) => validatePodSpec(pod['spec'], 'spec', out);

const validatePodUpdate: UpdateValidator = (pod, old, out) => validatePodSpecUpdate(pod['spec'], old['spec'], out);

const validateNode: Validator = (node, out) => {
  records(spec(node)['taints']).forEach((t, i) => {
    const f = `spec.taints[${i}]`;
    const key = typeof t['key'] === 'string' ? t['key'] : '';
    if (!key) out.push(fe.required(`${f}.key`));
    else for (const m of isQualifiedName(key)) out.push(fe.invalid(`${f}.key`, key, m));
    const effect = t['effect'];
    if (effect === undefined || effect === '') out.push(fe.required(`${f}.effect`));
    else if (!TAINT_EFFECTS.includes(String(effect))) out.push(fe.notSupported(`${f}.effect`, effect, TAINT_EFFECTS));
  });
};

const validateNamespace: Validator = (ns, out) => {
  const finalizers = spec(ns)['finalizers'];
  if (Array.isArray(finalizers)) {
    finalizers.forEach((f, i) => {
      if (typeof f === 'string' && f.includes('/')) for (const m of isQualifiedName(f)) out.push(fe.invalid(`spec.finalizers[${i}]`, f, m));
    });
  }
};

const validateConfigMap: Validator = (cm, out) => validateKeys(cm, ['data', 'binaryData'], out);
const validateConfigMapUpdate: UpdateValidator = (cm, old, out) => immutableData(cm, old, ['data', 'binaryData'], out);

const SECRET_REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/basic-auth': [],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

const validateSecret: Validator = (s, out) => {
  validateKeys(s, ['data', 'stringData'], out);
  const type = typeof s['type'] === 'string' ? s['type'] : 'Opaque';
  const data = { ...(isRecord(s['data']) ? s['data'] : {}), ...(isRecord(s['stringData']) ? s['stringData'] : {}) };
  for (const key of SECRET_REQUIRED_KEYS[type] ?? []) if (data[key] === undefined) out.push(fe.required(`data[${key}]`));
  if (type === 'kubernetes.io/service-account-token') {
    const ann = s.metadata.annotations ?? {};
    if (!ann['kubernetes.io/service-account.name']) out.push(fe.required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
};

const validateSecretUpdate: UpdateValidator = (s, old, out) => {
  if ((s['type'] ?? 'Opaque') !== (old['type'] ?? 'Opaque')) out.push(fe.immutable('type', s['type']));
  immutableData(s, old, ['data'], out);
};

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];

const validateService: Validator = (svc, out) => {
  const sp = spec(svc);
  const type = typeof sp['type'] === 'string' ? sp['type'] : 'ClusterIP';
  if (!SERVICE_TYPES.includes(type)) out.push(fe.notSupported('spec.type', type, SERVICE_TYPES));
  if (sp['sessionAffinity'] !== undefined && !SESSION_AFFINITIES.includes(String(sp['sessionAffinity']))) {
    out.push(fe.notSupported('spec.sessionAffinity', sp['sessionAffinity'], SESSION_AFFINITIES));
  }
  const ports = records(sp['ports']);
  if (type === 'ExternalName') {
    if (!sp['externalName']) out.push(fe.required('spec.externalName'));
  } else if (ports.length === 0 && sp['clusterIP'] !== 'None') out.push(fe.required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    const name = typeof p['name'] === 'string' ? p['name'] : '';
    if (ports.length > 1 && !name) out.push(fe.required(`${f}.name`));
    if (name) {
      for (const m of isDNS1123Label(name)) out.push(fe.invalid(`${f}.name`, name, m));
      if (names.has(name)) out.push(fe.duplicate(`${f}.name`, name));
      names.add(name);
    }
    const port = p['port'];
    if (typeof port !== 'number') out.push(fe.required(`${f}.port`));
    else if (port < 1 || port > 65535) out.push(fe.invalid(`${f}.port`, port, 'must be between 1 and 65535, inclusive'));
    if (p['protocol'] !== undefined && !['SCTP', 'TCP', 'UDP'].includes(String(p['protocol']))) {
      out.push(fe.notSupported(`${f}.protocol`, p['protocol'], ['SCTP', 'TCP', 'UDP']));
    }
    const np = p['nodePort'];
    if (typeof np === 'number' && np !== 0) {
      if (type !== 'NodePort' && type !== 'LoadBalancer') out.push(fe.forbidden(`${f}.nodePort`, `may not be used when \`type\` is '${type}'`));
      else if (np < 30000 || np > 32767) out.push(fe.invalid(`${f}.nodePort`, np, 'provided port is not in the valid range. The range of valid ports is 30000-32767'));
    }
    const tp = p['targetPort'];
    if (typeof tp === 'number' && (tp < 1 || tp > 65535)) out.push(fe.invalid(`${f}.targetPort`, tp, 'must be between 1 and 65535, inclusive'));
    if (typeof tp === 'string' && tp !== '' && isDNS1035Label(tp).length > 0 && !/^[a-z0-9-]{1,15}$/.test(tp)) {
      out.push(fe.invalid(`${f}.targetPort`, tp, 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'));
    }
  });
  if (isRecord(sp['selector'])) {
    for (const [k, v] of Object.entries(sp['selector'])) {
      for (const m of isQualifiedName(k)) out.push(fe.invalid('spec.selector', k, m));
      void v;
    }
  }
};

const validateServiceUpdate: UpdateValidator = (svc, old, out) => {
  const a = spec(svc)['clusterIP'];
  const b = spec(old)['clusterIP'];
  if (b !== undefined && b !== '' && a !== undefined && a !== '' && a !== b && spec(svc)['type'] !== 'ExternalName') {
    out.push(fe.invalid('spec.clusterIPs[0]', a, 'may not change once set'));
  }
};

// ---------------------------------------------------------------- coordination, scheduling

const validateLease: Validator = (lease, out) => {
  const sp = spec(lease);
  const d = sp['leaseDurationSeconds'];
  if (typeof d === 'number' && d <= 0) out.push(fe.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  const t = sp['leaseTransitions'];
  if (typeof t === 'number' && t < 0) out.push(fe.invalid('spec.leaseTransitions', t, 'must be greater than or equal to 0'));
};

const HIGHEST_USER_PRIORITY = 1_000_000_000;
const SYSTEM_PRIORITY_CLASSES: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

const validatePriorityClass: Validator = (pc, out) => {
  const name = pc.metadata.name ?? '';
  const value = pc['value'];
  if (name in SYSTEM_PRIORITY_CLASSES) {
    if (value !== SYSTEM_PRIORITY_CLASSES[name]) {
      out.push(fe.forbidden('metadata.name', `${JSON.stringify(name)} is a system priority class name and its value must be ${SYSTEM_PRIORITY_CLASSES[name]}`));
    }
  } else if (name.startsWith('system-')) {
    out.push(fe.forbidden('metadata.name', "priority class names with 'system-' prefix are reserved"));
  } else if (typeof value === 'number' && value > HIGHEST_USER_PRIORITY) {
    out.push(fe.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  }
  if (value === undefined) out.push(fe.required('value'));
  const pp = pc['preemptionPolicy'];
  if (pp !== undefined && !PREEMPTION_POLICIES.includes(String(pp))) out.push(fe.notSupported('preemptionPolicy', pp, PREEMPTION_POLICIES));
};

const validatePriorityClassUpdate: UpdateValidator = (pc, old, out) => {
  if (pc['value'] !== old['value']) out.push(fe.forbidden('value', 'may not be changed in an update.'));
  if ((pc['preemptionPolicy'] ?? 'PreemptLowerPriority') !== (old['preemptionPolicy'] ?? 'PreemptLowerPriority')) {
    out.push(fe.immutable('preemptionPolicy', pc['preemptionPolicy']));
  }
};

// ---------------------------------------------------------------- workloads

function selectorMatches(selector: Obj, labels: Obj): boolean {
  const ml = isRecord(selector['matchLabels']) ? selector['matchLabels'] : {};
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of records(selector['matchExpressions'])) {
    const key = String(e['key'] ?? '');
    const values = Array.isArray(e['values']) ? e['values'].map(String) : [];
    const has = labels[key] !== undefined;
    const v = String(labels[key] ?? '');
    switch (e['operator']) {
      case 'In':
        if (!has || !values.includes(v)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(v)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function fmtLabels(labels: Obj): string {
  const entries = Object.keys(labels).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

function validateWorkload(o: KubeObject, out: Causes, opts: { replicas: boolean; restartPolicies: string[]; selectorRequired: boolean }): void {
  const sp = spec(o);
  if (opts.replicas) {
    const r = sp['replicas'];
    if (typeof r === 'number' && r < 0) out.push(fe.invalid('spec.replicas', r, 'must be greater than or equal to 0'));
  }
  const selector = sp['selector'];
  const template = isRecord(sp['template']) ? sp['template'] : undefined;
  const tmeta = template && isRecord(template['metadata']) ? template['metadata'] : {};
  const labels = isRecord(tmeta['labels']) ? tmeta['labels'] : {};
  if (opts.selectorRequired && !isRecord(selector)) out.push(fe.required('spec.selector'));
  else if (isRecord(selector)) {
    validateLabelSelector(selector, 'spec.selector', out);
    const empty = Object.keys(isRecord(selector['matchLabels']) ? selector['matchLabels'] : {}).length === 0 && records(selector['matchExpressions']).length === 0;
    if (empty && opts.selectorRequired) out.push(fe.invalid('spec.selector', selector, 'empty selector is invalid for deployment'));
    else if (template && !selectorMatches(selector, labels)) {
      // kube prints the labels as a Go map here.
      out.push({ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${fmtLabels(labels)}: \`selector\` does not match template \`labels\`` });
    }
  }
  if (!template) {
    out.push(fe.required('spec.template'));
    return;
  }
  validateTemplateMeta(template['metadata'], 'spec.template.metadata', out);
  const claims = records(sp['volumeClaimTemplates']).map((c) => (isRecord(c['metadata']) ? String(c['metadata']['name'] ?? '') : '')).filter(Boolean);
  validatePodSpec(template['spec'], 'spec.template.spec', out, claims);
  const tspec = isRecord(template['spec']) ? template['spec'] : {};
  const rp = tspec['restartPolicy'];
  if (rp !== undefined && !opts.restartPolicies.includes(String(rp))) {
    out.push(fe.notSupported('spec.template.spec.restartPolicy', rp, opts.restartPolicies));
  }
  if (rp === undefined && !opts.restartPolicies.includes('Always')) {
    out.push(fe.required('spec.template.spec.restartPolicy', `valid values: ${opts.restartPolicies.map((p) => JSON.stringify(p)).join(', ')}`));
  }
}

const apps = (selectorRequired = true): Validator => (o, out) =>
  validateWorkload(o, out, { replicas: true, restartPolicies: ['Always'], selectorRequired });

const validateDeployment: Validator = (d, out) => {
  apps()(d, out);
  const strategy = spec(d)['strategy'];
  if (isRecord(strategy)) {
    const t = strategy['type'];
    if (t !== undefined && t !== 'RollingUpdate' && t !== 'Recreate') out.push(fe.notSupported('spec.strategy.type', t, ['Recreate', 'RollingUpdate']));
    if (t === 'Recreate' && strategy['rollingUpdate'] !== undefined) {
      out.push(fe.forbidden('spec.strategy.rollingUpdate', 'may not be specified when strategy `type` is \'Recreate\''));
    }
  }
};

const validateJob: Validator = (job, out) => {
  validateWorkload(job, out, { replicas: false, restartPolicies: ['OnFailure', 'Never'], selectorRequired: false });
  const sp = spec(job);
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished'] as const) {
    const v = sp[f];
    if (typeof v === 'number' && v < 0) out.push(fe.invalid(`spec.${f}`, v, 'must be greater than or equal to 0'));
  }
};

function selectorImmutable(o: KubeObject, old: KubeObject, out: Causes): void {
  const a = spec(o)['selector'];
  const b = spec(old)['selector'];
  if (b !== undefined && canonical(a) !== canonical(b)) {
    out.push({ reason: 'FieldValueInvalid', field: 'spec.selector', message: `Invalid value: ${fmtValue(a)}: field is immutable` });
  }
}

const validateJobUpdate: UpdateValidator = (job, old, out) => {
  selectorImmutable(job, old, out);
  const a = spec(job)['template'];
  const b = spec(old)['template'];
  if (spec(old)['suspend'] !== true && canonical(a) !== canonical(b)) {
    out.push({ reason: 'FieldValueInvalid', field: 'spec.template', message: 'Invalid value: core.PodTemplateSpec{...}: field is immutable' });
  }
  if (spec(old)['completions'] !== undefined && spec(job)['completions'] !== spec(old)['completions']) {
    out.push(fe.immutable('spec.completions', spec(job)['completions']));
  }
};

// ---------------------------------------------------------------- tables

const CREATE: Record<string, Validator> = {
  '/Pod': validatePod,
  '/Node': validateNode,
  '/Namespace': validateNamespace,
  '/ConfigMap': validateConfigMap,
  '/Secret': validateSecret,
  '/Service': validateService,
  'coordination.k8s.io/Lease': validateLease,
  'scheduling.k8s.io/PriorityClass': validatePriorityClass,
  'apps/Deployment': validateDeployment,
  'apps/ReplicaSet': apps(),
  'apps/StatefulSet': apps(),
  'apps/DaemonSet': apps(),
  'batch/Job': validateJob,
  'apiextensions.k8s.io/CustomResourceDefinition': validateCrd,
  ...EXTRA_CREATE,
};

const UPDATE: Record<string, UpdateValidator> = {
  '/Pod': validatePodUpdate,
  '/ConfigMap': validateConfigMapUpdate,
  '/Secret': validateSecretUpdate,
  '/Service': validateServiceUpdate,
  'scheduling.k8s.io/PriorityClass': validatePriorityClassUpdate,
  'apps/Deployment': (o, old, out) => selectorImmutable(o, old, out),
  'apps/ReplicaSet': (o, old, out) => selectorImmutable(o, old, out),
  'apps/StatefulSet': (o, old, out) => selectorImmutable(o, old, out),
  'apps/DaemonSet': (o, old, out) => selectorImmutable(o, old, out),
  'batch/Job': validateJobUpdate,
  ...EXTRA_UPDATE,
};

export interface ValidateOptions {
  /** In-process controllers (scheduler binding, kubelets) may make changes clients may not. */
  trusted: boolean;
  /** 'status': only metadata and status changed (the API copies the rest from the old object). */
  subresource?: string;
}

/** Field causes for a new object of a built-in kind (or any kind: metadata rules apply to all). */
export function validateCreate(group: string, kind: string, obj: KubeObject): Causes {
  const out: Causes = [];
  validateObjectMeta(group, kind, obj, out);
  CREATE[`${group}/${kind}`]?.(obj, out);
  return out;
}

/** Field causes for an update: the object's own rules plus what may not change. */
/** True when what validateObjectMeta checks is the very metadata `old` was stored with. */
function keepsStoredMeta(obj: KubeObject, old: KubeObject): boolean {
  const a = obj.metadata;
  const b = old.metadata;
  return (
    a.name === b.name &&
    a.generateName === b.generateName &&
    a.labels === b.labels &&
    a.annotations === b.annotations &&
    a.finalizers === b.finalizers &&
    a.ownerReferences === b.ownerReferences
  );
}

export function validateUpdate(group: string, kind: string, obj: KubeObject, old: KubeObject, opts: ValidateOptions): Causes {
  if (opts.subresource === 'status') {
    // Status writes cannot change the spec; kube validates only metadata (and status) here.
    // The API restores the identity, labels, annotations, finalizers and owner references
    // from the stored object first (kube's ResetObjectMetaForStatus): when they are the
    // stored object's own, they passed this validation when it was written.
    if (keepsStoredMeta(obj, old)) return [];
    const out: Causes = [];
    validateObjectMeta(group, kind, obj, out);
    return out;
  }
  const out = validateCreate(group, kind, obj);
  validateObjectMetaUpdate(obj, old, out);
  if (!opts.trusted) UPDATE[`${group}/${kind}`]?.(obj, old, out);
  return out;
}

