/**
 * What the virtual node watches in each member cluster: its mirrors (pods labelled with our
 * origin cluster) and the ConfigMaps, Secrets and ServiceAccounts it synced there. Projected:
 * a mirror keeps its origin, status and references, not its whole spec.
 */
import { createInformer, type Informer, type InformerHandlers, type KubeClient, type Logger, type RawObject } from '../kube/index.js';
import { MANAGED_BY_LABEL, ORIGIN_CLUSTER_LABEL } from '../api/index.js';
import { originOf, referencesOf, type PodReferences } from './mirror.js';

type Obj = Record<string, unknown>;

export interface MirrorState {
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
  /** The host pod it mirrors. */
  origin: { namespace: string; name: string; uid: string };
  deleting: boolean;
  status: Obj | undefined;
  refs: PodReferences;
  /** Secrets the mirror mounts beyond the host pod's own references (its host-API token). */
  createdAt: number;
}

export interface SyncedState {
  kind: 'ConfigMap' | 'Secret' | 'ServiceAccount';
  namespace: string;
  name: string;
  uid: string;
  /** Hash of the content we wrote (annotation), to skip writes that change nothing. */
  contentHash: string | undefined;
  createdAt: number;
}

export const CONTENT_HASH_ANNOTATION = 'tidepool.dev/content-hash';

export interface MemberCacheHandlers {
  onMirror(cluster: string, originKey: string, mirror: MirrorState, deleted: boolean): void;
  onSynced(cluster: string, obj: SyncedState, deleted: boolean): void;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function projectMirror(cluster: string, hostCluster: string) {
  return (raw: RawObject): MirrorState => {
    const meta = (raw.metadata ?? {}) as Obj & { annotations?: Record<string, string> };
    const origin = originOf({ metadata: { annotations: meta.annotations ?? {} } }, hostCluster);
    if (!origin) throw new Error('not a mirror of this host cluster (origin annotations missing)');
    const spec = (raw['spec'] ?? {}) as Obj;
    return {
      cluster,
      namespace: str(meta['namespace']),
      name: str(meta['name']),
      uid: str(meta['uid']),
      origin,
      deleting: typeof meta['deletionTimestamp'] === 'string',
      status: (raw['status'] as Obj | undefined) ?? undefined,
      refs: referencesOf(spec),
      createdAt: Date.parse(str(meta['creationTimestamp'])) || Date.now(),
    };
  };
}

function projectSynced(kind: SyncedState['kind']) {
  return (raw: RawObject): SyncedState => {
    const meta = (raw.metadata ?? {}) as Obj & { annotations?: Record<string, string> };
    return {
      kind,
      namespace: str(meta['namespace']),
      name: str(meta['name']),
      uid: str(meta['uid']),
      contentHash: meta.annotations?.[CONTENT_HASH_ANNOTATION],
      createdAt: Date.parse(str(meta['creationTimestamp'])) || Date.now(),
    };
  };
}

const KINDS: Array<{ kind: SyncedState['kind']; resource: string }> = [
  { kind: 'ConfigMap', resource: 'configmaps' },
  { kind: 'Secret', resource: 'secrets' },
  { kind: 'ServiceAccount', resource: 'serviceaccounts' },
];

/** The caches of one member cluster. */
export class MemberCache {
  readonly mirrors: Informer<MirrorState>;
  readonly synced: Map<SyncedState['kind'], Informer<SyncedState>> = new Map();

  constructor(
    readonly cluster: string,
    readonly client: KubeClient,
    hostCluster: string,
    /** Our virtual nodes: objects another virtual node (another deployment on the same host) made are not ours. */
    owners: readonly string[],
    handlers: MemberCacheHandlers,
    logger: Logger | undefined,
  ) {
    const selector = `${ORIGIN_CLUSTER_LABEL}=${hostCluster},${MANAGED_BY_LABEL} in (${[...owners].sort().join(',')})`;
    const common = { client, labelSelector: selector, backoff: { initialMs: 250, maxMs: 5_000 }, ...(logger ? { logger } : {}) };
    this.mirrors = createInformer<MirrorState>({
      ...common,
      name: `${cluster}/mirrors`,
      resource: { version: 'v1', resource: 'pods' },
      project: projectMirror(cluster, hostCluster),
      indexers: { origin: (m) => `${m.origin.namespace}/${m.origin.name}` },
    });
    const mh: InformerHandlers<MirrorState> = {
      onAdd: (m) => handlers.onMirror(cluster, `${m.origin.namespace}/${m.origin.name}`, m, false),
      onUpdate: (_o, m) => handlers.onMirror(cluster, `${m.origin.namespace}/${m.origin.name}`, m, false),
      onDelete: (m) => handlers.onMirror(cluster, `${m.origin.namespace}/${m.origin.name}`, m, true),
    };
    this.mirrors.addHandlers(mh);
    for (const { kind, resource } of KINDS) {
      const inf = createInformer<SyncedState>({ ...common, name: `${cluster}/${resource}`, resource: { version: 'v1', resource }, project: projectSynced(kind) });
      inf.addHandlers({
        onAdd: (s) => handlers.onSynced(cluster, s, false),
        onUpdate: (_o, s) => handlers.onSynced(cluster, s, false),
        onDelete: (s) => handlers.onSynced(cluster, s, true),
      });
      this.synced.set(kind, inf);
    }
  }

  start(): void {
    this.mirrors.start();
    for (const i of this.synced.values()) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.mirrors.stop(), ...[...this.synced.values()].map((i) => i.stop())]);
  }

  hasSynced(): boolean {
    return this.mirrors.hasSynced() && [...this.synced.values()].every((i) => i.hasSynced());
  }

  /** The mirrors of host pod `originKey` (normally one; more only while an old incarnation is being removed). */
  mirrorsOf(originKey: string): MirrorState[] {
    return this.mirrors.byIndex('origin', originKey);
  }

  syncedObject(kind: SyncedState['kind'], namespace: string, name: string): SyncedState | undefined {
    return this.synced.get(kind)?.get(`${namespace}/${name}`);
  }
}
