// Field errors worded as k8s.io/apimachinery/pkg/util/validation/field words them, and the
// 422 Invalid status kube-apiserver builds from them ("Pod \"x\" is invalid: [a, b]").
import { ApiError, type StatusCause } from '../errors.js';

export type Causes = StatusCause[];

/** How field.Error prints a value: strings quoted, numbers and booleans bare, the rest as JSON. */
export function fmtValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === undefined || v === null) return 'null';
  return JSON.stringify(v);
}

export const fe = {
  invalid(field: string, value: unknown, detail: string): StatusCause {
    return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${fmtValue(value)}${detail ? `: ${detail}` : ''}` };
  },
  required(field: string, detail = ''): StatusCause {
    return { reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
  },
  notSupported(field: string, value: unknown, values: readonly string[]): StatusCause {
    const list = values.map((v) => JSON.stringify(v)).join(', ');
    return { reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${fmtValue(value)}: supported values: ${list}` };
  },
  forbidden(field: string, detail: string): StatusCause {
    return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
  },
  duplicate(field: string, value: unknown): StatusCause {
    return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${fmtValue(value)}` };
  },
  tooLong(field: string, max: number): StatusCause {
    return { reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` };
  },
  immutable(field: string, value: unknown): StatusCause {
    return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${fmtValue(value)}: field is immutable` };
  },
};

/** "Pod" for the core group, "Deployment.apps" otherwise: kube's qualified kind. */
export function qualifiedKind(kind: string, group: string): string {
  return group ? `${kind}.${group}` : kind;
}

/** The 422 kube-apiserver returns for field errors; one error is printed bare, several in brackets. */
export function invalidError(kind: string, group: string, name: string, causes: Causes): ApiError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const summary = parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualifiedKind(kind, group)} "${name}" is invalid: ${summary}`, {
    name,
    group,
    kind,
    causes,
  });
}
