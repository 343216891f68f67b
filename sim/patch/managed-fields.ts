// Field ownership for server-side apply: the `metadata.managedFields` entries, the
// FieldsV1 set format they carry, and the two walks over objects that everything else is
// built from — "which fields does this value set" (an applied configuration's set) and
// "which fields differ between two objects" (what a write changed).
//
// A field set is a Set of paths; a path is its elements joined by NUL, each element in
// FieldsV1 spelling: `f:<field>` (struct field or map key), `k:{"name":"main"}` (an item
// of an associative list, named by its keys), `v:"x"` (an item of a set list). FieldsV1
// is the same set as a trie: a member with no children is `{}`, a member that also has
// children carries `".": {}`.
//
// Which lists are associative comes from the schema the sim already admits objects with
// (sim/schema): the strategic-merge key (`patchMergeKey`, the key sim/patch/patch-meta.ts
// lists) when there is one, else `x-kubernetes-list-map-keys`. So container ports are
// keyed by `containerPort` alone where kube keys them by containerPort and protocol.
// Lists of scalars with `patchStrategy: merge` or `listType: set` are sets; every other
// list is atomic. Fields with no schema (`any`, schemaless custom resources) behave as
// kube's deduced types: objects are granular maps, lists atomic.
//
// Performance: this module runs only for apply requests and for writes to objects that
// already carry managedFields (see trackUpdate); ordinary create/update/patch never call it.
import { resolve } from '../schema/dsl.js';
import type { Node } from '../schema/types.js';
import { isJsonObject, jsonEqual, type JsonObject } from './json.js';

// ---------------------------------------------------------------- shapes

/** What server-side apply needs to know about a field: how it merges and how its items are named. */
export type Shape =
  | { readonly t: 'struct'; readonly fields: Readonly<Record<string, Node>>; readonly open: boolean }
  | { readonly t: 'map'; readonly values: Node | undefined; readonly atomic: boolean }
  | { readonly t: 'list'; readonly type: 'atomic' | 'set' | 'map'; readonly keys: readonly string[]; readonly items: Node | undefined }
  | { readonly t: 'scalar' };

const SCALAR: Shape = { t: 'scalar' };
/** A field with no schema, holding an object: kube's deduced map (granular, values untyped). */
const DEDUCED_MAP: Shape = { t: 'map', values: undefined, atomic: false };
const ATOMIC_LIST: Shape = { t: 'list', type: 'atomic', keys: [], items: undefined };

const shapes = new WeakMap<Node, Shape>();

/** The shape of a schema node; `undefined` (no schema) is decided by the value. */
export function shapeOf(node: Node | undefined, value: unknown): Shape {
  if (!node) return isJsonObject(value) ? DEDUCED_MAP : Array.isArray(value) ? ATOMIC_LIST : SCALAR;
  const hit = shapes.get(node);
  if (hit) return hit;
  const n = resolve(node);
  let s: Shape;
  switch (n.type) {
    case 'object':
      s = { t: 'struct', fields: n.properties, open: n.preserveUnknown === true };
      break;
    case 'map':
      s = { t: 'map', values: n.values, atomic: n.mapType === 'atomic' };
      break;
    case 'list': {
      const merge = (n.patchStrategy ?? '').includes('merge');
      const items = resolve(n.items);
      const scalarItems = items.type !== 'object' && items.type !== 'map' && items.type !== 'list' && items.type !== 'any';
      if (n.patchMergeKey && merge) s = { t: 'list', type: 'map', keys: [n.patchMergeKey], items: n.items };
      else if (n.listType === 'map' && n.listMapKeys && n.listMapKeys.length > 0) s = { t: 'list', type: 'map', keys: n.listMapKeys, items: n.items };
      else if (n.listType === 'set' || (merge && scalarItems && n.listType !== 'atomic')) s = { t: 'list', type: 'set', keys: [], items: n.items };
      else s = { t: 'list', type: 'atomic', keys: [], items: n.items };
      break;
    }
    case 'any':
      return shapeOf(undefined, value);
    default:
      s = SCALAR;
  }
  shapes.set(node, s);
  return s;
}

/** The schema node of a struct field or map value (`undefined`: no schema). */
function childNode(shape: Shape, key: string): Node | undefined {
  if (shape.t === 'struct') return shape.fields[key];
  if (shape.t === 'map') return shape.values;
  return undefined;
}

// ---------------------------------------------------------------- paths

export const SEP = '\u0000';
export type FieldSet = Set<string>;

