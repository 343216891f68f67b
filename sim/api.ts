// The verbs of one simulated cluster — create, get, list, update, patch, delete, watch —
// with the object semantics kube-apiserver gives them: uid, generateName, timestamps,
// resourceVersion and optimistic concurrency, status subresources, generation,
// graceful deletion with finalizers, consistent paginated lists and resumable watches.
// The HTTP layer (apiserver.ts) and the in-process controllers (kubelets, scheduler)
// both go through here, so they see the same rules.

import { randomUUID } from 'node:crypto';
import { admitCreate, admitUpdate, schemaFor, type FieldValidation } from './admission.js';
import { ApiError, alreadyExists, badRequest, conflict, gone, notFound, STALE_OBJECT_MESSAGE } from './errors.js';
import { fieldsFnFor } from './fields.js';
import { deepClone, isRecord, type KubeObject } from './object.js';
import type { ResourceRegistry, ResourceType } from './resources.js';
import { trackUpdate } from './patch/managed-fields.js';
import { objectKey, type Store, type StoreEvent, type StoredObject } from './store.js';
import { rfc3339, type Clock } from './time.js';

export interface Matchers {
  labels?: (labels: Readonly<Record<string, string>>) => boolean;
  fields?: (fields: Readonly<Record<string, string>>) => boolean;
}

export interface ListOptions extends Matchers {
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: StoredObject[];
  resourceVersion: number;
  continueToken?: string;
  remainingItemCount?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  /** The raw request body, for duplicate-field detection. */
  rawBody?: string;
  /** Keys the body repeats, when the caller found them while decoding it (else found from rawBody). */
  duplicates?: readonly string[];
  /**
   * The writer, for managedFields: the `fieldManager` query, else the user agent's program.
   * Recorded only on objects that already carry managedFields (see trackUpdate).
   */
  fieldManager?: string;
  /** Server-side apply already set managedFields: do not track this write as an Update. */
  applied?: boolean;
}

export interface WriteResult {
  object: StoredObject;
  warnings: string[];
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  dryRun?: boolean;
}

export interface DeleteResult {
  object: StoredObject;
  /** True when the object is gone; false when it is terminating (grace period or finalizers). */
  deleted: boolean;
}

export type WatchSink = (ev: { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: StoredObject }) => void;

/** Hooks a kind can register to add its own rules to the generic verbs. */
export interface KindHooks {
  /** After generic create defaulting, before validation. May throw ApiError. */
  beforeCreate?(obj: KubeObject, rt: ResourceType): void;
  /** Before an update is stored (main resource or status). May throw ApiError. */
  beforeUpdate?(obj: KubeObject, old: KubeObject, rt: ResourceType, subresource: string | undefined): void;
  /** True when deletion must wait for a controller (namespace spec.finalizers); may mark the object. */
  holdDeletion?(obj: KubeObject): boolean;
  /** Decides the grace period of a delete; returns seconds. */
  gracePeriod?(obj: KubeObject, requested: number | undefined): number;
  /** After the object is gone from storage. */
  afterDelete?(obj: KubeObject, rt: ResourceType): void;
  /** After any successful write (create/update/delete-mark). */
  afterWrite?(obj: KubeObject, rt: ResourceType): void;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SNAPSHOT_CACHE_SIZE = 8;

interface Snapshot {
  storageKey: string;
  rv: number;
  /** Sorted by key. */
  items: StoredObject[];
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'tidepool.sim/v1', rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (isRecord(v) && v['v'] === 'tidepool.sim/v1' && typeof v['rv'] === 'number' && typeof v['start'] === 'string') {
      return { rv: v['rv'], start: v['start'] };
    }
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

function parseRv(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw badRequest(`invalid ${what}: "${s}" is not a valid resourceVersion`);
  return Number(s);
}

function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

export class ClusterApi {
  private readonly hooks = new Map<string, KindHooks>();
  private readonly snapshots: Snapshot[] = [];

