/**
 * An informer: a local, projected, indexed copy of one kind of object in one cluster, kept up
 * to date by LIST + WATCH, that tells handlers what changed.
 *
 * Why not client-node's: see ../shared/API-FACTS.md. What this one does:
 * - LIST in pages (limit 500 + continue), so a 100k-pod cluster is never asked for one giant
 *   answer; an expired continue token (410) restarts the list from scratch;
 * - WATCH from the list's resourceVersion with bookmarks (so a quiet, filtered watch still
 *   advances its resourceVersion); a stream that ends or breaks resumes from the last
 *   resourceVersion seen, without a relist;
 * - 410 Gone on a watch: full relist, diffed against the cache so handlers see exactly the
 *   adds, updates and deletes that happened (each delete once);
 * - backoff with jitter while the server is down, an idle deadline against silent dead
 *   connections, and a rate limit shared with the whole client;
 * - a projection keeps only the fields a component needs (a pod in ~1 KB instead of ~10 KB);
 * - indices; handlers (add/update/delete/resync) that throw, and malformed objects, are counted
 *   and logged, never fatal.
 *
 * Handlers run synchronously in event order and should only enqueue work (see workqueue.ts).
 */
import { isGone, KubeApiError, parseStatus } from './api-error.js';
import { Backoff, sleep, systemClock, type BackoffOptions, type Clock, type TimerHandle } from './backoff.js';
import type { KubeClient, Query, RawWatchEvent } from './client.js';
import { Indexer, type IndexFunc } from './indexer.js';
import { skimJson, type FieldSchema } from './json-skim.js';
import type { Logger } from './logger.js';

/** A Kubernetes object as JSON, before projection. */
export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** Which collection to inform on: core kinds have group ''. */
export interface ResourceRef {
  group?: string;
  version: string;
  /** Plural, e.g. "pods". */
  resource: string;
}

export interface DeleteInfo {
  /**
   * True when the delete was inferred by a relist (the object was gone when we looked again):
   * the object passed is the last state we had, not its final state.
   */
  finalStateUnknown: boolean;
}

export interface InformerHandlers<T> {
  onAdd?(obj: T, key: string): void;
  onUpdate?(oldObj: T, newObj: T, key: string): void;
  onDelete?(obj: T, key: string, info: DeleteInfo): void;
  /** Periodic resync (resyncPeriodMs): every cached object, to re-check against desired state. */
  onResync?(obj: T, key: string): void;
}

export interface InformerOptions<T> {
  client: KubeClient;
  resource: ResourceRef;
  /** Only this namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Keeps what the component needs of each object. Must be pure; a throw marks the object
   * malformed (counted and skipped). Default: the whole object.
   */
  project?: (obj: RawObject) => T;
  /**
   * The fields `project` reads (e.g. POD_FIELDS): objects are decoded with only these, the rest
   * skipped unbuilt. Must include metadata.name, namespace, uid and resourceVersion. Default:
   * the whole object.
   */
  fields?: FieldSchema;
  indexers?: Readonly<Record<string, IndexFunc<T>>>;
  /** LIST page size. Default 500. */
  pageSize?: number;
  /** Asks the server to end each watch after this long (randomised ×[1, 2)). Default 300 s. */
  watchTimeoutSeconds?: number;
  /** A watch that sends nothing (not even a bookmark) for this long is presumed dead. Default 120 s. */
  idleTimeoutMs?: number;
  /** Backoff after failures. Default 250 ms first ceiling, 30 s at most. */
  backoff?: BackoffOptions;
  /** Calls onResync for every object this often; 0 (default) never. */
  resyncPeriodMs?: number;
  /** Names the informer in logs. */
  name?: string;
  logger?: Logger;
  clock?: Clock;
}

/** Counters a test or a status page can read. */
export interface InformerStats {
  /** Complete LIST cycles started (1 after the initial sync; more after a 410 or expired token). */
  lists: number;
  listPages: number;
  /** Watch requests opened. */
  watches: number;
  /** Watch events received (bookmarks included). */
  events: number;
  /** 410 Gone answers (on watch or list). */
  gone: number;
  /** Failures that led to a backoff (connection, 5xx, idle...). */
  failures: number;
  /** Objects that could not be keyed or projected. */
  malformed: number;
  /** Handler calls that threw. */
  handlerErrors: number;
}

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