export const join = (path: string, el: string): string => (path === '' ? el : `${path}${SEP}${el}`);
export const fieldEl = (name: string): string => `f:${name}`;

/** The `k:` element naming an associative-list item; undefined when it lacks a key field. */
export function keyEl(item: unknown, keys: readonly string[]): string | undefined {
  if (!isJsonObject(item)) return undefined;
  const k: JsonObject = {};
  for (const name of [...keys].sort()) {
    if (item[name] === undefined || item[name] === null) return undefined;
    k[name] = item[name];
  }
  return `k:${JSON.stringify(k)}`;
}

export const valueEl = (v: unknown): string => `v:${JSON.stringify(v)}`;

/** The element naming a list item of the given shape (set or associative). */
export function itemEl(shape: Shape, item: unknown): string | undefined {
  if (shape.t !== 'list') return undefined;
  return shape.type === 'map' ? keyEl(item, shape.keys) : shape.type === 'set' ? valueEl(item) : undefined;
}

/** A path as kube prints it in conflicts: `.spec.containers[name="main"].image`. */
export function pathText(path: string): string {
  let out = '';
  for (const el of path.split(SEP)) {
    const body = el.slice(2);
    if (el.startsWith('f:')) out += `.${body}`;
    else if (el.startsWith('k:')) {
      const k = JSON.parse(body) as JsonObject;
      out += `[${Object.keys(k).map((name) => `${name}=${JSON.stringify(k[name])}`).join(',')}]`;
    } else if (el.startsWith('v:')) out += `[=${body}]`;
    else out += `[${body}]`;
  }
  return out;
}

/** True when `set` holds `path` or anything below it. */
export function ownsAtOrBelow(set: FieldSet, path: string): boolean {
  if (set.has(path)) return true;
  const prefix = path + SEP;
  for (const p of set) if (p.startsWith(prefix)) return true;
  return false;
}

// ---------------------------------------------------------------- the walks

/**
 * The fields a value sets (kube's ToFieldSet): scalars, atomic lists and maps, list items,
 * map entries, and struct fields that are null or empty objects. `path` is where it sits.
 */
export function fieldsOf(value: unknown, node: Node | undefined, path: string, out: FieldSet): FieldSet {
  const shape = shapeOf(node, value);
  if (shape.t === 'struct' || shape.t === 'map') {
    if (!isJsonObject(value) || (shape.t === 'map' && shape.atomic)) {
      if (path !== '') out.add(path);
      return out;
    }
    for (const [k, v] of Object.entries(value)) {
      const p = join(path, fieldEl(k));
      const declared = shape.t === 'struct' && shape.fields[k] !== undefined;
      fieldsOf(v, childNode(shape, k), p, out);
      if (!declared || v === null || (isJsonObject(v) && Object.keys(v).length === 0)) out.add(p);
    }
    return out;
  }
  if (shape.t === 'list' && shape.type !== 'atomic' && Array.isArray(value)) {
    for (const item of value) {
      const el = itemEl(shape, item);
      if (el === undefined) continue;
      const p = join(path, el);
      if (shape.type === 'map') fieldsOf(item, shape.items, p, out);
      out.add(p);
    }
    return out;
  }
  if (path !== '') out.add(path);
  return out;
}

/** Every path in a value, containers included: what a write that adds the value "Added". */
function allPaths(value: unknown, node: Node | undefined, path: string, out: FieldSet): void {
  out.add(path);
  const shape = shapeOf(node, value);
  if ((shape.t === 'struct' || (shape.t === 'map' && !shape.atomic)) && isJsonObject(value)) {
    for (const [k, v] of Object.entries(value)) allPaths(v, childNode(shape, k), join(path, fieldEl(k)), out);
  } else if (shape.t === 'list' && shape.type !== 'atomic' && Array.isArray(value)) {
    for (const item of value) {
      const el = itemEl(shape, item);
      if (el === undefined) continue;
      if (shape.type === 'map') allPaths(item, shape.items, join(path, el), out);
      else out.add(join(path, el));
    }
  }
}

export interface Comparison {
  /** Modified or added paths (kube's compare.Modified ∪ compare.Added). */
  changed: FieldSet;
  removed: FieldSet;
}

/**
 * What changed from `a` to `b`. Subtrees the two share by reference are skipped without a
 * look (a status write shares the spec of the object it replaces).
 */