  constructor(
    readonly store: Store,
    readonly registry: ResourceRegistry,
    readonly clock: Clock,
  ) {
    for (const rt of registry.all()) this.ensureCollection(rt);
  }

  ensureCollection(rt: ResourceType): void {
    if (!rt.readOnly) this.store.defineCollection(rt.storageKey, fieldsFnFor(rt.storageKey));
  }

  registerHooks(storageKey: string, hooks: KindHooks): void {
    this.hooks.set(storageKey, { ...this.hooks.get(storageKey), ...hooks });
  }

  now(): string {
    return rfc3339(this.clock.now());
  }

  parse(o: StoredObject): KubeObject {
    return JSON.parse(o.json) as KubeObject;
  }

  get(rt: ResourceType, namespace: string, name: string): StoredObject {
    const o = this.store.get(rt.storageKey, objectKey(rt.namespaced ? namespace : '', name));
    if (!o) throw notFound(rt.resource, rt.group, name);
    return o;
  }

  tryGet(rt: ResourceType, namespace: string, name: string): StoredObject | undefined {
    return this.store.get(rt.storageKey, objectKey(rt.namespaced ? namespace : '', name));
  }

  // ---------------------------------------------------------------- create

  create(rt: ResourceType, namespace: string, body: KubeObject, opts: WriteOptions = {}): WriteResult {
    const obj = body;
    if (!isRecord(obj.metadata)) obj.metadata = {};
    const meta = obj.metadata;
    if (rt.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
      this.requireActiveNamespace(namespace);
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = this.generateName(rt, namespace, meta.generateName);
    obj.apiVersion = rt.group ? `${rt.group}/${rt.version}` : rt.version;
    obj.kind = rt.kind;
    meta.uid = randomUUID();
    meta.creationTimestamp = this.now();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    if (rt.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    // Status is the controllers' to write: create drops it when there is a status subresource
    // (kube's PrepareForCreate), except for Nodes, which kubelets register with their status.
    if (rt.statusSubresource && rt.storageKey !== '/nodes') delete obj.status;
    this.hooks.get(rt.storageKey)?.beforeCreate?.(obj, rt);
    const warnings = admitCreate(rt, obj, opts);
    const name = meta.name;
    if (!name) throw new ApiError(422, 'Invalid', `${rt.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, {
      kind: rt.kind,
      group: rt.group,
      causes: [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }],
    });
    if (this.store.get(rt.storageKey, objectKey(meta.namespace ?? '', name))) throw alreadyExists(rt.resource, rt.group, name);
    if (opts.dryRun) return { object: this.dryStored(obj), warnings };
    const stored = this.store.put(rt.storageKey, obj);
    this.hooks.get(rt.storageKey)?.afterWrite?.(obj, rt);
    return { object: stored, warnings };
  }

  private generateName(rt: ResourceType, namespace: string, prefix: string): string {
    for (let attempt = 0; attempt < 8; attempt++) {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
      const name = `${prefix.slice(0, 58)}${suffix}`;
      if (!this.store.get(rt.storageKey, objectKey(rt.namespaced ? namespace : '', name))) return name;
    }
    throw new ApiError(409, 'AlreadyExists', `could not generate a unique name for prefix "${prefix}"`);
  }

  private requireActiveNamespace(namespace: string): void {
    const ns = this.store.get('/namespaces', namespace);
    if (!ns) throw notFound('namespaces', '', namespace);
    // Every create passes here: look for the field before parsing the namespace.
    if (ns.json.includes('"deletionTimestamp"') && (JSON.parse(ns.json) as KubeObject).metadata.deletionTimestamp) {
      throw new ApiError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        { name: namespace, kind: 'namespaces', causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] },
      );
    }
  }

  private dryStored(obj: KubeObject): StoredObject {
    return {
      key: objectKey(obj.metadata.namespace ?? '', obj.metadata.name ?? ''),
      namespace: obj.metadata.namespace ?? '',
      name: obj.metadata.name ?? '',
      uid: obj.metadata.uid ?? '',
      rv: Number(obj.metadata.resourceVersion ?? 0),
      json: JSON.stringify(obj),
      labels: obj.metadata.labels ?? {},
      fields: {},
    };
  }

  // ---------------------------------------------------------------- update

  /**
   * Replaces an object (PUT). `subresource` 'status' changes only `.status`; the main
   * resource keeps the old status when the type has a status subresource.
   */
  update(
    rt: ResourceType,
    namespace: string,
    name: string,
    body: KubeObject,
    opts: WriteOptions & { subresource?: string } = {},
  ): WriteResult {
    if (!isRecord(body.metadata)) body.metadata = {};
    if (body.metadata.name !== undefined && body.metadata.name !== name) {
      throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (rt.namespaced && body.metadata.namespace !== undefined && body.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const current = this.tryGet(rt, namespace, name);
    if (!current) throw notFound(rt.resource, rt.group, name);
    const wantRv = body.metadata.resourceVersion;
    if (wantRv !== undefined && wantRv !== '' && wantRv !== String(current.rv)) {
      throw conflict(rt.resource, rt.group, name, STALE_OBJECT_MESSAGE);
    }
    const old = this.store.decode(rt.storageKey, current);
    return this.storeUpdate(rt, old, body, opts);
  }

  /**
   * Applies `mutate` to the current object and stores the result: the read-modify-write
   * the PATCH verb and in-process controllers use. Conflicts cannot happen: JS runs it
   * atomically between two requests.
   */
  mutate(
    rt: ResourceType,
    namespace: string,
    name: string,
    mutate: (obj: KubeObject) => KubeObject | void,
    opts: WriteOptions & { subresource?: string } = {},
  ): WriteResult {
    return this.readModifyWrite(rt, namespace, name, (old) => {
      const draft = deepClone(old);
      return mutate(draft) ?? draft;
    }, opts);
  }

  /**
   * mutate() for a `derive` that leaves its argument alone and returns a new object, as a
   * PATCH does (applyPatch works on a copy of its own): the stored object is parsed once
   * and not copied again for it.
   */
  derive(
    rt: ResourceType,
    namespace: string,
    name: string,
    derive: (obj: Readonly<KubeObject>) => KubeObject,
    opts: WriteOptions & { subresource?: string } = {},
  ): WriteResult {
    return this.readModifyWrite(rt, namespace, name, derive, opts);
  }

  private readModifyWrite(
    rt: ResourceType,
    namespace: string,
    name: string,
    change: (old: KubeObject) => KubeObject,
    opts: WriteOptions & { subresource?: string },
  ): WriteResult {
    const current = this.tryGet(rt, namespace, name);
    if (!current) throw notFound(rt.resource, rt.group, name);
    const old = this.store.decode(rt.storageKey, current);
    const next = change(old);
    if (!isRecord(next.metadata)) throw badRequest('metadata must be an object');
    if (next.metadata.resourceVersion !== undefined && next.metadata.resourceVersion !== String(current.rv)) {
      // A patch may carry a resourceVersion precondition.
      throw conflict(rt.resource, rt.group, name, STALE_OBJECT_MESSAGE);
    }
    return this.storeUpdate(rt, old, next, opts);
  }

  private storeUpdate(rt: ResourceType, old: KubeObject, next: KubeObject, opts: WriteOptions & { subresource?: string }): WriteResult {
    const sub = opts.subresource;
    let obj: KubeObject;
    if (sub === 'status') {
      // Status writes change only .status (kube's ResetObjectMetaForStatus + spec reset).
      // The rest is old's own subtrees, shared rather than copied (old is this write's
      // private parse, as the main resource already shares old.status): only metadata,
      // which the lines below edit, gets a copy.
      obj = { ...old, metadata: deepClone(old.metadata) };
      if (next.status === undefined) delete obj.status;
      else obj.status = next.status;
    } else {
      obj = next;
      // A binding sets spec.nodeName and the PodScheduled condition in one write (kube's assignPod).
      if (rt.statusSubresource && sub !== 'binding') {
        if (old.status === undefined) delete obj.status;
        else obj.status = old.status;
      }
    }
    // Fields the server owns.
    obj.apiVersion = old.apiVersion;
    obj.kind = old.kind;
    const meta = obj.metadata;
    meta.name = old.metadata.name;
    if (rt.namespaced) meta.namespace = old.metadata.namespace;
    else delete meta.namespace;
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (old.metadata.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    if (meta.generateName === undefined && old.metadata.generateName !== undefined) meta.generateName = old.metadata.generateName;
    if (rt.tracksGeneration) {
      const gen = Number(old.metadata.generation ?? 1);
      meta.generation = sub !== 'status' && specOf(obj) !== specOf(old) ? gen + 1 : gen;
    }
    if (sub === 'status') {
      meta.labels = old.metadata.labels;
      meta.annotations = old.metadata.annotations;
      meta.finalizers = old.metadata.finalizers;
      meta.ownerReferences = old.metadata.ownerReferences;
      for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) if (meta[k] === undefined) delete meta[k];
    }
    this.hooks.get(rt.storageKey)?.beforeUpdate?.(obj, old, rt, sub);
    const warnings = admitUpdate(rt, obj, old, opts);
    // Field ownership costs only objects that server-side apply has touched (sim/server-side-apply.ts).
    if (opts.applied) {
      // A status write starts from the stored metadata: keep the entries the apply computed.
      obj.metadata.managedFields = next.metadata.managedFields;
    } else if (old.metadata.managedFields !== undefined) {
      trackUpdate(old, obj, {
        root: schemaFor(rt),
        apiVersion: old.apiVersion ?? '',
        now: this.now(),
        manager: opts.fieldManager,
        subresource: sub === 'status' ? 'status' : undefined,
        dropStatus: rt.statusSubresource === true && sub !== 'status',
      });
    }
    if (opts.dryRun) return { object: this.dryStored(obj), warnings };
    // A terminating object whose last finalizer is gone is removed now (grace 0 or not a pod).
    if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0 && this.readyToRemove(rt, obj) && !this.hooks.get(rt.storageKey)?.holdDeletion?.(obj)) {
      const gone = this.store.delete(rt.storageKey, objectKey(meta.namespace ?? '', meta.name ?? ''), obj)!;
      this.hooks.get(rt.storageKey)?.afterDelete?.(obj, rt);
      return { object: gone, warnings };
    }
    const stored = this.store.put(rt.storageKey, obj);
    this.hooks.get(rt.storageKey)?.afterWrite?.(obj, rt);
    return { object: stored, warnings };
  }

  /** Pods wait for their kubelet (a delete with grace 0); other kinds go when finalizers are done. */
  private readyToRemove(rt: ResourceType, obj: KubeObject): boolean {
    if (rt.storageKey !== '/pods') return true;
    return obj.metadata.deletionGracePeriodSeconds === 0;
  }

  // ---------------------------------------------------------------- delete

  delete(rt: ResourceType, namespace: string, name: string, opts: DeleteOptions = {}): DeleteResult {
    const current = this.tryGet(rt, namespace, name);
    if (!current) throw notFound(rt.resource, rt.group, name);
    const obj = this.store.decode(rt.storageKey, current);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== obj.metadata.uid) {
      throw conflict(rt.resource, rt.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== String(current.rv)) {
      throw conflict(
        rt.resource,
        rt.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.rv}`,
      );
    }
    if (opts.gracePeriodSeconds !== undefined && (!Number.isInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0)) {
      throw badRequest(`gracePeriodSeconds must be a non-negative integer, got ${opts.gracePeriodSeconds}`);
    }
    const hooks = this.hooks.get(rt.storageKey);
    const grace = hooks?.gracePeriod ? hooks.gracePeriod(obj, opts.gracePeriodSeconds) : 0;
    const finalizers = obj.metadata.finalizers ?? [];
    if (opts.dryRun) return { object: current, deleted: grace === 0 && finalizers.length === 0 };

    if (obj.metadata.deletionTimestamp) {
      // Already terminating: a shorter grace period may be requested (kubectl --force / grace 0).
      const had = obj.metadata.deletionGracePeriodSeconds ?? 0;
      if (grace < had) {
        obj.metadata.deletionGracePeriodSeconds = grace;
        obj.metadata.deletionTimestamp = rfc3339(this.clock.now() + grace * 1000);
        return this.markOrRemove(rt, obj, finalizers.length === 0 && grace === 0);
      }
      return { object: current, deleted: false };
    }
    const held = hooks?.holdDeletion?.(obj) ?? false;
    if (grace === 0 && finalizers.length === 0 && !held) return this.markOrRemove(rt, obj, true);
    obj.metadata.deletionTimestamp = rfc3339(this.clock.now() + grace * 1000);
    obj.metadata.deletionGracePeriodSeconds = grace;
    return this.markOrRemove(rt, obj, false);
  }

  private markOrRemove(rt: ResourceType, obj: KubeObject, remove: boolean): DeleteResult {
    const key = objectKey(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
    if (remove) {
      const goneObj = this.store.delete(rt.storageKey, key, obj)!;
      this.hooks.get(rt.storageKey)?.afterDelete?.(obj, rt);
      return { object: goneObj, deleted: true };
    }
    const stored = this.store.put(rt.storageKey, obj);
    this.hooks.get(rt.storageKey)?.afterWrite?.(obj, rt);
    return { object: stored, deleted: false };
  }

  // ---------------------------------------------------------------- list

  list(rt: ResourceType, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    let snapshotRv: number;
    let start = '';
    if (opts.continueToken) {
      const tok = decodeContinue(opts.continueToken);
      if (tok.rv < this.store.oldestWatchableRv(rt.storageKey)) {
        throw gone(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the 410 Status response.',
        );
      }
      snapshotRv = tok.rv;
      start = tok.start;
    } else {
      snapshotRv = this.resolveListRv(rt.storageKey, opts.resourceVersion, opts.resourceVersionMatch);
    }
    const noFilter = !opts.labels && !opts.fields;
    // Fast path: a single unpaginated list of the current state needs no sorted snapshot.
    if (!limit && !opts.continueToken && snapshotRv === this.store.currentRv()) {
      const items: StoredObject[] = [];
      const ns = rt.namespaced ? namespace : undefined;
      for (const o of this.store.values(rt.storageKey, ns)) if (noFilter || this.matches(o, opts)) items.push(o);
      items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return { items, resourceVersion: snapshotRv };
    }
    const snap = this.snapshot(rt.storageKey, snapshotRv);
    const prefix = rt.namespaced && namespace !== undefined ? `${namespace}/` : '';
    let i = lowerBound(snap.items, start ? start + '\u0000' : prefix);
    const items: StoredObject[] = [];
    let lastKey = '';
    for (; i < snap.items.length; i++) {
      const o = snap.items[i]!;
      if (prefix && !o.key.startsWith(prefix)) break;
      if (limit !== undefined && items.length >= limit) break;
      lastKey = o.key;
      if (noFilter || this.matches(o, opts)) items.push(o);
    }
    const more = i < snap.items.length && (!prefix || snap.items[i]!.key.startsWith(prefix));
    const result: ListResult = { items, resourceVersion: snapshotRv };
    if (more && limit !== undefined) {
      result.continueToken = encodeContinue({ rv: snapshotRv, start: lastKey });
      if (noFilter) {
        // Keys are sorted and a namespace's end is where "<ns>0" would go ('0' follows '/'):
        // two binary searches instead of a walk over the rest of the snapshot on every page.
        const end = prefix ? lowerBound(snap.items, `${prefix.slice(0, -1)}0`) : snap.items.length;
        result.remainingItemCount = end - i;
      }
    }
    return result;
  }

  private matches(o: StoredObject, m: Matchers): boolean {
    return (!m.labels || m.labels(o.labels)) && (!m.fields || m.fields(o.fields));
  }

  private resolveListRv(storageKey: string, rv: string | undefined, match: string | undefined): number {
    const current = this.store.currentRv();
    if (match !== undefined && match !== '' && match !== 'Exact' && match !== 'NotOlderThan') {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
    }
    if (rv === undefined || rv === '') {
      if (match) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
      return current;
    }
    const n = parseRv(rv, 'resourceVersion');
    if (match === 'Exact') {
      if (n === 0) throw badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
      if (n > current) throw tooLargeRv();
      if (n < this.store.oldestWatchableRv(storageKey)) throw gone(`too old resource version: ${n} (${this.store.oldestWatchableRv(storageKey)})`);
      return n;
    }
    if (n > current) throw tooLargeRv();
    return current;
  }

  /** The sorted state of a collection at `rv`, rebuilt by rolling back the event log. */
  private snapshot(storageKey: string, rv: number): Snapshot {
    const hit = this.snapshots.find((s) => s.storageKey === storageKey && s.rv === rv);
    if (hit) return hit;
    const byKey = new Map<string, StoredObject>();
    for (const o of this.store.values(storageKey)) byKey.set(o.key, o);
    if (rv < this.store.currentRv()) {
      const events = this.store.eventsSince(storageKey, rv);
      if (!events) throw gone(`too old resource version: ${rv} (${this.store.oldestWatchableRv(storageKey)})`);
      for (let i = events.length - 1; i >= 0; i--) {
        const ev = events[i]!;
        if (ev.type === 'ADDED') byKey.delete(ev.object.key);
        else if (ev.prev) byKey.set(ev.prev.key, ev.prev);
      }
    }
    const items = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const snap: Snapshot = { storageKey, rv, items };
    this.snapshots.unshift(snap);
    if (this.snapshots.length > SNAPSHOT_CACHE_SIZE) this.snapshots.pop();
    return snap;
  }

  // ---------------------------------------------------------------- watch

  /**
   * Streams changes to `sink`. Without a resourceVersion (or "0") it first sends the
   * current objects as ADDED; with one it replays what happened after it, or throws 410
   * when that history is gone. Returns the stop function.
   */
  watch(rt: ResourceType, namespace: string | undefined, opts: Matchers & { resourceVersion?: string }, sink: WatchSink): () => void {
    const ns = rt.namespaced ? namespace : undefined;
    const inScope = (o: StoredObject): boolean => (ns === undefined || o.namespace === ns) && this.matches(o, opts);
    const deliver = (ev: StoreEvent): void => {
      const now = inScope(ev.object);
      const before = ev.prev !== undefined && inScope(ev.prev);
      if (ev.type === 'ADDED') {
        if (now) sink({ type: 'ADDED', object: ev.object });
      } else if (ev.type === 'MODIFIED') {
        if (now && before) sink({ type: 'MODIFIED', object: ev.object });
        else if (now) sink({ type: 'ADDED', object: ev.object });
        else if (before) sink({ type: 'DELETED', object: ev.object });
      } else if (before || now) {
        sink({ type: 'DELETED', object: ev.object });
      }
    };
    const rv = opts.resourceVersion;
    if (rv === undefined || rv === '' || rv === '0') {
      const initial = [...this.store.values(rt.storageKey, ns)].filter(inScope);
      for (const o of initial) sink({ type: 'ADDED', object: o });
    } else {
      const from = parseRv(rv, 'resourceVersion');
      const events = this.store.eventsSince(rt.storageKey, from);
      if (!events) throw gone(`too old resource version: ${from} (${this.store.oldestWatchableRv(rt.storageKey)})`);
      for (const ev of events) deliver(ev);
    }
    return this.store.subscribe(rt.storageKey, deliver);
  }
}

function tooLargeRv(): ApiError {
  return new ApiError(504, 'Timeout', 'Too large resource version', {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

function lowerBound(items: StoredObject[], key: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
