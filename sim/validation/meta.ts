// ValidateObjectMeta: name (or generateName), labels, annotations, finalizers.
import type { KubeObject } from '../object.js';
import { fe, type Causes } from './errors.js';
import { isQualifiedName, isValidLabelValue, nameRuleFor } from './names.js';

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
  if (Array.isArray(meta.finalizers)) {
    meta.finalizers.forEach((f, i) => {
      if (typeof f !== 'string') return;
      // Finalizers without a '/' are reserved for kube's own ("kubernetes", "orphan", ...).
      if (f.includes('/')) for (const m of isQualifiedName(f)) out.push(fe.invalid(`metadata.finalizers[${i}]`, f, m));
    });
  }
}

/** ValidateObjectMetaUpdate: the fields the server owns cannot change. */
export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject, out: Causes): void {
  // name, namespace, uid and creationTimestamp are restored by the API before admission;
  // generateName may not be changed once set.
  const a = obj.metadata.generateName;
  const b = old.metadata.generateName;
  if (b !== undefined && a !== undefined && a !== b) out.push(fe.immutable('metadata.generateName', a));
}
