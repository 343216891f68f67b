// The in-memory storage of one simulated cluster: what etcd + the watch cache are to a
// real apiserver. Objects are kept serialized (one JSON string each) next to the few
// fields that selectors and indexes need, so 100k pods stay small, LIST responses are
// string concatenation, and a watch event is written to every watcher without
// re-encoding. One resourceVersion counter per cluster, monotonically increasing.

import { deepClone, type KubeObject } from './object.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredObject {
  /** `namespace/name` for namespaced objects, `name` otherwise. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly rv: number;
  /** The object serialized, with metadata.resourceVersion set to `rv`. */
  readonly json: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Field-selector values (`spec.nodeName`, `status.phase`, ...), precomputed. */
  readonly fields: Readonly<Record<string, string>>;
}

export interface StoreEvent {
  readonly type: EventType;
  readonly rv: number;
  readonly storageKey: string;
  readonly object: StoredObject;
  /** The object before this change (MODIFIED and DELETED). */
  readonly prev: StoredObject | undefined;
}

export type FieldsFn = (obj: KubeObject) => Record<string, string>;

/**
 * Called synchronously on every change. `written` is the object as it was just stored (for
 * a deletion, its last state), already decoded: listeners read it instead of parsing
 * `ev.object.json`, must not change it, and must not keep it past the call (the store keeps
 * only the JSON; events in the watch window do not hold it either).
 */
export type StoreListener = (ev: StoreEvent, written: Readonly<KubeObject>) => void;

class Collection {
  readonly objects = new Map<string, StoredObject>();
  readonly byNamespace = new Map<string, Map<string, StoredObject>>();
  readonly listeners = new Set<StoreListener>();
  /**
   * This kind's most recent change events (its watch window), a ring with the oldest at
   * `head` once full. One per kind, as kube-apiserver keeps a watch cache per resource:
   * at 5,000 nodes the Lease renewals (500/s) would otherwise push every other kind's
   * history out of a shared window within a minute or two.
   */
  log: StoreEvent[] = [];
  head = 0;
  /** Watches of this kind from a resourceVersion below this get 410 Gone. */
  compactedRv = 0;
  /**
   * The most recently written objects of this kind in decoded form, by key, oldest first
   * (see Store.decode). Only the entry whose `stored` is still current is ever used.
   */
  readonly recent = new Map<string, { stored: StoredObject; obj: KubeObject }>();
  constructor(readonly fieldsOf: FieldsFn) {}

  remember(stored: StoredObject, obj: KubeObject): void {
    // Delete first so a rewritten key moves to the young end of the insertion order.
    this.recent.delete(stored.key);
    this.recent.set(stored.key, { stored, obj });
    if (this.recent.size > RECENT_DECODED) this.recent.delete(this.recent.keys().next().value!);
  }

  record(ev: StoreEvent, window: number): void {
    if (this.log.length < window) {
      this.log.push(ev);
      return;
    }
    const dropped = this.log[this.head]!;
    this.compactedRv = Math.max(this.compactedRv, dropped.rv);
    this.log[this.head] = ev;
    this.head = (this.head + 1) % window;
  }

  forget(rv: number): void {
    this.compactedRv = rv;
    this.log = [];
    this.head = 0;
  }

  put(o: StoredObject): void {
    this.objects.set(o.key, o);
    let ns = this.byNamespace.get(o.namespace);
    if (!ns) this.byNamespace.set(o.namespace, (ns = new Map()));
    ns.set(o.key, o);
  }

  remove(o: StoredObject): void {
    this.objects.delete(o.key);
    const ns = this.byNamespace.get(o.namespace);
    ns?.delete(o.key);
    if (ns && ns.size === 0) this.byNamespace.delete(o.namespace);
  }
}

/**
 * Decoded objects kept per kind. A read-modify-write usually follows a recent write of the
 * same object (the kubelet's status update after the pod is created or bound, a controller's
 * follow-up), and copying a decoded object costs about a third of parsing its JSON. Small,
 * so 100k stored pods stay JSON.
 */
const RECENT_DECODED = 256;

export interface StoreOptions {
  /** How many change events are kept for watches to resume from (the watch window). */
  eventWindow?: number;
}