export function compare(a: unknown, b: unknown, node: Node | undefined, path: string, out: Comparison): Comparison {
  if (a === b) return out;
  const shape = shapeOf(node, b === undefined ? a : b);
  if ((shape.t === 'struct' || (shape.t === 'map' && !shape.atomic)) && isJsonObject(a) && isJsonObject(b)) {
    for (const [k, bv] of Object.entries(b)) {
      const p = join(path, fieldEl(k));
      const av = a[k];
      if (av === undefined) allPaths(bv, childNode(shape, k), p, out.changed);
      else compare(av, bv, childNode(shape, k), p, out);
    }
    for (const k of Object.keys(a)) if (b[k] === undefined) out.removed.add(join(path, fieldEl(k)));
    return out;
  }
  if (shape.t === 'list' && shape.type !== 'atomic' && Array.isArray(a) && Array.isArray(b)) {
    const before = new Map<string, unknown>();
    for (const item of a) {
      const el = itemEl(shape, item);
      if (el !== undefined) before.set(el, item);
    }
    const seen = new Set<string>();
    for (const item of b) {
      const el = itemEl(shape, item);
      if (el === undefined) continue;
      seen.add(el);
      const p = join(path, el);
      if (!before.has(el)) {
        if (shape.type === 'map') allPaths(item, shape.items, p, out.changed);
        else out.changed.add(p);
      } else if (shape.type === 'map') compare(before.get(el), item, shape.items, p, out);
    }
    for (const el of before.keys()) if (!seen.has(el)) out.removed.add(join(path, el));
    return out;
  }
  if (!jsonEqual(a, b) && path !== '') out.changed.add(path);
  return out;
}

// ---------------------------------------------------------------- FieldsV1

interface Trie {
  member: boolean;
  children: Map<string, Trie>;
}

/** A field set in the FieldsV1 trie form stored in managedFields (keys sorted, as kube writes them). */
export function toFieldsV1(set: FieldSet): JsonObject {
  const root: Trie = { member: false, children: new Map() };
  for (const path of set) {
    let node = root;
    for (const el of path.split(SEP)) {
      let child = node.children.get(el);
      if (!child) node.children.set(el, (child = { member: false, children: new Map() }));
      node = child;
    }
    node.member = true;
  }
  const render = (node: Trie): JsonObject => {
    const out: JsonObject = {};
    if (node.member && node.children.size > 0) out['.'] = {};
    for (const k of [...node.children.keys()].sort()) out[k] = render(node.children.get(k)!);
    return out;
  };
  return render(root);
}

/** The field set a FieldsV1 trie holds (malformed parts are skipped). */
export function fromFieldsV1(v1: unknown): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: unknown, path: string): void => {
    if (!isJsonObject(node)) return;
    const keys = Object.keys(node);
    if (path !== '' && (keys.length === 0 || node['.'] !== undefined)) out.add(path);
    for (const k of keys) if (k !== '.') walk(node[k], join(path, k));
  };
  walk(v1, '');
  return out;
}

// ---------------------------------------------------------------- entries

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/** An entry decoded for work: its identity and its set. */
export interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string | undefined;
  subresource: string | undefined;
  set: FieldSet;
}

export function decodeManagedFields(entries: unknown): Owner[] {
  if (!Array.isArray(entries)) return [];
  const out: Owner[] = [];
  for (const e of entries) {
    if (!isJsonObject(e) || typeof e['manager'] !== 'string') continue;
    out.push({
      manager: e['manager'],
      operation: e['operation'] === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e['apiVersion'] === 'string' ? e['apiVersion'] : '',
      time: typeof e['time'] === 'string' ? e['time'] : undefined,
      subresource: typeof e['subresource'] === 'string' && e['subresource'] !== '' ? e['subresource'] : undefined,
      set: fromFieldsV1(e['fieldsV1']),
    });
  }
  return out;
}

/** Entries in kube's order (operation, time, manager, apiVersion, subresource); empty sets dropped. */
export function encodeManagedFields(owners: readonly Owner[]): ManagedFieldsEntry[] {
  const seconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return owners
    .filter((o) => o.set.size > 0)
    .sort(
      (p, q) =>
        cmp(p.operation, q.operation) ||
        seconds(p.time) - seconds(q.time) ||
        cmp(p.manager, q.manager) ||
        cmp(p.apiVersion, q.apiVersion) ||
        cmp(p.subresource ?? '', q.subresource ?? ''),
    )
    .map((o) => ({
      manager: o.manager,
      operation: o.operation,
      apiVersion: o.apiVersion,
      ...(o.time !== undefined ? { time: o.time } : {}),
      fieldsType: 'FieldsV1' as const,
      fieldsV1: toFieldsV1(o.set),
      ...(o.subresource !== undefined ? { subresource: o.subresource } : {}),
    }));
}

