// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`) as
// kube-apiserver applies it to built-in types. Semantics from the sig-api-machinery
// strategic-merge-patch design doc and the "preserve order" proposal:
//
// - maps merge recursively; `null` deletes a key; a key absent from the original takes
//   the patch value (with nulls and directives inside it resolved, as the server's
//   IgnoreUnmatchedNulls does);
// - lists whose field is tagged `patchStrategy:"merge"` merge: lists of objects by their
//   `patchMergeKey`, lists of primitives as a set; every other list is replaced whole;
// - `$patch: replace` (map or list marker element), `$patch: delete` (map, or list element
//   naming the merge key), `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
//   `$setElementOrder/<field>` directives.
//
// Ordering of a merged list follows the apiserver: items named by the patch (or by
// `$setElementOrder`) keep the patch's relative order, items only on the server keep the
// server's relative order, and the two are interleaved by their positions in the server
// list, a patch item winning whenever either position is unknown. So an item added by a
// patch without `$setElementOrder` lands *before* the server's items, as on a real cluster.
import { PatchError } from './errors.js';
import { cloneJson, describe, isJsonObject, jsonEqual, type JsonObject } from './json.js';
import type { FieldMeta, StructMeta } from './patch-meta.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

const DELETED: unique symbol = Symbol('deleted');
type Merged = JsonObject | typeof DELETED;

function bad(message: string): PatchError {
  return new PatchError('BadRequest', message);
}

/**
 * Applies `patch` to a copy of `original` with the given schema; `original` and `patch`
 * are left untouched. Throws PatchError on a malformed patch.
 */
export function strategicMergePatch(original: JsonObject, patch: unknown, schema: StructMeta | undefined): JsonObject {
  if (!isJsonObject(patch)) throw bad(`a strategic merge patch must be a JSON object, got ${describe(patch)}`);
  const merged = mergeMap(cloneJson(original), patch, schema, '');
  if (merged === DELETED) throw bad('a strategic merge patch cannot delete the whole object ($patch: delete at the top level)');
  return merged;
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/** Merges `patch` into `target`, which the caller owns and which may be mutated. */
function mergeMap(target: JsonObject, patch: JsonObject, schema: StructMeta | undefined, path: string): Merged {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    if (directive === 'delete') return DELETED;
    if (directive === 'replace') {
      const rest = { ...patch };
      delete rest[DIRECTIVE];
      return mergeMap({}, rest, schema, path);
    }
    // `merge` is the default for maps; accept it rather than fail a harmless patch.
    if (directive !== 'merge') throw bad(`unknown patch type ${describe(directive)} in map at ${path || '<root>'}`);
  }

  if (RETAIN_KEYS in patch) applyRetainKeys(target, patch, path);

  const ordered = new Set<string>();
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    if (applyElementOrder(target, patch, field, schema?.fields[field], join(path, field))) ordered.add(field);
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (ordered.has(key)) continue;
    const meta = schema?.fields[key];
    const at = join(path, key);
    if (value === null) {
      delete target[key];
      continue;
    }
    const current = target[key];
    if (isJsonObject(current) && isJsonObject(value) && meta?.strategy !== 'replace') {
      const merged = mergeMap(current, value, meta?.schema, at);
      if (merged === DELETED) delete target[key];
      else target[key] = merged;
    } else if (Array.isArray(current) && Array.isArray(value)) {
      const merged = mergeList(current, value, meta, at);
      if (merged.length === 0 && value.length > 0) delete target[key];
      else target[key] = merged;
    } else {
      const fresh = freshValue(value, meta, at);
      // A fresh list emptied by its own `$patch: delete` items adds nothing.
      const emptied = Array.isArray(fresh) && fresh.length === 0 && Array.isArray(value) && value.length > 0;
      if (fresh === DELETED || emptied) delete target[key];
      else target[key] = fresh;
    }
  }

  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    if (!Array.isArray(value)) throw bad(`${key} must be a list of values, got ${describe(value)}`);
    const current = target[field];
    if (!Array.isArray(current)) continue;
    const kept = current.filter((item) => !value.some((v) => jsonEqual(v, item)));
    if (kept.length === 0) delete target[field];
    else target[field] = kept;
  }
  return target;
}

