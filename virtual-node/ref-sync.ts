/**
 * What a mirror references — ConfigMaps, Secrets, its ServiceAccount — copied into the member
 * namespace, kept up to date when the host object changes, and garbage-collected when no mirror
 * there references it. Copies carry our labels and origin annotations; an object of the same
 * name that is not ours is never touched (the mirror then uses the member's own, and the pod
 * gets an Event saying so).
 */
import { createHash } from 'node:crypto';
import { isNotFound, KubeApiError, type Informer, type KubeClient, type Logger, type RawObject } from '../kube/index.js';
import { MANAGED_BY_LABEL, ORIGIN_CLUSTER_ANNOTATION, ORIGIN_CLUSTER_LABEL, ORIGIN_NAME_ANNOTATION, ORIGIN_NAMESPACE_ANNOTATION } from '../api/index.js';
import { CONTENT_HASH_ANNOTATION, type MemberCache, type SyncedState } from './member-caches.js';
import type { PodReferences } from './mirror.js';

type Obj = Record<string, unknown>;
type Kind = SyncedState['kind'];

const RESOURCE: Record<Kind, string> = { ConfigMap: 'configmaps', Secret: 'secrets', ServiceAccount: 'serviceaccounts' };


export interface EnsureResult {
  /** References the host does not have (the pod must wait, as a kubelet would). */
  missing: string[];
  /** Names taken in the member by objects that are not ours (used as they are). */
  foreign: string[];
}

export interface RefSyncOptions {
  hostCluster: string;
  /** managed-by label value. */
  owner: string;
  hostConfigMaps: Informer<RawObject>;
  hostSecrets: Informer<RawObject>;
  hostServiceAccounts: Informer<RawObject>;
  caches: () => ReadonlyMap<string, MemberCache>;
  logger?: Logger;
  now?: () => number;
  /** A synced object wanted or made more recently than this is never collected: a mirror may be on its way. Default 60 s. */
  gcGraceMs?: number;
}

