// Server-side apply's merge (`application/apply-patch+yaml`), as kube's structured-merge-diff
// does it, over plain JSON: the applied configuration is merged into the live object
// (maps and structs field by field, associative lists item by item by their keys, set
// lists by value, every other list replaced whole); fields this manager applied last time
// and omits now are removed unless another manager owns them; a changed field another
// manager owns is a conflict unless forced, and forcing moves it to the applier.
//
// Pure: takes the live object (or none, for create) and returns the new object with its
// managedFields, or throws ApplyConflictError / ApplyInputError for the HTTP layer to
// render. Field sets and the FieldsV1 format live in ./managed-fields.ts.
import type { Node } from '../schema/types.js';
import { cloneJson, isJsonObject, jsonEqual, type JsonObject } from './json.js';
import {
  compare,
  decodeManagedFields,
  describeOwner,
  dropAtOrBelow,
  encodeManagedFields,
  fieldEl,
  fieldsOf,
  itemEl,
  join,
  ownsAtOrBelow,
  pathText,
  SEP,
  shapeOf,
  stripManaged,
  type FieldSet,
  type Owner,
  type Shape,
} from './managed-fields.js';

/** The manager kube gives the fields of an object that had no managedFields when first applied to. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

export interface ApplyOptions {
  root: Node | undefined;
  manager: string;
  force: boolean;
  now: string;
  /** apiVersion recorded in the entries (the version applied in). */
  apiVersion: string;
  /** 'status' for an apply to the status subresource. */
  subresource?: string;
  /** The kind has a status subresource: the main resource neither merges nor owns `.status`. */
  statusSubresource: boolean;
}

export interface ApplyResult {
  object: JsonObject & { metadata: JsonObject };
  /** False when neither the object nor its managedFields change: nothing to write. */
  changed: boolean;
}

export interface Conflict {
  owner: Owner;
  /** FieldsV1-form path (see managed-fields.ts). */
  path: string;
}

export class ApplyConflictError extends Error {
  constructor(readonly conflicts: readonly Conflict[]) {
    super(conflictMessage(conflicts));
    this.name = 'ApplyConflictError';
  }

