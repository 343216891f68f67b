// Validation (kube's Validate<Kind> / Validate<Kind>Update) for the kinds the sim stores
// and serves without a controller: the rules users meet when they apply manifests, such as
// "cannot change roleRef" or a CronJob name that is too long for its Jobs' names.
import { isRecord, type KubeObject } from '../object.js';
import { fe, type Causes } from './errors.js';

type Obj = Record<string, unknown>;
type Validator = (obj: KubeObject, out: Causes) => void;
type UpdateValidator = (obj: KubeObject, old: KubeObject, out: Causes) => void;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const records = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isRecord(x) ? x : {})) : []);
const child = (o: Obj, k: string): Obj => (isRecord(o[k]) ? o[k] : {});

const SUBJECT_KINDS = ['ServiceAccount', 'User', 'Group'];

function validateBinding(roleKinds: readonly string[]): Validator {
  return (b, out) => {
    const ref = child(b, 'roleRef');
    if (!roleKinds.includes(str(ref['kind']))) out.push(fe.notSupported('roleRef.kind', str(ref['kind']), roleKinds));
    if (str(ref['apiGroup']) !== 'rbac.authorization.k8s.io') out.push(fe.notSupported('roleRef.apiGroup', str(ref['apiGroup']), ['rbac.authorization.k8s.io']));
    if (str(ref['name']) === '') out.push(fe.required('roleRef.name'));
    records(b['subjects']).forEach((s, i) => {
      const f = `subjects[${i}]`;
      if (str(s['name']) === '') out.push(fe.required(`${f}.name`));
      const kind = str(s['kind']);
      if (!SUBJECT_KINDS.includes(kind)) out.push(fe.notSupported(`${f}.kind`, kind, SUBJECT_KINDS));
      else if (kind === 'ServiceAccount' && str(s['apiGroup']) !== '') out.push(fe.notSupported(`${f}.apiGroup`, str(s['apiGroup']), ['']));
      else if (kind !== 'ServiceAccount' && str(s['apiGroup']) !== 'rbac.authorization.k8s.io') {
        out.push(fe.notSupported(`${f}.apiGroup`, str(s['apiGroup']), ['rbac.authorization.k8s.io']));
      }
    });
  };
}

/** ValidateRoleBindingUpdate: the role a binding grants never changes; delete and recreate it. */
const roleRefImmutable: UpdateValidator = (b, old, out) => {
  const ref = child(b, 'roleRef');
  const before = child(old, 'roleRef');
  if (['apiGroup', 'kind', 'name'].some((k) => str(ref[k]) !== str(before[k]))) {
    out.push({
      reason: 'FieldValueInvalid',
      field: 'roleRef',
      message: `Invalid value: rbac.RoleRef{APIGroup:${JSON.stringify(str(ref['apiGroup']))}, Kind:${JSON.stringify(str(ref['kind']))}, Name:${JSON.stringify(str(ref['name']))}}: cannot change roleRef`,
    });
  }
};

/** Jobs are named <cronjob>-<minutes since epoch>, which must stay a valid label (63). */
const CRONJOB_NAME_MAX = 52;

const validateCronJob: Validator = (cj, out) => {
  const name = cj.metadata.name ?? '';
  if (name.length > CRONJOB_NAME_MAX) out.push(fe.invalid('metadata.name', name, `must be no more than ${CRONJOB_NAME_MAX} characters`));
  const spec = child(cj, 'spec');
  if (str(spec['schedule']) === '') out.push(fe.required('spec.schedule'));
  const policy = spec['concurrencyPolicy'];
  if (policy !== undefined && !['Allow', 'Forbid', 'Replace'].includes(str(policy))) {
    out.push(fe.notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  }
  const restart = child(child(child(child(spec, 'jobTemplate'), 'spec'), 'template'), 'spec')['restartPolicy'];
  if (restart !== 'OnFailure' && restart !== 'Never') {
    out.push(fe.required('spec.jobTemplate.spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'));
  }
};

const validatePdb: Validator = (pdb, out) => {
  const spec = child(pdb, 'spec');
  if (spec['minAvailable'] !== undefined && spec['maxUnavailable'] !== undefined) {
    out.push({ reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and maxUnavailable cannot be both set' });
  }
};

const validateStorageClass: Validator = (sc, out) => {
  if (str(sc['provisioner']) === '') out.push(fe.required('provisioner'));
};

const storageClassUpdate: UpdateValidator = (sc, old, out) => {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (!same(sc['parameters'], old['parameters'])) out.push(fe.forbidden('parameters', 'updates to parameters are forbidden.'));
  if (str(sc['provisioner']) !== str(old['provisioner'])) out.push(fe.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (str(sc['reclaimPolicy']) !== str(old['reclaimPolicy'])) out.push(fe.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  if (str(sc['volumeBindingMode']) !== str(old['volumeBindingMode'])) out.push(fe.immutable('volumeBindingMode', str(sc['volumeBindingMode'])));
};

/** Webhook names must be unique within a configuration and fully qualified (a.b.c). */
const validateWebhooks: Validator = (cfg, out) => {
  const seen = new Set<string>();
  records(cfg['webhooks']).forEach((w, i) => {
    const name = str(w['name']);
    if (name === '') out.push(fe.required(`webhooks[${i}].name`));
    else if (seen.has(name)) out.push(fe.duplicate(`webhooks[${i}].name`, name));
    else if (name.split('.').length < 3) out.push(fe.invalid(`webhooks[${i}].name`, name, 'should be a domain with at least three segments separated by dots'));
    seen.add(name);
  });
};

export const EXTRA_CREATE: Readonly<Record<string, Validator>> = {
  'rbac.authorization.k8s.io/RoleBinding': validateBinding(['Role', 'ClusterRole']),
  'rbac.authorization.k8s.io/ClusterRoleBinding': validateBinding(['ClusterRole']),
  'batch/CronJob': validateCronJob,
  'policy/PodDisruptionBudget': validatePdb,
  'storage.k8s.io/StorageClass': validateStorageClass,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': validateWebhooks,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': validateWebhooks,
};

export const EXTRA_UPDATE: Readonly<Record<string, UpdateValidator>> = {
  'rbac.authorization.k8s.io/RoleBinding': roleRefImmutable,
  'rbac.authorization.k8s.io/ClusterRoleBinding': roleRefImmutable,
  'storage.k8s.io/StorageClass': storageClassUpdate,
};