function path(kind: Kind, namespace: string, name?: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/${RESOURCE[kind]}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

/** The part of a host object that crosses, for each kind. */
function contentOf(kind: Kind, obj: RawObject): Obj {
  const o = obj as Obj;
  if (kind === 'ConfigMap') return pick(o, ['data', 'binaryData', 'immutable']);
  if (kind === 'Secret') return pick(o, ['type', 'data', 'immutable']);
  // A ServiceAccount's token Secrets belong to the host; its pull secrets are synced by name.
  return pick(o, ['automountServiceAccountToken', 'imagePullSecrets']);
}

function pick(o: Obj, keys: string[]): Obj {
  const out: Obj = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export function hashOf(content: Obj): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
}

export class RefSync {
  private readonly namespaces = new Map<string, Set<string>>();
  /** cluster/kind/ns/name → when a mirror last asked for it (protects it from the collector). */
  private readonly wanted = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly opts: RefSyncOptions) {
    this.now = opts.now ?? Date.now;
  }

  private hostObject(kind: Kind, namespace: string, name: string): RawObject | undefined {
    const inf = kind === 'ConfigMap' ? this.opts.hostConfigMaps : kind === 'Secret' ? this.opts.hostSecrets : this.opts.hostServiceAccounts;
    return inf.get(`${namespace}/${name}`);
  }

  /** Creates the member namespace if it is missing (remembered once seen). */
  async ensureNamespace(cluster: string, client: KubeClient, namespace: string): Promise<void> {
    let known = this.namespaces.get(cluster);
    if (!known) this.namespaces.set(cluster, (known = new Set()));
    if (known.has(namespace)) return;
    try {
      await client.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { [MANAGED_BY_LABEL]: this.opts.owner } } } });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
    }
    known.add(namespace);
  }

  /** Makes every reference of a mirror exist in the member, up to date. */
  async ensure(cluster: string, client: KubeClient, namespace: string, refs: PodReferences, extraSecrets: readonly string[] = []): Promise<EnsureResult> {
    const result: EnsureResult = { missing: [], foreign: [] };
    const items: Array<[Kind, string]> = [
      ...refs.configMaps.map((n): [Kind, string] => ['ConfigMap', n]),
      ...refs.secrets.filter((n) => !extraSecrets.includes(n)).map((n): [Kind, string] => ['Secret', n]),
      ...(refs.serviceAccount && refs.serviceAccount !== 'default' ? [['ServiceAccount', refs.serviceAccount] as [Kind, string]] : []),
    ];
    for (const [kind, name] of items) {
      this.wanted.set(`${cluster}/${kind}/${namespace}/${name}`, this.now());
      const src = this.hostObject(kind, namespace, name);
      if (!src) {
        result.missing.push(`${kind} ${namespace}/${name}`);
        continue;
      }
      const outcome = await this.write(cluster, client, kind, namespace, name, src);
      if (outcome === 'foreign') result.foreign.push(`${kind} ${namespace}/${name}`);
    }
    return result;
  }

  /** Notes that a Secret the virtual node itself wrote (a host-API token) is wanted. */
  touch(cluster: string, kind: Kind, namespace: string, name: string): void {
    this.wanted.set(`${cluster}/${kind}/${namespace}/${name}`, this.now());
  }

  /** A host object changed: bring every member copy of it up to date. */
  async hostChanged(kind: Kind, namespace: string, name: string): Promise<void> {
    const src = this.hostObject(kind, namespace, name);
    if (!src) return; // deleted on the host: copies stay until no mirror references them
    for (const cache of this.opts.caches().values()) {
      if (!cache.syncedObject(kind, namespace, name)) continue;
      await this.write(cache.cluster, cache.client, kind, namespace, name, src);
    }
  }

  private async write(cluster: string, client: KubeClient, kind: Kind, namespace: string, name: string, src: RawObject): Promise<'written' | 'unchanged' | 'foreign'> {
    const content = contentOf(kind, src);
    const hash = hashOf(content);
    const cache = this.opts.caches().get(cluster);
    const have = cache?.syncedObject(kind, namespace, name);
    if (have && have.contentHash === hash) return 'unchanged';
    const body = {
      apiVersion: 'v1',
      kind,
      metadata: {
        name,
        namespace,
        labels: { [MANAGED_BY_LABEL]: this.opts.owner, [ORIGIN_CLUSTER_LABEL]: this.opts.hostCluster },
        annotations: { [ORIGIN_CLUSTER_ANNOTATION]: this.opts.hostCluster, [ORIGIN_NAMESPACE_ANNOTATION]: namespace, [ORIGIN_NAME_ANNOTATION]: name, [CONTENT_HASH_ANNOTATION]: hash },
      },
      ...content,
    };
    if (!have) {
      try {
        await client.request({ method: 'POST', path: path(kind, namespace), body });
        return 'written';
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 409)) throw err;
      }
    }
    // It exists: ours (update it) or someone else's (leave it).
    const current = await client.requestJson<{ metadata?: { resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> } }>({ path: path(kind, namespace, name) });
    if (current.metadata?.labels?.[ORIGIN_CLUSTER_LABEL] !== this.opts.hostCluster) return 'foreign';
    if (current.metadata.annotations?.[CONTENT_HASH_ANNOTATION] === hash) return 'unchanged';
    const immutable = (current as Obj)['immutable'] === true;
    if (immutable) {
      // An immutable copy cannot be updated: replace it.
      await client.request({ method: 'DELETE', path: path(kind, namespace, name), query: { gracePeriodSeconds: 0 } });
      await client.request({ method: 'POST', path: path(kind, namespace), body });
      return 'written';
    }
    await client.request({ method: 'PUT', path: path(kind, namespace, name), body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata.resourceVersion } } });
    return 'written';
  }

  /**
   * Deletes synced objects no mirror in their member namespace references any more. Only runs
   * over members whose caches have synced; an object wanted recently is kept.
   */
  async collect(): Promise<number> {
    let deleted = 0;
    const now = this.now();
    for (const cache of this.opts.caches().values()) {
      if (!cache.hasSynced()) continue;
      const used = new Set<string>();
      for (const m of cache.mirrors.list()) {
        for (const n of m.refs.configMaps) used.add(`ConfigMap/${m.namespace}/${n}`);
        for (const n of m.refs.secrets) used.add(`Secret/${m.namespace}/${n}`);
        if (m.refs.serviceAccount) used.add(`ServiceAccount/${m.namespace}/${m.refs.serviceAccount}`);
      }
      for (const [kind, inf] of cache.synced) {
        for (const s of inf.list()) {
          const id = `${kind}/${s.namespace}/${s.name}`;
          if (used.has(id)) continue;
          const wantedAt = this.wanted.get(`${cache.cluster}/${id}`) ?? 0;
          if (now - Math.max(wantedAt, s.createdAt) < (this.opts.gcGraceMs ?? 60_000)) continue;
          try {
            await cache.client.request({ method: 'DELETE', path: path(kind, s.namespace, s.name), body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: s.uid } } });
            deleted++;
          } catch (err) {
            if (!isNotFound(err) && !(err instanceof KubeApiError && err.code === 409)) {
              this.opts.logger?.warn({ cluster: cache.cluster, kind, namespace: s.namespace, name: s.name, err: (err as Error).message }, 'could not collect a synced object');
            }
          }
          this.wanted.delete(`${cache.cluster}/${id}`);
        }
      }
    }
    return deleted;
  }
}