export function objectKey(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class Store {
  private rv = 1;
  private readonly collections = new Map<string, Collection>();
  /** Events kept per collection for watches to resume from. */
  private readonly window: number;

  constructor(opts: StoreOptions = {}) {
    this.window = Math.max(16, opts.eventWindow ?? 50_000);
  }

  /** The current resourceVersion of the cluster (the last write's). */
  currentRv(): number {
    return this.rv;
  }

  /**
   * The oldest resourceVersion a watch of `storageKey` may start from; without one, the
   * highest of all kinds (the oldest any watch may start from).
   */
  oldestWatchableRv(storageKey?: string): number {
    if (storageKey !== undefined) return this.collections.get(storageKey)?.compactedRv ?? 0;
    let oldest = 0;
    for (const c of this.collections.values()) oldest = Math.max(oldest, c.compactedRv);
    return oldest;
  }

  defineCollection(storageKey: string, fieldsOf: FieldsFn): void {
    if (!this.collections.has(storageKey)) this.collections.set(storageKey, new Collection(fieldsOf));
  }

  private coll(storageKey: string): Collection {
    const c = this.collections.get(storageKey);
    if (!c) throw new Error(`store: unknown collection ${storageKey}`);
    return c;
  }

  hasCollection(storageKey: string): boolean {
    return this.collections.has(storageKey);
  }

  get(storageKey: string, key: string): StoredObject | undefined {
    return this.coll(storageKey).objects.get(key);
  }

  /**
   * A stored object decoded, as a private copy the caller may change: copied from the
   * decoded form kept for recent writes when `o` is still that write, else parsed.
   */
  decode(storageKey: string, o: StoredObject): KubeObject {
    const hit = this.collections.get(storageKey)?.recent.get(o.key);
    if (hit && hit.stored === o) return deepClone(hit.obj);
    return JSON.parse(o.json) as KubeObject;
  }

  count(storageKey: string, namespace?: string): number {
    const c = this.coll(storageKey);
    return namespace === undefined ? c.objects.size : c.byNamespace.get(namespace)?.size ?? 0;
  }

  /** All objects of a collection (optionally one namespace), in no particular order. */
  values(storageKey: string, namespace?: string): Iterable<StoredObject> {
    const c = this.coll(storageKey);
    if (namespace === undefined) return c.objects.values();
    return c.byNamespace.get(namespace)?.values() ?? [];
  }

  /**
   * Writes an object: stamps metadata.resourceVersion, serializes it once, indexes it
   * and emits the change to listeners. `type` is ADDED for a new key, else MODIFIED.
   * The store keeps `obj` for a while (see decode): callers hand it over and do not
   * change it afterwards.
   */
  put(storageKey: string, obj: KubeObject): StoredObject {
    const c = this.coll(storageKey);
    const rv = ++this.rv;
    obj.metadata.resourceVersion = String(rv);
    const namespace = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    const stored: StoredObject = {
      key: objectKey(namespace, name),
      namespace,
      name,
      uid: obj.metadata.uid ?? '',
      rv,
      json: JSON.stringify(obj),
      labels: obj.metadata.labels ?? {},
      fields: c.fieldsOf(obj),
    };
    const prev = c.objects.get(stored.key);
    c.put(stored);
    c.remember(stored, obj);
    this.emit(c, { type: prev ? 'MODIFIED' : 'ADDED', rv, storageKey, object: stored, prev }, obj);
    return stored;
  }

  /** Removes an object; the DELETED event carries the last state with a new resourceVersion. */
  delete(storageKey: string, key: string, finalState?: KubeObject): StoredObject | undefined {
    const c = this.coll(storageKey);
    const prev = c.objects.get(key);
    if (!prev) return undefined;
    const rv = ++this.rv;
    const obj = finalState ?? (JSON.parse(prev.json) as KubeObject);
    obj.metadata.resourceVersion = String(rv);
    const gone: StoredObject = { ...prev, rv, json: JSON.stringify(obj) };
    c.remove(prev);
    c.recent.delete(key);
    this.emit(c, { type: 'DELETED', rv, storageKey, object: gone, prev }, obj);
    return gone;
  }

  private emit(c: Collection, ev: StoreEvent, written: KubeObject): void {
    c.record(ev, this.window);
    for (const l of c.listeners) l(ev, written);
  }

  /** Forgets the retained history: watches from any older resourceVersion get 410 Gone. */
  compact(): void {
    for (const c of this.collections.values()) c.forget(this.rv);
  }

  /**
   * Events of one collection after `fromRv`, or undefined when that history is gone
   * (the caller answers 410). `fromRv` equal to the current rv yields no events.
   */
  eventsSince(storageKey: string, fromRv: number): StoreEvent[] | undefined {
    const c = this.coll(storageKey);
    if (fromRv < c.compactedRv) return undefined;
    const out: StoreEvent[] = [];
    const n = c.log.length;
    for (let i = 0; i < n; i++) {
      const ev = c.log[(c.head + i) % n]!;
      if (ev.rv > fromRv) out.push(ev);
    }
    return out;
  }

  subscribe(storageKey: string, listener: StoreListener): () => void {
    const c = this.coll(storageKey);
    c.listeners.add(listener);
    return () => c.listeners.delete(listener);
  }
}
