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
const DOLLAR = 0x24; // '$': every directive key starts with it

const DELETED: unique symbol = Symbol('deleted');
type Merged = JsonObject | typeof DELETED;

function bad(message: string): PatchError {
  return new PatchError('BadRequest', message);
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/**
 * Where a value sits in the patched object, for error messages (`spec.containers[name="app"].env`).
 * Rendering a list item JSON-encodes its merge key, and a patch that succeeds never needs the
 * text, so a path is kept as a chain of steps and rendered only when an error is thrown.
 */
const FIELD = 0;
const KEYED = 1;
const INDEX = 2;

class Path {
  static readonly ROOT = new Path(undefined, FIELD, '', undefined);

  private constructor(
    private readonly parent: Path | undefined,
    private readonly kind: typeof FIELD | typeof KEYED | typeof INDEX,
    /** The field name, or a list item's merge key. */
    private readonly name: string,
    /** A list item's merge-key value, or its index. */
    private readonly value: unknown,
  ) {}

  field(key: string): Path {
    return new Path(this, FIELD, key, undefined);
  }

  /** A list item named by its merge key. */
  keyed(mergeKey: string, value: unknown): Path {
    return new Path(this, KEYED, mergeKey, value);
  }

  /** A list item named by its position. */
  index(i: number): Path {
    return new Path(this, INDEX, '', i);
  }

  /** The path text; `''` at the root. */
  text(): string {
    if (!this.parent) return '';
    const base = this.parent.text();
    if (this.kind === FIELD) return join(base, this.name);
    if (this.kind === KEYED) return `${base}[${this.name}=${describe(this.value)}]`;
    return `${base}[${String(this.value)}]`;
  }
}

/**
 * Applies `patch` to a copy of `original` with the given schema; `original` and `patch`
 * are left untouched. Throws PatchError on a malformed patch.
 */
export function strategicMergePatch(original: JsonObject, patch: unknown, schema: StructMeta | undefined): JsonObject {
  if (!isJsonObject(patch)) throw bad(`a strategic merge patch must be a JSON object, got ${describe(patch)}`);
  const merged = mergeMap(cloneJson(original), patch, schema, Path.ROOT);
  if (merged === DELETED) throw bad('a strategic merge patch cannot delete the whole object ($patch: delete at the top level)');
  return merged;
}

/** Merges `patch` into `target`, which the caller owns and which may be mutated. */
function mergeMap(target: JsonObject, patch: JsonObject, schema: StructMeta | undefined, path: Path): Merged {
  const keys = Object.keys(patch);
  // Most maps carry no directive at all: one pass, no directive bookkeeping.
  let directives = false;
  for (const key of keys) {
    if (key.charCodeAt(0) === DOLLAR) {
      directives = true;
      break;
    }
  }
  if (!directives) {
    for (const key of keys) mergeField(target, key, patch[key], schema, path);
    return target;
  }

  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    if (directive === 'delete') return DELETED;
    if (directive === 'replace') {
      const rest = { ...patch };
      delete rest[DIRECTIVE];
      return mergeMap({}, rest, schema, path);
    }
    // `merge` is the default for maps; accept it rather than fail a harmless patch.
    if (directive !== 'merge') throw bad(`unknown patch type ${describe(directive)} in map at ${path.text() || '<root>'}`);
  }

  if (RETAIN_KEYS in patch) applyRetainKeys(target, patch, path);

  let ordered: Set<string> | undefined;
  for (const key of keys) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    if (applyElementOrder(target, patch, field, schema?.fields[field], path.field(field))) (ordered ??= new Set()).add(field);
  }

  for (const key of keys) {
    if (key.charCodeAt(0) === DOLLAR) {
      if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    }
    if (ordered?.has(key)) continue;
    mergeField(target, key, patch[key], schema, path);
  }

  for (const key of keys) {
    if (!key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    const value = patch[key];
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

/** Merges one (non-directive) key of a patch map into `target`. */
function mergeField(target: JsonObject, key: string, value: unknown, schema: StructMeta | undefined, path: Path): void {
  if (value === null) {
    delete target[key];
    return;
  }
  // A scalar replaces whatever is there (freshValue would return it unchanged).
  if (typeof value !== 'object') {
    target[key] = value;
    return;
  }
  const meta = schema?.fields[key];
  const current = target[key];
  if (isJsonObject(current) && isJsonObject(value) && meta?.strategy !== 'replace') {
    const merged = mergeMap(current, value, meta?.schema, path.field(key));
    if (merged === DELETED) delete target[key];
    else target[key] = merged;
  } else if (Array.isArray(current) && Array.isArray(value)) {
    const merged = mergeList(current, value, meta, path.field(key));
    if (merged.length === 0 && value.length > 0) delete target[key];
    else target[key] = merged;
  } else {
    const fresh = freshValue(value, meta, path.field(key));
    // A fresh list emptied by its own `$patch: delete` items adds nothing.
    const emptied = Array.isArray(fresh) && fresh.length === 0 && Array.isArray(value) && value.length > 0;
    if (fresh === DELETED || emptied) delete target[key];
    else target[key] = fresh;
  }
}

/** A patch value for a key the original lacks (or holds with another type): resolve its directives and nulls. */
function freshValue(value: unknown, meta: FieldMeta | undefined, path: Path): unknown {
  if (isJsonObject(value)) return mergeMap({}, value, meta?.schema, path);
  if (Array.isArray(value)) return mergeList([], value, meta, path);
  return value;
}

function applyRetainKeys(target: JsonObject, patch: JsonObject, path: Path): void {
  const keep = patch[RETAIN_KEYS];
  if (!Array.isArray(keep) || !keep.every((k) => typeof k === 'string')) {
    throw bad(`$retainKeys at ${path.text() || '<root>'} must be a list of field names, got ${describe(keep)}`);
  }
  const retained = new Set<string>(keep as string[]);
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$') || value === null) continue;
    if (!retained.has(key)) throw bad(`field ${join(path.text(), key)} is in the patch but not in its $retainKeys list ${describe(keep)}`);
  }
  for (const key of Object.keys(target)) if (!retained.has(key)) delete target[key];
}

const isMergeStrategy = (meta: FieldMeta | undefined): boolean => meta?.strategy === 'merge' || meta?.strategy === 'merge,retainKeys';

function mergeList(original: unknown[], patch: unknown[], meta: FieldMeta | undefined, path: Path): unknown[] {
  if (!isMergeStrategy(meta)) return cloneJson(patch);
  if (original.length === 0 && patch.length === 0) return original;

  let objects = 0;
  let lists = false;
  for (const item of original) {
    if (Array.isArray(item)) lists = true;
    else if (isJsonObject(item)) objects++;
  }
  for (const item of patch) {
    if (Array.isArray(item)) lists = true;
    else if (isJsonObject(item)) objects++;
  }
  if (lists) throw new PatchError('Invalid', `lists of lists cannot be merged (at ${path.text()})`);
  const total = original.length + patch.length;
  if (objects > 0 && objects < total) throw bad(`the list at ${path.text()} mixes objects and plain values`);

  if (objects === 0) {
    const merged = dedupe([...original, ...cloneJson(patch)]);
    // With no server items, dedupe has already left the patch order that orderMerged would
    // produce, as long as its keys (JSON text) agree with dedupe's equality: true of strings and numbers.
    if (original.length === 0 && merged.every(isSimpleKey)) return merged;
    return orderMerged(merged, patch, original, undefined);
  }

  const mergeKey = meta?.mergeKey;
  if (!mergeKey) throw bad(`cannot merge the list at ${path.text()}: it has no merge key`);
  let server = original as JsonObject[];
  let plain = patch as JsonObject[];
  let replace = false;
  // Directive items are rare: only copy the lists when one turns up.
  for (let i = 0; i < patch.length; i++) {
    const item = patch[i] as JsonObject;
    const directive = item[DIRECTIVE];
    if (directive === undefined) {
      if (plain !== patch) plain.push(item);
      continue;
    }
    if (plain === patch) plain = (patch as JsonObject[]).slice(0, i);
    if (directive === 'delete') {
      if (!(mergeKey in item)) throw bad(`${describe(item)} in ${path.text()} does not contain declared merge key: ${mergeKey}`);
      server = server.filter((s) => !jsonEqual(s[mergeKey], item[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw bad(`merging lists cannot yet be specified in the patch (at ${path.text()})`);
    } else {
      throw bad(`unknown patch type ${describe(directive)} in list ${path.text()}`);
    }
  }
  if (replace) return plain.map((item, i) => freshMap(item, meta, path.index(i)));

  const merged: JsonObject[] = server.slice();
  // orderMerged can be skipped when there are no server items and every merge key is a
  // string or number: merged then holds one item per distinct key in order of the key's
  // first appearance in the patch, which is exactly the order orderMerged would give.
  let simple = server.length === 0;
  for (const item of plain) {
    if (!(mergeKey in item)) throw bad(`${describe(item)} in ${path.text()} does not contain declared merge key: ${mergeKey}`);
    const key = item[mergeKey];
    let index = -1;
    for (let k = 0; k < merged.length; k++) {
      if (jsonEqual(merged[k]![mergeKey], key)) {
        index = k;
        break;
      }
    }
    if (index >= 0) {
      const result = mergeMap(merged[index]!, item, meta?.schema, path.keyed(mergeKey, key));
      if (result === DELETED) merged.splice(index, 1);
      else merged[index] = result;
    } else {
      const fresh = freshMap(item, meta, path.keyed(mergeKey, key));
      merged.push(fresh);
      if (simple && !(isSimpleKey(key) && fresh[mergeKey] === key)) simple = false;
    }
  }
  return simple ? merged : orderMerged(merged, plain, server, mergeKey);
}

function freshMap(item: JsonObject, meta: FieldMeta | undefined, path: Path): JsonObject {
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
function applyElementOrder(target: JsonObject, patch: JsonObject, field: string, meta: FieldMeta | undefined, path: Path): boolean {
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
    if (!mergeKey) throw bad(`${SET_ELEMENT_ORDER}${field} lists objects but ${path.text()} has no merge key`);
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

function checkPatchFollowsOrder(patchList: unknown[], order: unknown[], mergeKey: string | undefined, path: Path): void {
  const index = indexBy(order, mergeKey);
  let last = -1;
  for (const item of patchList) {
    if (isJsonObject(item) && item[DIRECTIVE] !== undefined) continue;
    const at = index.get(keyOf(item, mergeKey));
    if (at === undefined || at < last) {
      throw bad(`the order of the patch list at ${path.text()} does not match its $setElementOrder list: ${describe(item)} is missing or out of place`);
    }
    last = at;
  }
}

const isSimpleKey = (v: unknown): v is string | number => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/**
 * The identity of an item for ordering: its merge-key value (or the item itself, for a list
 * of primitives), as text that is equal exactly when the values' JSON texts are. A string
 * gets a bare `"` in front (no JSON text of a non-string starts with one) and a finite number
 * its JSON text, which is its String(); anything else its JSON text.
 */
function keyOf(item: unknown, mergeKey: string | undefined): string {
  const k = keyValue(item, mergeKey);
  if (typeof k === 'string') return `"${k}`;
  if (typeof k === 'number' && Number.isFinite(k)) return String(k);
  return JSON.stringify(k) ?? 'undefined';
}

/** Position of each item's key in `list` (first occurrence wins). */
function indexBy(list: readonly unknown[], mergeKey: string | undefined, key: KeyFn = keyOf): Map<unknown, number> {
  const index = new Map<unknown, number>();
  for (let i = 0; i < list.length; i++) {
    const k = key(list[i], mergeKey);
    if (!index.has(k)) index.set(k, i);
  }
  return index;
}

type KeyFn = (item: unknown, mergeKey: string | undefined) => unknown;

const keyValue = (item: unknown, mergeKey: string | undefined): unknown => (mergeKey !== undefined && isJsonObject(item) ? item[mergeKey] : item);

/**
 * When every key in play is a string or a finite number, the key values themselves can key
 * the maps: Map tells 1 from "1" and, like JSON, 0 from nothing else but -0. That skips
 * building (and hashing) a new string per lookup.
 */
function allSimpleKeys(lists: ReadonlyArray<readonly unknown[]>, mergeKey: string | undefined): boolean {
  for (const list of lists) for (const item of list) if (!isSimpleKey(keyValue(item, mergeKey))) return false;
  return true;
}

/** A merged item with what ordering needs, its key looked up once. */
interface Ranked<T> {
  item: T;
  /** Position in the merged list: the tie-break that keeps the sort stable. */
  pos: number;
  /** Position in the order it is sorted by; -1 when it has none. */
  at: number;
  /** Position in the server list, if it has one. */
  server: number | undefined;
}

/**
 * Orders a merged list: the items named in `patchOrder` in that order, the rest in server
 * order, interleaved by server position (see the module comment).
 */
function orderMerged<T>(merged: T[], patchOrder: readonly unknown[], serverOrder: readonly unknown[], mergeKey: string | undefined): T[] {
  const key = allSimpleKeys([merged, patchOrder, serverOrder], mergeKey) ? keyValue : keyOf;
  const inPatch = indexBy(patchOrder, mergeKey, key);
  const inServer = indexBy(serverOrder, mergeKey, key);
  const fromPatch: Ranked<T>[] = [];
  const serverOnly: Ranked<T>[] = [];
  for (let pos = 0; pos < merged.length; pos++) {
    const item = merged[pos]!;
    const k = key(item, mergeKey);
    const p = inPatch.get(k);
    const server = inServer.get(k);
    if (p !== undefined) fromPatch.push({ item, pos, at: p, server });
    else serverOnly.push({ item, pos, at: server ?? -1, server });
  }
  // Stable by construction: ties fall back to the merged position.
  fromPatch.sort(byRank);
  serverOnly.sort(byRank);

  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length && j < fromPatch.length) {
    const si = serverOnly[i]!.server;
    const pi = fromPatch[j]!.server;
    if (si !== undefined && pi !== undefined && si < pi) out.push(serverOnly[i++]!.item);
    else out.push(fromPatch[j++]!.item);
  }
  while (i < serverOnly.length) out.push(serverOnly[i++]!.item);
  while (j < fromPatch.length) out.push(fromPatch[j++]!.item);
  return out;
}

const byRank = <T>(a: Ranked<T>, b: Ranked<T>): number => a.at - b.at || a.pos - b.pos;
