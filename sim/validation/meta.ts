// ValidateObjectMeta: name (or generateName), labels, annotations, finalizers.
import type { KubeObject } from '../object.js';
import { fe, type Causes } from './errors.js';
import { isQualifiedName, isValidLabelValue } from '../../kube/index.js';
import { nameRuleFor } from './names.js';

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export function validateLabels(labels: unknown, field: string, out: Causes): void {
  if (labels === undefined || labels === null || typeof labels !== 'object') return;
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const m of isQualifiedName(k)) out.push(fe.invalid(field, k, m));
    if (typeof v === 'string') for (const m of isValidLabelValue(v)) out.push(fe.invalid(field, v, m));
  }
}

export function validateAnnotations(annotations: unknown, field: string, out: Causes): void {
  if (annotations === undefined || annotations === null || typeof annotations !== 'object') return;
  let size = 0;
  for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
    for (const m of isQualifiedName(k.toLowerCase())) out.push(fe.invalid(field, k, m));
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE) out.push(fe.tooLong(field, TOTAL_ANNOTATION_SIZE));
}

/** A pod template's metadata: labels and annotations only (names come from the controller). */
export function validateTemplateMeta(meta: unknown, field: string, out: Causes): void {
  if (meta === null || typeof meta !== 'object') return;
  const m = meta as Record<string, unknown>;
  validateLabels(m['labels'], `${field}.labels`, out);
  validateAnnotations(m['annotations'], `${field}.annotations`, out);
}

export function validateObjectMeta(group: string, kind: string, obj: KubeObject, out: Causes): void {
  const meta = obj.metadata;
  const rule = nameRuleFor(group, kind);
  let generateNameBad = false;
  if (typeof meta.generateName === 'string' && meta.generateName) {
    // kube validates the prefix as if it were a name, ignoring one trailing dash.
    const prefix = meta.generateName.endsWith('-') ? meta.generateName.slice(0, -1) : meta.generateName;
    for (const m of rule(prefix)) {
      generateNameBad = true;
      out.push(fe.invalid('metadata.generateName', meta.generateName, m));
    }
  }
  if (typeof meta.name === 'string' && meta.name && !generateNameBad) {
    for (const m of rule(meta.name)) out.push(fe.invalid('metadata.name', meta.name, m));
  }
  validateLabels(meta.labels, 'metadata.labels', out);
  validateAnnotations(meta.annotations, 'metadata.annotations', out);
  validateOwnerReferences(meta.ownerReferences, out);
  if (Array.isArray(meta.finalizers)) {
    meta.finalizers.forEach((f, i) => {
      if (typeof f !== 'string') return;
      // Finalizers without a '/' are reserved for kube's own ("kubernetes", "orphan", ...).
      if (f.includes('/')) for (const m of isQualifiedName(f)) out.push(fe.invalid(`metadata.finalizers[${i}]`, f, m));
    });
  }
}

function validateOwnerReferences(refs: unknown, out: Causes): void {
  if (!Array.isArray(refs)) return;
  const field = 'metadata.ownerReferences';
  let controllers = 0;
  for (const r of refs) {
    if (r === null || typeof r !== 'object') continue;
    const o = r as Record<string, unknown>;
    const apiVersion = typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '';
    const kind = typeof o['kind'] === 'string' ? o['kind'] : '';
    if (!apiVersion) out.push(fe.invalid(`${field}.apiVersion`, apiVersion, 'version must not be empty'));
    if (!kind) out.push(fe.invalid(`${field}.kind`, kind, 'kind must not be empty'));
    if (!o['name']) out.push(fe.invalid(`${field}.name`, o['name'] ?? '', 'name must not be empty'));
    if (!o['uid']) out.push(fe.invalid(`${field}.uid`, o['uid'] ?? '', 'uid must not be empty'));
    if (o['controller'] === true) controllers++;
  }
  if (controllers > 1) out.push(fe.invalid(field, `${controllers} controllers`, 'Only one reference can have Controller set to true'));
}

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** ValidateLabelSelector: matchLabels as labels, matchExpressions with valid operators and values. */
export function validateLabelSelector(selector: unknown, field: string, out: Causes): void {
  if (selector === null || typeof selector !== 'object') return;
  const s = selector as Record<string, unknown>;
  validateLabels(s['matchLabels'], `${field}.matchLabels`, out);
  const exprs = Array.isArray(s['matchExpressions']) ? s['matchExpressions'] : [];
  exprs.forEach((e, i) => {
    if (e === null || typeof e !== 'object') return;
    const x = e as Record<string, unknown>;
    const f = `${field}.matchExpressions[${i}]`;
    const op = typeof x['operator'] === 'string' ? x['operator'] : '';
    const values = Array.isArray(x['values']) ? x['values'] : [];
    if (!SELECTOR_OPERATORS.includes(op)) out.push(fe.invalid(`${f}.operator`, op, 'not a valid selector operator'));
    else if ((op === 'In' || op === 'NotIn') && values.length === 0) out.push(fe.required(`${f}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    else if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) out.push(fe.forbidden(`${f}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    const key = typeof x['key'] === 'string' ? x['key'] : '';
    for (const m of isQualifiedName(key)) out.push(fe.invalid(`${f}.key`, key, m));
  });
}

/** ValidateObjectMetaUpdate: the fields the server owns cannot change. */
export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject, out: Causes): void {
  // name, namespace, uid and creationTimestamp are restored by the API before admission;
  // generateName may not be changed once set.
  const a = obj.metadata.generateName;
  const b = old.metadata.generateName;
  if (b !== undefined && a !== undefined && a !== b) out.push(fe.immutable('metadata.generateName', a));
}
