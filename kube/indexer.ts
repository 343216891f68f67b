/**
 * The informer's cache: objects by key (`namespace/name`, or `name` for cluster-scoped kinds)
 * plus secondary indices (by node, by namespace, by a label's value...), kept in step on every
 * write so a lookup by index costs the size of the answer, not of the cache.
 */

/** The values an object is filed under in one index (none: not in that index). */
export type IndexFunc<T> = (obj: T) => readonly string[] | string | undefined;

export interface CacheEntry<T> {
  readonly obj: T;
  readonly rv: string;
  readonly uid: string;
}

export class Indexer<T> {
  private readonly items = new Map<string, CacheEntry<T>>();
  private readonly indices = new Map<string, { fn: IndexFunc<T>; byValue: Map<string, Set<string>> }>();

  constructor(indexers: Readonly<Record<string, IndexFunc<T>>> = {}) {
    for (const [name, fn] of Object.entries(indexers)) this.addIndex(name, fn);
  }

  /** Adds an index (filing the objects already cached). */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indices.has(name)) throw new Error(`index "${name}" is already defined`);
    const index = { fn, byValue: new Map<string, Set<string>>() };
    this.indices.set(name, index);
    for (const [key, e] of this.items) this.file(index, key, values(fn, e.obj));
  }

  get size(): number {
    return this.items.size;
  }

  getEntry(key: string): CacheEntry<T> | undefined {
    return this.items.get(key);
  }

  get(key: string): T | undefined {
    return this.items.get(key)?.obj;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  entries(): IterableIterator<[string, CacheEntry<T>]> {
    return this.items.entries();
  }

  list(): T[] {
    const out: T[] = [];
    for (const e of this.items.values()) out.push(e.obj);
    return out;
  }

  /** Objects filed under `value` in index `name`. */
  byIndex(name: string, value: string): T[] {
    const out: T[] = [];
    for (const key of this.indexKeys(name, value)) {
      const e = this.items.get(key);
      if (e) out.push(e.obj);
    }
    return out;
  }

  /** Keys filed under `value` in index `name`. */
  indexKeys(name: string, value: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index "${name}" (have: ${[...this.indices.keys()].join(', ') || 'none'})`);
    const keys = index.byValue.get(value);
    return keys ? [...keys] : [];
  }

  /** The values present in index `name`. */
  indexValues(name: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index "${name}"`);
    return [...index.byValue.keys()];
  }

  /** Stores an entry; returns the one it replaced. */
  set(key: string, entry: CacheEntry<T>): CacheEntry<T> | undefined {
    const old = this.items.get(key);
    this.items.set(key, entry);
    for (const index of this.indices.values()) {
      if (!old) {
        this.file(index, key, values(index.fn, entry.obj));
        continue;
      }
      // Most updates (a status change, a new label) keep an object under the same index values:
      // then there is nothing to move.
      const before = values(index.fn, old.obj);
      const after = values(index.fn, entry.obj);
      if (sameValues(before, after)) continue;
      this.unfile(index, key, before);
      this.file(index, key, after);
    }
    return old;
  }

  delete(key: string): CacheEntry<T> | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.items.delete(key);
    for (const index of this.indices.values()) this.unfile(index, key, values(index.fn, old.obj));
    return old;
  }

  clear(): void {
    this.items.clear();
    for (const index of this.indices.values()) index.byValue.clear();
  }

  private file(index: { fn: IndexFunc<T>; byValue: Map<string, Set<string>> }, key: string, vs: readonly string[]): void {
    for (const v of vs) {
      let set = index.byValue.get(v);
      if (!set) index.byValue.set(v, (set = new Set()));
      set.add(key);
    }
  }

  private unfile(index: { fn: IndexFunc<T>; byValue: Map<string, Set<string>> }, key: string, vs: readonly string[]): void {
    for (const v of vs) {
      const set = index.byValue.get(v);
      if (!set) continue;
      set.delete(key);
      if (set.size === 0) index.byValue.delete(v);
    }
  }
}

function values<T>(fn: IndexFunc<T>, obj: T): readonly string[] {
  let v: readonly string[] | string | undefined;
  try {
    v = fn(obj);
  } catch {
    // An index function that cannot file an object leaves it out of that index only.
    return [];
  }
  if (v === undefined || v === '') return [];
  return typeof v === 'string' ? [v] : v;
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Index helpers over the common projected shapes. */
export const indexBy = {
  namespace: <T extends { namespace?: string }>(o: T): string | undefined => o.namespace,
  node: <T extends { node?: string }>(o: T): string | undefined => o.node || undefined,
  /** Files objects under the value of one label. */
  label:
    (key: string) =>
    <T extends { labels?: Readonly<Record<string, string>> }>(o: T): string | undefined =>
      o.labels?.[key],
};
