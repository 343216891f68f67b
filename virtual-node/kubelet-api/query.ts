/**
 * Query parameters as the kubelet reads them: the raw query string (repeated keys kept, as
 * `command` needs), booleans parsed like Go's strconv.ParseBool, integers checked, and a 400
 * that names the parameter when a value does not parse.
 */
import { badRequest } from './status.js';

export function queryOf(url: string): URLSearchParams {
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/** A boolean parameter: absent is false, an empty value is true (`?follow`), else ParseBool's spellings. */
export function boolParam(params: URLSearchParams, key: string): boolean {
  const v = params.get(key);
  if (v === null) return false;
  if (v === '' || TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw badRequest(`${key}: invalid value "${v}": must be a boolean (true or false)`);
}

/** An integer parameter, or undefined when absent or empty. Range checks are the caller's (they are 422s). */
export function intParam(params: URLSearchParams, key: string): number | undefined {
  const v = params.get(key);
  if (v === null || v === '') return undefined;
  if (!/^-?\d{1,15}$/.test(v)) throw badRequest(`${key}: invalid value "${v}": must be an integer`);
  return Number(v);
}

/** An RFC 3339 time parameter, as epoch ms, or undefined. */
export function timeParam(params: URLSearchParams, key: string): number | undefined {
  const v = params.get(key);
  if (v === null || v === '') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw badRequest(`${key}: invalid value "${v}": must be an RFC 3339 time, e.g. 2024-01-02T15:04:05Z`);
  return ms;
}