class GoneError extends Error {
  override readonly name = 'GoneError';
  readonly code = 410;
}

/** A watch that ended on its own this soon without any event counts as a failure (no hot loop). */
const QUICK_END_MS = 1_000;

export class Informer<T = RawObject> {
  readonly name: string;
  readonly stats: InformerStats = { lists: 0, listPages: 0, watches: 0, events: 0, gone: 0, failures: 0, malformed: 0, handlerErrors: 0 };
  private readonly client: KubeClient;
  private readonly path: string;
  private readonly selectors: Query;
  private readonly project: (obj: RawObject) => T;
  private readonly parseList: (body: string) => ListPage;
  private readonly parseEvent: ((line: string) => RawWatchEvent) | undefined;
  private readonly cache: Indexer<T>;
  private readonly handlers = new Set<InformerHandlers<T>>();
  private readonly pageSize: number;
  private readonly watchTimeoutSeconds: number;
  private readonly idleTimeoutMs: number;
  private readonly backoff: Backoff;
  private readonly resyncPeriodMs: number;
  private readonly logger: Logger | undefined;
  private readonly clock: Clock;
  private lastRv = '';
  private goneStreak = 0;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private resyncTimer: TimerHandle | undefined;

  constructor(options: InformerOptions<T>) {
    this.client = options.client;
    const r = options.resource;
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    this.path = options.namespace ? `${base}/namespaces/${encodeURIComponent(options.namespace)}/${r.resource}` : `${base}/${r.resource}`;
    this.name = options.name ?? `${options.client.cluster}/${r.group ? r.group + '/' : ''}${r.resource}`;
    this.selectors = {
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
      ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
    };
    this.project = options.project ?? ((o) => o as unknown as T);
    const fields = options.fields;
    if (fields !== undefined && fields !== true) {
      const pageSchema: FieldSchema = { metadata: true, items: [fields] };
      const eventSchema: FieldSchema = { type: true, object: fields };
      this.parseList = (body) => skimJson(body, pageSchema) as ListPage;
      this.parseEvent = (line) => {
        const ev = skimJson(line, eventSchema) as RawWatchEvent;
        // An ERROR carries a Status, not an object of our kind: it is read whole.
        return ev.type === 'ERROR' ? (JSON.parse(line) as RawWatchEvent) : ev;
      };
    } else {
      this.parseList = (body) => JSON.parse(body) as ListPage;
      this.parseEvent = undefined;
    }
    this.cache = new Indexer<T>(options.indexers);
    this.pageSize = options.pageSize ?? 500;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
    this.backoff = new Backoff({ initialMs: 250, maxMs: 30_000, ...options.backoff });
    this.resyncPeriodMs = options.resyncPeriodMs ?? 0;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Registers handlers. Added after objects are cached, it is first told about each of them
   * as an add, so a late subscriber sees the same world as an early one. Returns the remover.
   */
  addHandlers(h: InformerHandlers<T>): () => void {
    this.handlers.add(h);
    if (h.onAdd) for (const [key, e] of this.cache.entries()) this.call(() => h.onAdd!(e.obj, key));
    return () => this.handlers.delete(h);
  }

  /** Starts listing and watching in the background (idempotent). */
  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.running = this.run(signal).catch((err: unknown) => {
      // run() only ends by abort; anything else is a bug worth seeing.
      this.logger?.warn({ err, informer: this.name }, 'informer stopped unexpectedly');
    });
    if (this.resyncPeriodMs > 0) this.armResync();
  }

  /** Stops; resolves once the current request is cut and no handler will be called again. */
  async stop(): Promise<void> {
    this.abort?.abort();
    if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    await this.running;
    this.running = undefined;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w();
  }

