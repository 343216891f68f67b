// Field-selector values per storage collection, precomputed at write time so LIST and
// WATCH filter without parsing objects. The per-resource field table lives in
// selectors.ts (one table for parsing and for values).
import type { KubeObject } from './object.js';
import { selectableFieldsOf, supportedFieldSelectors } from './selectors.js';

/** The field names that may appear in a fieldSelector for a storage key. */
export function supportedFields(storageKey: string): string[] {
  return supportedFieldSelectors(storageKey);
}

export function fieldsFnFor(storageKey: string): (obj: KubeObject) => Record<string, string> {
  return selectableFieldsOf(storageKey);
}