/** How kube names a manager in a conflict: `"a"`, or `"b" using v1` for an updater. */
export function describeOwner(o: Owner): string {
  let s = JSON.stringify(o.manager);
  if (o.subresource !== undefined) s += ` with subresource ${JSON.stringify(o.subresource)}`;
  if (o.operation === 'Update') s += ` using ${o.apiVersion}`;
  return s;
}

/**
 * Paths apply never records: identity and server-owned metadata (kube's strip set), and
 * `.status` on the main resource of a kind with a status subresource (kube resets it).
 */
export function stripManaged(set: FieldSet, dropStatus: boolean): FieldSet {
  const md = fieldEl('metadata');
  const drop = new Set(['apiVersion', 'kind'].map(fieldEl));
  const dropMeta = new Set(
    ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => join(md, fieldEl(f))),
  );
  for (const p of set) {
    const first = p.indexOf(SEP) < 0 ? p : p.slice(0, p.indexOf(SEP));
    if (p === md || drop.has(first) || (dropStatus && first === 'f:status')) {
      set.delete(p);
      continue;
    }
    for (const m of dropMeta) {
      if (p === m || p.startsWith(m + SEP)) {
        set.delete(p);
        break;
      }
    }
  }
  return set;
}

// ---------------------------------------------------------------- updates

/** kube's default manager for a write that names none: the user agent up to its first "/". */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  const i = ua.indexOf('/');
  return i < 0 ? ua : ua.slice(0, i);
}

export interface UpdateContext {
  /** The schema of the object (undefined: none, fields are deduced). */
  root: Node | undefined;
  apiVersion: string;
  now: string;
  /** The writer; undefined for the simulator's own (in-process) writes, which are not recorded. */
  manager: string | undefined;
  subresource: string | undefined;
  dropStatus: boolean;
}

/**
 * Keeps `next.metadata.managedFields` right after a non-apply write to an object that has
 * them (`old` does): a body without them (or with `[]`) keeps the stored ones, `[{}]`
 * clears them (kube's documented reset), and the writer's `Update` entry takes the fields
 * the write changed from everyone else. Mutates `next.metadata`.
 */
export function trackUpdate(old: JsonObject & { metadata: JsonObject }, next: JsonObject & { metadata: JsonObject }, ctx: UpdateContext): void {
  const sent = next.metadata['managedFields'];
  if (Array.isArray(sent) && sent.length === 1 && isJsonObject(sent[0]) && Object.keys(sent[0]).length === 0) {
    delete next.metadata['managedFields'];
    return;
  }
  const base = Array.isArray(sent) && sent.length > 0 ? sent : old.metadata['managedFields'];
  next.metadata['managedFields'] = base;
  if (ctx.manager === undefined) return;
  const diff = compare(withoutManaged(old), withoutManaged(next), ctx.root, '', { changed: new Set(), removed: new Set() });
  stripManaged(diff.changed, ctx.dropStatus);
  if (diff.changed.size === 0 && diff.removed.size === 0) return;
  const owners = decodeManagedFields(base);
  let mine = owners.find((o) => o.operation === 'Update' && o.manager === ctx.manager && o.apiVersion === ctx.apiVersion && o.subresource === ctx.subresource);
  if (!mine) {
    mine = { manager: ctx.manager, operation: 'Update', apiVersion: ctx.apiVersion, time: ctx.now, subresource: ctx.subresource, set: new Set() };
    owners.push(mine);
  }
  for (const o of owners) {
    for (const p of diff.removed) dropAtOrBelow(o.set, p);
    if (o !== mine) for (const p of diff.changed) o.set.delete(p);
  }
  for (const p of diff.changed) mine.set.add(p);
  if (diff.changed.size > 0) mine.time = ctx.now;
  next.metadata['managedFields'] = encodeManagedFields(owners);
}

/** Removes `path` and everything below it from `set`. */
export function dropAtOrBelow(set: FieldSet, path: string): void {
  set.delete(path);
  const prefix = path + SEP;
  for (const p of set) if (p.startsWith(prefix)) set.delete(p);
}

/** A shallow view of an object without its managedFields (they are not compared). */
function withoutManaged(o: JsonObject & { metadata: JsonObject }): JsonObject {
  const { managedFields: _m, resourceVersion: _rv, generation: _g, ...meta } = o.metadata;
  return { ...o, metadata: meta };
}