  /** The Status causes kube sends: one FieldManagerConflict per field. */
  causes(): Array<{ reason: string; message: string; field: string }> {
    return this.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describeOwner(c.owner)}`, field: pathText(c.path) }));
  }
}

/** A configuration the merge cannot take (an associative-list item without its key). */
export class ApplyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApplyInputError';
  }
}

/** kube's wording: "Apply failed with 1 conflict: conflict with "a": .data.x". */
function conflictMessage(conflicts: readonly Conflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${describeOwner(c.owner)}: ${pathText(c.path)}`;
  }
  const byOwner = new Map<string, string[]>();
  for (const c of conflicts) {
    const who = describeOwner(c.owner);
    byOwner.set(who, [...(byOwner.get(who) ?? []), pathText(c.path)]);
  }
  const lines: string[] = [];
  for (const who of [...byOwner.keys()].sort()) {
    lines.push(`conflicts with ${who}:`);
    for (const p of byOwner.get(who)!) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/**
 * Applies `config` (already decoded and checked against the schema) for `opts.manager`.
 * `live` is the stored object, or undefined when the apply creates it.
 */
export function applyConfiguration(live: (JsonObject & { metadata: JsonObject }) | undefined, config: JsonObject, opts: ApplyOptions): ApplyResult {
  const status = opts.subresource === 'status';
  let cfg: JsonObject = { ...config };
  // The main resource of a kind with a status subresource ignores .status (kube resets it);
  // an apply to the status subresource changes nothing else.
  if (opts.statusSubresource && !status) delete cfg['status'];
  if (status) {
    const meta = isJsonObject(cfg['metadata']) ? cfg['metadata'] : {};
    const id: JsonObject = {};
    for (const k of ['name', 'namespace']) if (meta[k] !== undefined) id[k] = meta[k];
    cfg = { metadata: id, ...(cfg['status'] !== undefined ? { status: cfg['status'] } : {}) };
  }

  const applied = stripManaged(fieldsOf(cfg, opts.root, '', new Set()), opts.statusSubresource && !status);
  if (status) for (const p of applied) if (!p.startsWith('f:status')) applied.delete(p);

  const base: JsonObject = live ? withoutManaged(live) : {};
  const owners = live ? decodeManagedFields(live.metadata['managedFields']) : [];
  if (live && owners.length === 0) {
    // kube: an object without managedFields is first "updated" from nothing by before-first-apply,
    // which so owns every field it has: applying a different value to one is a conflict.
    const all = stripManaged(compare({}, base, opts.root, '', { changed: new Set(), removed: new Set() }).changed, opts.statusSubresource);
    owners.push({ manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: opts.apiVersion, time: opts.now, subresource: undefined, set: all });
  }
  let mine = owners.find((o) => o.operation === 'Apply' && o.manager === opts.manager && o.subresource === opts.subresource);
  const previous: FieldSet = mine ? mine.set : new Set();

  const merged = mergeValue(cloneJson(base), cfg, opts.root, '') as JsonObject;
  if (!isJsonObject(merged['metadata'])) merged['metadata'] = {};

  // Fields applied last time and not now go, unless someone else (or this config, below them) still holds them.
  for (const p of previous) {
    if (applied.has(p) || ownsAtOrBelow(applied, p)) continue;
    if (owners.some((o) => o !== mine && ownsAtOrBelow(o.set, p))) continue;
    removePath(merged, p, opts.root);
  }

  const diff = compare(base, merged, opts.root, '', { changed: new Set(), removed: new Set() });
  stripManaged(diff.changed, opts.statusSubresource && !status);

  const conflicts: Conflict[] = [];
  for (const o of owners) {
    if (o === mine) continue;
    for (const p of o.set) if (diff.changed.has(p)) conflicts.push({ owner: o, path: p });
  }
  if (conflicts.length > 0 && !opts.force) throw new ApplyConflictError(conflicts);
  for (const c of conflicts) c.owner.set.delete(c.path);
  for (const o of owners) for (const p of diff.removed) dropAtOrBelow(o.set, p);

  const valuesChanged = diff.changed.size > 0 || diff.removed.size > 0;
  const setChanged = !mine || mine.set.size !== applied.size || [...applied].some((p) => !previous.has(p));
  if (!mine) {
    mine = { manager: opts.manager, operation: 'Apply', apiVersion: opts.apiVersion, time: opts.now, subresource: opts.subresource, set: applied };
    owners.push(mine);
  } else {
    mine.set = applied;
    mine.apiVersion = opts.apiVersion;
    if (valuesChanged || setChanged) mine.time = opts.now;
  }
  const managedFields = encodeManagedFields(owners);
  const meta = merged['metadata'] as JsonObject;
  meta['managedFields'] = managedFields;
  const changed = !live || valuesChanged || !jsonEqual(live.metadata['managedFields'], managedFields);
  return { object: merged as JsonObject & { metadata: JsonObject }, changed };
}

function withoutManaged(o: JsonObject & { metadata: JsonObject }): JsonObject {
  const { managedFields: _m, ...meta } = o.metadata;
  return { ...o, metadata: meta };
}

// ---------------------------------------------------------------- merge

const DELETE: unique symbol = Symbol('delete');

/** `cfg` merged into `live` (which this may change: the caller passes a copy). */
function mergeValue(live: unknown, cfg: unknown, node: Node | undefined, path: string): unknown {
  // An explicit null in a configuration means "unset" (and the applier owns the field).
  if (cfg === null) return DELETE;
  const shape = shapeOf(node, cfg);
  if ((shape.t === 'struct' || (shape.t === 'map' && !shape.atomic)) && isJsonObject(cfg)) {
    const out: JsonObject = isJsonObject(live) ? live : {};
    for (const [k, v] of Object.entries(cfg)) {
      if (v === undefined) continue;
      const child = shape.t === 'struct' ? shape.fields[k] : shape.values;
      const m = mergeValue(out[k], v, child, join(path, fieldEl(k)));
      if (m === DELETE) delete out[k];
      else out[k] = m;
    }
    return out;
  }
  if (shape.t === 'list' && shape.type !== 'atomic' && Array.isArray(cfg)) return mergeList(Array.isArray(live) ? live : [], cfg, shape, path);
  return cloneJson(cfg);
}

/**
 * Merges two keyed lists in structured-merge-diff's order: live-only items stay where they
 * are, items of both sides follow the configuration's order, new items come where the
 * configuration puts them relative to the shared ones.
 */
function mergeList(lhs: unknown[], rhs: unknown[], shape: Shape & { t: 'list' }, path: string): unknown[] {
  const lPE = lhs.map((x) => itemEl(shape, x));
  const rPE = rhs.map((x, i) => {
    const el = itemEl(shape, x);
    if (el === undefined) {
      const what = shape.type === 'map' ? `associative list with keys has an element that omits key field ${JSON.stringify(shape.keys.find((k) => !isJsonObject(x) || x[k] == null) ?? shape.keys[0])}` : 'invalid set item';
      throw new ApplyInputError(`${pathText(path)}: element ${i}: ${what}`);
    }
    return el;
  });
  const rIndex = new Map<string, number>();
  rPE.forEach((p, i) => {
    if (rIndex.has(p)) throw new ApplyInputError(`${pathText(path)}: duplicate entries for key ${pathText(p)}`);
    rIndex.set(p, i);
  });
  const lIndex = new Map<string, number>();
  lPE.forEach((p, i) => {
    if (p !== undefined && !lIndex.has(p)) lIndex.set(p, i);
  });
  const shared = rPE.filter((p) => lIndex.has(p));
  let si = 0;
  let nextShared = shared[si];
  const mergedR = new Set<string>();
  const item = (l: unknown, r: unknown, pe: string): unknown =>
    shape.type === 'map' ? mergeValue(l === undefined ? undefined : cloneJson(l), r, shape.items, join(path, pe)) : cloneJson(r);
  const out: unknown[] = [];
  let l = 0;
  let r = 0;
  while (l < lhs.length || r < rhs.length) {
    if (l < lhs.length && r < rhs.length) {
      const pe = lPE[l];
      if (pe !== undefined && pe === rPE[r]) {
        out.push(item(lhs[l], rhs[r], pe));
        mergedR.add(pe);
        l++;
        r++;
        nextShared = shared[++si];
        continue;
      }
      if (pe !== undefined && rIndex.has(pe) && nextShared !== undefined && nextShared !== pe) {
        l++;
        continue;
      }
    }
    if (l < lhs.length) {
      const pe = lPE[l];
      if (pe === undefined || !rIndex.has(pe)) {
        out.push(lhs[l]);
        l++;
        continue;
      }
      if (mergedR.has(pe)) {
        l++;
        continue;
      }
    }
    if (r < rhs.length) {
      const pe = rPE[r]!;
      mergedR.add(pe);
      const li = lIndex.get(pe);
      out.push(item(li === undefined ? undefined : lhs[li], rhs[r], pe));
      r++;
      if (nextShared === pe) nextShared = shared[++si];
    }
  }
  return out.filter((x) => x !== DELETE);
}

// ---------------------------------------------------------------- removal

/** Removes the field or list item at `path`; containers it leaves empty go too (Go's omitempty). */
function removePath(obj: JsonObject, path: string, root: Node | undefined): void {
  const els = path.split(SEP);
  const trail: Array<{ container: JsonObject | unknown[] }> = [];
  let cur: unknown = obj;
  let node: Node | undefined = root;
  for (let i = 0; i < els.length; i++) {
    const el = els[i]!;
    const last = i === els.length - 1;
    const shape = shapeOf(node, cur);
    if (el.startsWith('f:')) {
      if (!isJsonObject(cur)) return;
      const k = el.slice(2);
      if (last) {
        delete cur[k];
        trail.push({ container: cur });
        break;
      }
      trail.push({ container: cur });
      node = shape.t === 'struct' ? shape.fields[k] : shape.t === 'map' ? shape.values : undefined;
      cur = cur[k];
    } else {
      if (!Array.isArray(cur) || shape.t !== 'list') return;
      const idx = cur.findIndex((x) => itemEl(shape, x) === el);
      if (idx < 0) return;
      if (last) {
        cur.splice(idx, 1);
        break;
      }
      trail.push({ container: cur });
      node = shape.items;
      cur = cur[idx];
    }
  }
  // Drop maps the removal emptied, innermost first; never the object itself or its metadata.
  for (let i = trail.length - 1; i >= 1; i--) {
    const c = trail[i]!.container;
    if (!isJsonObject(c) || Object.keys(c).length > 0) break;
    const parent = trail[i - 1]!.container;
    if (!isJsonObject(parent)) break;
    const key = Object.keys(parent).find((k) => parent[k] === c);
    if (key === undefined || (i === 1 && key === 'metadata')) break;
    delete parent[key];
  }
}
