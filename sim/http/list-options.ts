// The rules kube-apiserver's ValidateListOptions adds for `sendInitialEvents`, the
// watch-list option (KEP-3157; the WatchList feature is on in 1.32): a watch that asks for
// it must say resourceVersionMatch=NotOlderThan, and a plain list may not ask for it.
// Broken rules are one 422 naming every field, worded as kube words them.

import { ApiError } from '../errors.js';
import { q1, qOptionalBool, type Query } from './query.js';

interface FieldError {
  field: string;
  reason: 'FieldValueForbidden' | 'FieldValueNotSupported';
  /** "Forbidden: …" or "Unsupported value: …", as field.Error prints its type and detail. */
  message: string;
}

const forbidden = (field: string, detail: string): FieldError => ({ field, reason: 'FieldValueForbidden', message: `Forbidden: ${detail}` });

/** kube's NewInvalid for ListOptions: one error inline, several as a bracketed list. */
function invalidListOptions(errors: FieldError[]): ApiError {
  const each = errors.map((e) => `${e.field}: ${e.message}`);
  const summary = each.length === 1 ? each[0]! : `[${each.join(', ')}]`;
  return new ApiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${summary}`, {
    group: 'meta.k8s.io',
    kind: 'ListOptions',
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

/** A list (not a watch): `sendInitialEvents` is a watch option. */
export function validateListOnlyOptions(query: Query): void {
  if (qOptionalBool(query, 'sendInitialEvents') !== undefined) {
    throw invalidListOptions([forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list')]);
  }
}

/**
 * A watch's options checked as validateWatchOptions does; returns `sendInitialEvents`
 * (undefined when not given: the legacy watch, whose start depends on resourceVersion alone).
 */
export function validateWatchOptions(query: Query): boolean | undefined {
  const sendInitialEvents = qOptionalBool(query, 'sendInitialEvents');
  const match = q1(query, 'resourceVersionMatch') ?? '';
  const errors: FieldError[] = [];
  if (sendInitialEvents !== undefined && match !== 'NotOlderThan') {
    errors.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
  }
  if (match !== '') {
    if (sendInitialEvents === undefined) errors.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (match !== 'NotOlderThan') {
      errors.push({ field: 'resourceVersionMatch', reason: 'FieldValueNotSupported', message: `Unsupported value: "${match}": supported values: "NotOlderThan"` });
    }
    if (q1(query, 'continue')) errors.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  if (errors.length) throw invalidListOptions(errors);
  return sendInitialEvents;
}