  /** True once the first complete LIST is in the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced; false if `signal` aborts, `timeoutMs` passes or the informer stops first. */
  waitForSync(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (options.signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const done = (v: boolean): void => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
        resolve(v);
      };
      const waiter = (): void => done(this.synced);
      const onAbort = (): void => done(false);
      this.syncWaiters.push(waiter);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) timer = this.clock.setTimeout(() => done(false), options.timeoutMs);
    });
  }

  /** The resourceVersion the informer is up to date with. */
  get resourceVersion(): string {
    return this.lastRv;
  }

  get size(): number {
    return this.cache.size;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  /** `namespace/name` (or `name` for cluster-scoped kinds). */
  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return this.cache.list();
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  byIndex(index: string, value: string): T[] {
    return this.cache.byIndex(index, value);
  }

  indexKeys(index: string, value: string): string[] {
    return this.cache.indexKeys(index, value);
  }

  indexValues(index: string): string[] {
    return this.cache.indexValues(index);
  }

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.listAll(signal);
          needList = false;
          this.backoff.reset();
        }
        if (signal.aborted) return;
        const started = this.clock.now();
        const events = await this.watchOnce(signal);
        if (signal.aborted) return;
        if (events === 0 && this.clock.now() - started < QUICK_END_MS) {
          this.stats.failures++;
          await sleep(this.backoff.next(), signal, this.clock);
        } else if (events > 0) {
          this.backoff.reset();
          this.goneStreak = 0;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          this.stats.gone++;
          this.logger?.info({ informer: this.name, rv: this.lastRv }, 'resourceVersion expired (410); listing again');
          needList = true;
          this.lastRv = '';
          // Straight back to LIST the first time; a server that keeps saying 410 gets backoff.
          if (this.goneStreak++ > 0) await this.pause(signal);
          continue;
        }
        this.stats.failures++;
        this.logger?.warn({ err, informer: this.name, rv: this.lastRv }, needList ? 'list failed; backing off' : 'watch failed; backing off');
        await this.pause(signal);
      }
    }
  }

  private async pause(signal: AbortSignal): Promise<void> {
    try {
      await sleep(this.backoff.next(), signal, this.clock);
    } catch {
      // aborted: run() sees the signal and returns
    }
  }

  /**
   * LISTs every page and merges it into the cache: adds and updates as pages arrive, deletes of
   * everything not seen once the list is complete (only then is absence proof of deletion).
   */
  private async listAll(signal: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      this.stats.lists++;
      const seen = new Set<string>();
      let cont: string | undefined;
      let rv = '';
      try {
        do {
          const res = await this.client.request({
            path: this.path,
            query: { ...this.selectors, limit: this.pageSize, ...(cont ? { continue: cont } : {}) },
            signal,
          });
          if (signal.aborted) return;
          const page = this.parseList(res.body);
          this.stats.listPages++;
          rv = page.metadata?.resourceVersion ?? rv;
          for (const item of Array.isArray(page.items) ? page.items : []) {
            const key = this.apply(item);
            if (key !== undefined) seen.add(key);
          }
          cont = page.metadata?.continue || undefined;
        } while (cont);
      } catch (err) {
        // An expired continue token: the snapshot is gone; start the list over.
        if (isGone(err) && cont !== undefined && attempt < 3 && !signal.aborted) {
          this.stats.gone++;
          continue;
        }
        throw err;
      }
      for (const key of [...this.cache.keys()]) {
        if (!seen.has(key)) this.remove(key, undefined, true);
      }
      this.lastRv = rv;
      if (!this.synced) {
        this.synced = true;
        const waiters = this.syncWaiters;
        this.syncWaiters = [];
        for (const w of waiters) w();
      }
      return;
    }
  }

  /** One watch request; resolves with the number of events when the stream ends normally. */
  private async watchOnce(signal: AbortSignal): Promise<number> {
    this.stats.watches++;
    let events = 0;
    const timeout = Math.round(this.watchTimeoutSeconds * (1 + Math.random()));
    await this.client.watch({
      path: this.path,
      query: { ...this.selectors, resourceVersion: this.lastRv, allowWatchBookmarks: true, timeoutSeconds: timeout },
      signal,
      idleTimeoutMs: this.idleTimeoutMs,
      ...(this.parseEvent ? { parse: this.parseEvent } : {}),
      onEvent: (ev) => {
        events++;
        this.onWatchEvent(ev);
      },
    });
    return events;
  }

  private onWatchEvent(ev: RawWatchEvent): void {
    this.stats.events++;
    const obj = ev?.object as RawObject | undefined;
    switch (ev?.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.apply(obj);
        break;
      case 'DELETED': {
        const key = keyOf(obj);
        if (key === undefined) {
          this.malformed(obj, 'DELETED event without metadata.name');
        } else {
          this.remove(key, obj, false);
        }
        break;
      }
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const status = parseStatus(obj);
        if (status?.code === 410 || status?.reason === 'Expired' || status?.reason === 'Gone') throw new GoneError(status.message ?? 'resourceVersion too old');
        throw new KubeApiError({
          code: status?.code ?? 500,
          body: JSON.stringify(obj ?? null),
          headers: {},
          verb: 'watch',
          path: this.path,
          cluster: this.client.cluster,
        });
      }
      default:
        this.malformed(obj, `unknown watch event type ${JSON.stringify(ev?.type)}`);
        return;
    }
    const rv = obj?.metadata?.resourceVersion;
    if (typeof rv === 'string' && rv !== '') this.lastRv = rv;
  }

  /** Adds or updates from a list item or an ADDED/MODIFIED event; returns its key (undefined if malformed). */
  private apply(raw: unknown): string | undefined {
    const obj = raw as RawObject | undefined;
    const key = keyOf(obj);
    if (key === undefined) {
      this.malformed(obj, 'object without metadata.name');
      return undefined;
    }
    const meta = obj!.metadata!;
    const rv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '';
    const uid = typeof meta.uid === 'string' ? meta.uid : '';
    const old = this.cache.getEntry(key);
    // Same object at the same version (a relist, or a replayed event): nothing happened.
    if (old && old.uid === uid && old.rv === rv && rv !== '') return key;
    let projected: T;
    try {
      projected = this.project(obj!);
    } catch (err) {
      this.malformed(obj, `cannot project ${key}: ${(err as Error).message}`);
      return undefined;
    }
    if (old && old.uid !== uid) {
      // Deleted and created again under the same name while we were not looking.
      this.remove(key, undefined, true);
    }
    const replaced = this.cache.set(key, { obj: projected, rv, uid });
    // Called in place rather than through call(): a closure per handler per event shows in the
    // event rate.
    if (replaced && replaced.uid === uid) {
      for (const h of this.handlers) {
        if (!h.onUpdate) continue;
        try {
          h.onUpdate(replaced.obj, projected, key);
        } catch (err) {
          this.handlerThrew(err);
        }
      }
    } else {
      for (const h of this.handlers) {
        if (!h.onAdd) continue;
        try {
          h.onAdd(projected, key);
        } catch (err) {
          this.handlerThrew(err);
        }
      }
    }
    return key;
  }

  /** Removes `key` and tells handlers, once: a delete for something not cached is ignored. */
  private remove(key: string, final: RawObject | undefined, finalStateUnknown: boolean): void {
    const old = this.cache.delete(key);
    if (!old) return;
    let obj = old.obj;
    if (final) {
      try {
        obj = this.project(final);
      } catch {
        // The last good state is what handlers get.
      }
    }
    for (const h of this.handlers) if (h.onDelete) this.call(() => h.onDelete!(obj, key, { finalStateUnknown }));
  }

  private armResync(): void {
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.abort?.signal.aborted) return;
      if (this.synced) {
        for (const [key, e] of this.cache.entries()) {
          for (const h of this.handlers) if (h.onResync) this.call(() => h.onResync!(e.obj, key));
        }
      }
      this.armResync();
    }, this.resyncPeriodMs);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.handlerThrew(err);
    }
  }

  private handlerThrew(err: unknown): void {
    this.stats.handlerErrors++;
    this.logger?.warn({ err, informer: this.name }, 'informer handler threw');
  }

  private malformed(obj: unknown, why: string): void {
    this.stats.malformed++;
    const meta = (obj as RawObject | undefined)?.metadata;
    this.logger?.warn({ informer: this.name, namespace: meta?.namespace, name: meta?.name }, `malformed object skipped: ${why}`);
  }
}

/** `namespace/name`, `name` for cluster-scoped objects, undefined without a usable name. */
export function keyOf(obj: RawObject | undefined): string | undefined {
  const meta = obj?.metadata;
  if (typeof meta !== 'object' || meta === null) return undefined;
  const name = meta.name;
  if (typeof name !== 'string' || name === '') return undefined;
  const ns = meta.namespace;
  return typeof ns === 'string' && ns !== '' ? `${ns}/${name}` : name;
}

export function createInformer<T = RawObject>(options: InformerOptions<T>): Informer<T> {
  return new Informer(options);
}