/** A patch value for a key the original lacks (or holds with another type): resolve its directives and nulls. */
function freshValue(value: unknown, meta: FieldMeta | undefined, path: string): unknown {
  if (isJsonObject(value)) return mergeMap({}, value, meta?.schema, path);
  if (Array.isArray(value)) return mergeList([], value, meta, path);
  return value;
}

function applyRetainKeys(target: JsonObject, patch: JsonObject, path: string): void {
  const keep = patch[RETAIN_KEYS];
  if (!Array.isArray(keep) || !keep.every((k) => typeof k === 'string')) {
    throw bad(`$retainKeys at ${path || '<root>'} must be a list of field names, got ${describe(keep)}`);
  }
  const retained = new Set<string>(keep as string[]);
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$') || value === null) continue;
    if (!retained.has(key)) throw bad(`field ${join(path, key)} is in the patch but not in its $retainKeys list ${describe(keep)}`);
  }
  for (const key of Object.keys(target)) if (!retained.has(key)) delete target[key];
}

const isMergeStrategy = (meta: FieldMeta | undefined): boolean => meta?.strategy === 'merge' || meta?.strategy === 'merge,retainKeys';

function mergeList(original: unknown[], patch: unknown[], meta: FieldMeta | undefined, path: string): unknown[] {
  if (!isMergeStrategy(meta)) return cloneJson(patch);
  if (original.length === 0 && patch.length === 0) return original;

  const all = [...original, ...patch];
  if (all.some(Array.isArray)) throw new PatchError('Invalid', `lists of lists cannot be merged (at ${path})`);
  const objects = all.filter(isJsonObject).length;
  if (objects > 0 && objects < all.length) throw bad(`the list at ${path} mixes objects and plain values`);

  if (objects === 0) {
    const merged = dedupe([...original, ...cloneJson(patch)]);
    return orderMerged(merged, patch, original, undefined);
  }

  const mergeKey = meta?.mergeKey;
  if (!mergeKey) throw bad(`cannot merge the list at ${path}: it has no merge key`);
  let server = original as JsonObject[];
  const plain: JsonObject[] = [];
  let replace = false;
  for (const item of patch as JsonObject[]) {
    const directive = item[DIRECTIVE];
    if (directive === undefined) {
      plain.push(item);
    } else if (directive === 'delete') {
      if (!(mergeKey in item)) throw bad(`${describe(item)} in ${path} does not contain declared merge key: ${mergeKey}`);
      server = server.filter((s) => !jsonEqual(s[mergeKey], item[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw bad(`merging lists cannot yet be specified in the patch (at ${path})`);
    } else {
      throw bad(`unknown patch type ${describe(directive)} in list ${path}`);
    }
  }
  if (replace) return plain.map((item, i) => freshMap(item, meta, `${path}[${i}]`));

  const merged: JsonObject[] = [...server];
  for (const item of plain) {
    if (!(mergeKey in item)) throw bad(`${describe(item)} in ${path} does not contain declared merge key: ${mergeKey}`);
    const at = `${path}[${mergeKey}=${describe(item[mergeKey])}]`;
    const index = merged.findIndex((s) => jsonEqual(s[mergeKey], item[mergeKey]));
    if (index >= 0) {
      const result = mergeMap(merged[index]!, item, meta?.schema, at);
      if (result === DELETED) merged.splice(index, 1);
      else merged[index] = result;
    } else {
      merged.push(freshMap(item, meta, at));
    }
  }
  return orderMerged(merged, plain, server, mergeKey);
}

function freshMap(item: JsonObject, meta: FieldMeta | undefined, path: string): JsonObject {
  const result = mergeMap({}, item, meta?.schema, path);
  return result === DELETED ? {} : result;
}

function dedupe(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) if (!out.some((o) => jsonEqual(o, v))) out.push(v);
  return out;
}

/**
 * Handles `$setElementOrder/<field>`: merges the field's patch list (if any) and orders
 * the result by the directive. Returns false when the field is left to the main loop.
 */
function applyElementOrder(target: JsonObject, patch: JsonObject, field: string, meta: FieldMeta | undefined, path: string): boolean {
  const order = patch[SET_ELEMENT_ORDER + field];
  if (!Array.isArray(order)) throw bad(`${SET_ELEMENT_ORDER}${field} must be a list, got ${describe(order)}`);
  const patchList = patch[field];
  if (patchList !== undefined && !Array.isArray(patchList)) return false;
  const current = target[field];
  const original = Array.isArray(current) ? current : undefined;
  if (!original && !patchList) return true;

  const mergeKey = meta?.mergeKey;
  const mapsInOrder = order.some(isJsonObject);
  if (mapsInOrder) {
    if (!mergeKey) throw bad(`${SET_ELEMENT_ORDER}${field} lists objects but ${path} has no merge key`);
    for (const o of order) {
      if (!isJsonObject(o) || !(mergeKey in o)) throw bad(`${describe(o)} in ${SET_ELEMENT_ORDER}${field} does not contain declared merge key: ${mergeKey}`);
    }
  }
  if (patchList) checkPatchFollowsOrder(patchList, order, mapsInOrder ? mergeKey : undefined, path);

  let merged: unknown[];
  if (original && patchList) merged = mergeList(original, patchList, meta, path);
  else if (original) merged = original;
  else merged = mergeList([], patchList ?? [], meta, path);

  const keyed = merged.some(isJsonObject);
  if (keyed && !mergeKey) {
    target[field] = merged;
    return true;
  }
  const result = orderMerged(merged, order, original ?? [], keyed ? mergeKey : undefined);
  if (result.length === 0 && original) delete target[field];
  else target[field] = result;
  return true;
}

function checkPatchFollowsOrder(patchList: unknown[], order: unknown[], mergeKey: string | undefined, path: string): void {
  const index = indexBy(order, mergeKey);
  let last = -1;
  for (const item of patchList) {
    if (isJsonObject(item) && item[DIRECTIVE] !== undefined) continue;
    const at = index.get(keyOf(item, mergeKey));
    if (at === undefined || at < last) {
      throw bad(`the order of the patch list at ${path} does not match its $setElementOrder list: ${describe(item)} is missing or out of place`);
    }
    last = at;
  }
}

function keyOf(item: unknown, mergeKey: string | undefined): string {
  const k = mergeKey !== undefined && isJsonObject(item) ? item[mergeKey] : item;
  return JSON.stringify(k) ?? 'undefined';
}

/** Position of each item's key in `list` (first occurrence wins). */
function indexBy(list: readonly unknown[], mergeKey: string | undefined): Map<string, number> {
  const index = new Map<string, number>();
  list.forEach((item, i) => {
    const k = keyOf(item, mergeKey);
    if (!index.has(k)) index.set(k, i);
  });
  return index;
}

/**
 * Orders a merged list: the items named in `patchOrder` in that order, the rest in server
 * order, interleaved by server position (see the module comment).
 */
function orderMerged<T>(merged: T[], patchOrder: readonly unknown[], serverOrder: readonly unknown[], mergeKey: string | undefined): T[] {
  const inPatch = indexBy(patchOrder, mergeKey);
  const inServer = indexBy(serverOrder, mergeKey);
  const fromPatch = sortBy(merged.filter((m) => inPatch.has(keyOf(m, mergeKey))), inPatch, mergeKey);
  const serverOnly = sortBy(merged.filter((m) => !inPatch.has(keyOf(m, mergeKey))), inServer, mergeKey);

  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length && j < fromPatch.length) {
    const si = inServer.get(keyOf(serverOnly[i], mergeKey));
    const pi = inServer.get(keyOf(fromPatch[j], mergeKey));
    if (si !== undefined && pi !== undefined && si < pi) out.push(serverOnly[i++]!);
    else out.push(fromPatch[j++]!);
  }
  while (i < serverOnly.length) out.push(serverOnly[i++]!);
  while (j < fromPatch.length) out.push(fromPatch[j++]!);
  return out;
}

/** Stable sort by position in `index`; items without a position go first, in their current order. */
function sortBy<T>(items: T[], index: Map<string, number>, mergeKey: string | undefined): T[] {
  return items
    .map((item, pos) => ({ item, pos, at: index.get(keyOf(item, mergeKey)) ?? -1 }))
    .sort((a, b) => a.at - b.at || a.pos - b.pos)
    .map((d) => d.item);
}
