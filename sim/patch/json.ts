// Small helpers over plain JSON values, shared by the patch modules.
import _ from 'lodash';
import { deepClone } from '../object.js';

export type JsonObject = { [k: string]: unknown };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function cloneJson<T>(v: T): T {
  return deepClone(v);
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // For two non-objects _.isEqual is `===` with NaN equal to itself; answer that without its setup.
  if ((typeof a !== 'object' || a === null) && (typeof b !== 'object' || b === null)) return a !== a && b !== b;
  return _.isEqual(a, b);
}

/** Short JSON rendering of a value for error messages. */
export function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}
