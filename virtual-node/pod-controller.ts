/**
 * The pod controller: host pods bound to our virtual node(s) ↔ mirror pods in member clusters.
 *
 * Informer handlers only enqueue host pod keys (namespace/name); workers reconcile one key from
 * the caches to the desired state, so any number of events for a pod cost one pass, and a
 * restart (or a new leader) converges from whatever it finds:
 * - a live host pod with no mirror is placed (federation's Placer) and its mirror created;
 * - a mirror's status flows back to the host through pods/status, written only when it differs;
 * - a host pod being deleted with grace G has its mirror deleted with G, and is finalised (grace
 *   0, as a kubelet does) once the mirror is gone;
 * - a mirror that disappears (deleted or evicted in the member) fails its host pod with the
 *   reason; a completed host pod is never mirrored again;
 * - a member that stops answering turns its pods Unknown / Ready=False after a timeout; when it
 *   answers again every pod is resynced from its mirror; nothing is deleted on a guess;
 * - orphan mirrors (host pod confirmed gone) are collected only after every cache has synced.
 */
import { isNotFound, KubeApiError, WorkQueue, createInformer, type EventRecorder, type Informer, type KubeClient, type Logger, type RawObject } from '../kube/index.js';
import type { PoolProvider } from '../federation/index.js';
import { buildMirror, forMember, hostKeyOf, isDaemonSetPod, isTerminal, mirrorName, wantsHostApi, type PodJson } from './mirror.js';
import { MemberCache, type MirrorState, type SyncedState } from './member-caches.js';
import { failedStatus, hostStatusFrom, statusDiffers, unreachableStatus, unschedulableStatus } from './pod-status.js';
import { RefSync } from './ref-sync.js';
import { issueHostToken, tokenSecretName, type HostApiAccess } from './host-token.js';
import type { KubeletBackend, MirrorLocation } from './kubelet-backend.js';
import type { VirtualNodeMetrics } from './metrics.js';

type Obj = Record<string, unknown>;

export interface ServedNode {
  name: string;
  /** InternalIP written as the pods' hostIP. */
  address: string;
  /** Members this node places into (a per-cluster node); all when absent. */
  clusters?: readonly string[];
  /** The node's labels: selector terms on them chose the virtual node and do not cross. */
  labels?: Readonly<Record<string, string>>;
}

export interface PodControllerOptions {
  host: KubeClient;
  /** The host cluster's id (origin-cluster on every mirror). */
  hostCluster: string;
  provider: PoolProvider;
  nodes: readonly ServedNode[];
  recorder: EventRecorder;
  metrics?: VirtualNodeMetrics;
  /** Host API access for pods that mount a service-account token; off when absent. */
  hostApi?: HostApiAccess;
  /** A pod no member can take fails after this long Pending; never when absent. */
  placementDeadlineMs?: number;
  /** A member not Ready this long turns its pods Unknown. Default 40 s (a kubelet's node-monitor grace). */
  memberUnreachableMs?: number;
  /** Orphan-mirror and synced-object collection period. Default 30 s. */
  gcIntervalMs?: number;
  /** Synced objects younger than this are never collected. Default 60 s. */
  gcGraceMs?: number;
  /** Reconciles in flight. Default 64 (DEFAULT_WORKERS). */
  workers?: number;
  logger?: Logger;
  now?: () => number;
}

interface Placement {
  cluster: string;
  mirror: string;
  namespace: string;
  uid: string;
  at: number;
}

function hasConditions(s: Obj | undefined): boolean {
  return Array.isArray(s?.['conditions']) && (s!['conditions'] as unknown[]).length > 0;
}

/** After creating a mirror, how long we wait for the member's watch to show it before asking again. */
const CREATE_CONFIRM_MS = 30_000;

/**
 * Reconciles in flight. A pod's two API round trips (mirror create, status write) each hold a
 * worker, so a burst goes at most workers / (2 × round trip) pods a second: 16 held the virtual
 * node to ~220 pods/s at 35 ms round trips while the member APIs had room (bench virtual-node).
 * 64 matches the client's connection pool (kube/transport: 64 sockets per cluster); the client's
 * QPS limit, not the worker count, is what protects the API servers.
 */
const DEFAULT_WORKERS = 64;

/** How long our own status write may take to come back through the host watch before the cache is trusted again. */
const STATUS_ECHO_MS = 10_000;

export class PodController implements KubeletBackend {
  private readonly queue: WorkQueue;
  private readonly podInformers = new Map<string, Informer<PodJson>>();
  private readonly caches = new Map<string, MemberCache>();
  private readonly placements = new Map<string, Placement>();
  /** Last known state of mirrors that disappeared, by host key (to say why a pod failed). */
  private readonly goneMirrors = new Map<string, MirrorState>();
  /** Members and since when they are not ready. */
  private readonly notReadySince = new Map<string, number>();
  private readonly memberReady = new Map<string, boolean>();
  private readonly deleting = new Set<string>();
  /** Placement failure message last reported, per pod (one Event per change of reason). */
  private readonly lastPlacementMessage = new Map<string, string>();
  private readonly tokenRefresh = new Map<string, number>();
  private readonly priorityClasses = new Map<string, { names: Set<string>; at: number }>();
  private readonly hostConfigMaps: Informer<RawObject>;
  private readonly hostSecrets: Informer<RawObject>;
  private readonly hostServiceAccounts: Informer<RawObject>;
  private readonly refs: RefSync;
  private readonly nodeByName: Map<string, ServedNode>;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private workers: Promise<void> | undefined;
  private gcTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly mirrorsSeen = new Set<string>();
  /**
   * Our last status write per host pod, until the host watch shows it (its resourceVersion): a
   * reconcile meanwhile reads an older status from the cache, and must compare the mirror with
   * what we wrote, not with that, or it writes the same status twice.
   */
  private readonly statusWritten = new Map<string, { rv: string; status: Obj; at: number }>();

  constructor(private readonly opts: PodControllerOptions) {
    this.now = opts.now ?? Date.now;
    this.nodeByName = new Map(opts.nodes.map((n) => [n.name, n]));
    this.queue = new WorkQueue({ name: 'virtual-node-pods', baseDelayMs: 250, maxDelayMs: 60_000, ...(opts.metrics ? { registry: opts.metrics.registry } : {}) });
    const logger = opts.logger;
    const common = { client: opts.host, backoff: { initialMs: 250, maxMs: 5_000 }, ...(logger ? { logger } : {}) };
    for (const node of opts.nodes) {
      const inf = createInformer<PodJson>({ ...common, name: `host/pods@${node.name}`, resource: { version: 'v1', resource: 'pods' }, fieldSelector: `spec.nodeName=${node.name}` });
      inf.addHandlers({
        onAdd: (_p, key) => this.queue.add(key, 'add'),
        onUpdate: (_o, p, key) => {
          if (this.statusWritten.get(key)?.rv === p.metadata?.resourceVersion) this.statusWritten.delete(key);
          this.queue.add(key, 'update');
        },
        onDelete: (_p, key) => this.queue.add(key, 'delete'),
      });
      this.podInformers.set(node.name, inf);
    }
    const refChanged = (kind: SyncedState['kind']) => (_o: RawObject, obj: RawObject, key: string) => {
      void obj;
      this.queue.add(`@${kind}/${key}`, 'update');
    };
    this.hostConfigMaps = createInformer<RawObject>({ ...common, name: 'host/configmaps', resource: { version: 'v1', resource: 'configmaps' } });
    this.hostSecrets = createInformer<RawObject>({ ...common, name: 'host/secrets', resource: { version: 'v1', resource: 'secrets' } });
    this.hostServiceAccounts = createInformer<RawObject>({ ...common, name: 'host/serviceaccounts', resource: { version: 'v1', resource: 'serviceaccounts' } });
    this.hostConfigMaps.addHandlers({ onUpdate: refChanged('ConfigMap') });
    this.hostSecrets.addHandlers({ onUpdate: refChanged('Secret') });
    this.hostServiceAccounts.addHandlers({ onUpdate: refChanged('ServiceAccount') });
    this.refs = new RefSync({
      hostCluster: opts.hostCluster,
      owner: opts.nodes[0]?.name ?? 'tidepool',
      hostConfigMaps: this.hostConfigMaps,
      hostSecrets: this.hostSecrets,
      hostServiceAccounts: this.hostServiceAccounts,
      caches: () => this.caches,
      ...(logger ? { logger } : {}),
      ...(opts.gcGraceMs !== undefined ? { gcGraceMs: opts.gcGraceMs } : {}),
      now: this.now,
    });
  }

  // ------------------------------------------------------------------ lifecycle

  start(): void {
    for (const inf of this.podInformers.values()) inf.start();
    this.hostConfigMaps.start();
    this.hostSecrets.start();
    this.hostServiceAccounts.start();
    this.syncMembers();
    // The pool changes at every pod event; membership and readiness are looked at most every 100 ms.
    let pending: NodeJS.Timeout | undefined;
    this.unsubscribe = this.opts.provider.onChange(() => {
      pending ??= setTimeout(() => {
        pending = undefined;
        if (!this.abort.signal.aborted) this.syncMembers();
      }, 100);
    });
    this.workers = this.queue.runWorkers(this.opts.workers ?? DEFAULT_WORKERS, (key) => this.reconcileKey(key), this.abort.signal, {
      onError: (err, item, requeues) => {
        if (requeues < 3 || requeues % 10 === 0) this.opts.logger?.warn({ key: item.key, requeues, err: (err as Error).message }, 'reconcile failed; retrying with backoff');
      },
    });
    const gcEvery = this.opts.gcIntervalMs ?? 30_000;
    this.gcTimer = setInterval(() => void this.collect(), gcEvery);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.unsubscribe?.();
    clearInterval(this.gcTimer);
    this.queue.shutDown();
    await this.workers?.catch(() => undefined);
    await Promise.all([
      ...[...this.podInformers.values()].map((i) => i.stop()),
      this.hostConfigMaps.stop(),
      this.hostSecrets.stop(),
      this.hostServiceAccounts.stop(),
      ...[...this.caches.values()].map((c) => c.stop()),
    ]);
  }

  /** True once host pods and every member's mirrors are listed. */
  hasSynced(): boolean {
    return [...this.podInformers.values()].every((i) => i.hasSynced()) && this.hostConfigMaps.hasSynced() && this.hostSecrets.hasSynced() && [...this.caches.values()].every((c) => c.hasSynced());
  }

  async waitForSync(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (this.now() < deadline && !this.abort.signal.aborted) {
      if (this.hasSynced()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.hasSynced();
  }

  /** Starts caches for new members, notes readiness changes (and resyncs pods of a member that came back). */
  private syncMembers(): void {
    for (const m of this.opts.provider.members()) {
      if (!this.caches.has(m.name)) {
        const client = this.opts.provider.memberClient(m.name);
        if (client) {
          const cache = new MemberCache(m.name, client, this.opts.hostCluster, this.nodeNames(), { onMirror: (c, k, mirror, del) => this.onMirror(c, k, mirror, del), onSynced: () => undefined }, this.opts.logger);
          this.caches.set(m.name, cache);
          if (!this.abort.signal.aborted) cache.start();
        }
      }
      const was = this.memberReady.get(m.name);
      if (was === m.ready) continue;
      this.memberReady.set(m.name, m.ready);
      if (!m.ready) {
        this.notReadySince.set(m.name, this.now());
        // Look again once the grace has passed: the pods then turn Unknown if it is still gone.
        for (const key of this.keysIn(m.name)) this.queue.addAfter(key, (this.opts.memberUnreachableMs ?? 40_000) + 50, 'resync');
      } else {
        this.notReadySince.delete(m.name);
        // Back: every pod there is resynced from its mirror (status is never left stale).
        if (was === false) for (const key of this.keysIn(m.name)) this.queue.add(key, 'resync');
      }
    }
  }

  private keysIn(cluster: string): string[] {
    const out: string[] = [];
    for (const [key, p] of this.placements) if (p.cluster === cluster) out.push(key);
    return out;
  }

  private onMirror(cluster: string, originKey: string, mirror: MirrorState, deleted: boolean): void {
    if (deleted) {
      this.goneMirrors.set(originKey, mirror);
      this.opts.provider.forget(cluster, `${mirror.namespace}/${mirror.name}`);
    } else if (!this.placements.has(originKey)) {
      // Adopted (found at start, or made by a previous leader): ours by origin cluster + uid.
      this.placements.set(originKey, { cluster, mirror: mirror.name, namespace: mirror.namespace, uid: mirror.origin.uid, at: mirror.createdAt });
    }
    this.queue.add(originKey, deleted ? 'delete' : 'update');
  }

  // ------------------------------------------------------------------ KubeletBackend

  nodeNames(): string[] {
    return this.opts.nodes.map((n) => n.name);
  }

  mirrorOf(namespace: string, name: string): MirrorLocation | undefined {
    const key = `${namespace}/${name}`;
    const found = this.findMirror(key, this.hostPod(key)?.metadata?.uid);
    if (!found) return undefined;
    const client = this.opts.provider.memberClient(found.cluster);
    return client ? { cluster: found.cluster, client, namespace: found.namespace, name: found.name } : undefined;
  }

  hasPod(namespace: string, name: string): boolean {
    return this.hostPod(`${namespace}/${name}`) !== undefined;
  }

  hostPods(): RawObject[] {
    const out: RawObject[] = [];
    for (const inf of this.podInformers.values()) out.push(...(inf.list() as RawObject[]));
    return out;
  }

  /** Where each host pod's mirror is (for tests and the status page). */
  placementOf(namespace: string, name: string): { cluster: string; mirror: string } | undefined {
    const p = this.placements.get(`${namespace}/${name}`);
    return p ? { cluster: p.cluster, mirror: p.mirror } : undefined;
  }

  // ------------------------------------------------------------------ reconcile

  private hostPod(key: string): PodJson | undefined {
    for (const inf of this.podInformers.values()) {
      const p = inf.get(key);
      if (p) return p;
    }
    return undefined;
  }

  private findMirror(key: string, uid: string | undefined): MirrorState | undefined {
    let any: MirrorState | undefined;
    for (const cache of this.caches.values()) {
      for (const m of cache.mirrorsOf(key)) {
        if (uid !== undefined && m.origin.uid === uid) return m;
        any ??= m;
      }
    }
    return uid === undefined ? any : undefined;
  }

  private allMirrorsOf(key: string): MirrorState[] {
    const out: MirrorState[] = [];
    for (const cache of this.caches.values()) out.push(...cache.mirrorsOf(key));
    return out;
  }

  private membersSynced(): boolean {
    if (this.caches.size === 0) return false;
    for (const [name, cache] of this.caches) {
      // A member that is down cannot be listed; it does not block the others once it is known down.
      if (!cache.mirrors.hasSynced() && this.memberReady.get(name) !== false) return false;
    }
    return true;
  }

  private async reconcileKey(key: string): Promise<{ requeueAfterMs?: number } | void> {
    if (key.startsWith('@')) {
      const [kindNs, ...rest] = key.slice(1).split('/');
      await this.refs.hostChanged(kindNs as SyncedState['kind'], rest[0]!, rest.slice(1).join('/'));
      return;
    }
    const started = performance.now();
    try {
      return await this.reconcile(key);
    } finally {
      this.opts.metrics?.reconcileSeconds.observe((performance.now() - started) / 1000);
    }
  }

  private async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const pod = this.hostPod(key);
    const uid = pod?.metadata?.uid;
    // Mirrors of an older pod under this name (or of a pod that is gone) are garbage: ours, not needed.
    for (const m of this.allMirrorsOf(key)) {
      if (m.origin.uid !== uid && pod !== undefined) await this.deleteMirror(m, 0);
    }
    if (!pod) {
      // Gone from the host (finalised, or force-deleted): its mirror goes too.
      const m = this.findMirror(key, undefined);
      if (m && [...this.podInformers.values()].every((i) => i.hasSynced())) await this.deleteMirror(m, 0);
      this.placements.delete(key);
      this.goneMirrors.delete(key);
      this.lastPlacementMessage.delete(key);
      this.lastPlacementMessage.delete(`${key}#ev`);
      this.mirrorsSeen.delete(key);
      this.tokenRefresh.delete(key);
      this.statusWritten.delete(key);
      return;
    }
    const node = this.nodeByName.get(String(pod.spec?.['nodeName'] ?? ''));
    if (!node) return;
    const mirror = this.findMirror(key, uid);
    const status = pod.status;

    if (pod.metadata?.deletionTimestamp) return this.finalise(key, pod, mirror);
    if (isTerminal(status?.['phase'])) return; // completed stays completed; never mirrored again

    if (mirror) {
      this.goneMirrors.delete(key);
      this.placements.set(key, { cluster: mirror.cluster, mirror: mirror.name, namespace: mirror.namespace, uid: mirror.origin.uid, at: mirror.createdAt });
      return this.syncStatus(key, pod, node, mirror);
    }

    // No mirror. Did we make one that the member's watch has not shown yet?
    const placed = this.placements.get(key);
    if (placed && placed.uid === uid && !this.goneMirrors.has(key)) {
      if (this.now() - placed.at < CREATE_CONFIRM_MS) return { requeueAfterMs: 1_000 };
    }
    if (!this.membersSynced()) return { requeueAfterMs: 250 };
    // It ran before (we wrote its hostIP) and its mirror is gone: deleted or evicted in the member.
    const gone = this.goneMirrors.get(key);
    if (typeof status?.['hostIP'] === 'string' || (gone && gone.origin.uid === uid)) {
      if (placed && this.isUnreachable(placed.cluster)) return this.markUnreachable(pod, placed.cluster);
      if (placed && this.memberReady.get(placed.cluster) === false) return { requeueAfterMs: 1_000 };
      return this.failLost(key, pod, gone);
    }
    return this.place(key, pod, node);
  }

  private isUnreachable(cluster: string): boolean {
    const since = this.notReadySince.get(cluster);
    return since !== undefined && this.now() - since >= (this.opts.memberUnreachableMs ?? 40_000);
  }

  private async syncStatus(key: string, pod: PodJson, node: ServedNode, mirror: MirrorState): Promise<{ requeueAfterMs?: number } | void> {
    if (this.memberReady.get(mirror.cluster) === false) {
      if (this.isUnreachable(mirror.cluster)) return this.markUnreachable(pod, mirror.cluster);
      return; // requeued when the grace ends (syncMembers)
    }
    if (!this.mirrorsSeen.has(key)) {
      this.mirrorsSeen.add(key);
      this.opts.metrics?.mirrorsSeen.inc();
    }
    // A mirror the member has not even scheduled yet says nothing new: wait, so the happy path
    // costs two host writes (scheduled, running), coalesced to one when the member is quick.
    if (!hasConditions(mirror.status) && (mirror.status?.['phase'] ?? 'Pending') === 'Pending') return;
    const desired = hostStatusFrom(mirror.status, node.address);
    // Fields a previous write set that the mirror no longer has (an Unknown spell's reason) are cleared.
    for (const k of ['reason', 'message'] as const) if (desired[k] === undefined && pod.status?.[k] !== undefined) desired[k] = null;
    const written = this.statusWritten.get(key);
    const current = written && written.rv !== pod.metadata?.resourceVersion && this.now() - written.at < STATUS_ECHO_MS ? written.status : pod.status;
    if (statusDiffers(current, desired)) await this.writeStatus(pod, desired);
    // Keep a host-API token fresh.
    const refreshAt = this.tokenRefresh.get(key);
    if (refreshAt !== undefined && this.opts.hostApi) {
      if (this.now() >= refreshAt) {
        const client = this.opts.provider.memberClient(mirror.cluster);
        if (client) {
          const t = await issueHostToken({ host: this.opts.host, member: client, hostCluster: this.opts.hostCluster, owner: node.name, pod, mirrorName: mirror.name, access: this.opts.hostApi, now: this.now });
          this.tokenRefresh.set(key, t.refreshAt);
        }
      }
      return { requeueAfterMs: Math.max(1_000, (this.tokenRefresh.get(key) ?? 0) - this.now()) };
    }
    if (refreshAt === undefined && this.opts.hostApi && wantsHostApi(pod.spec ?? {})) {
      // Adopted after a restart: schedule a refresh soon so the token never lapses.
      this.tokenRefresh.set(key, this.now() + 60_000);
      return { requeueAfterMs: 60_000 };
    }
  }

  private async markUnreachable(pod: PodJson, cluster: string): Promise<void> {
    if (pod.status?.['phase'] === 'Unknown') return;
    await this.writeStatus(pod, unreachableStatus(pod.status, cluster, new Date(this.now())));
    this.opts.recorder.record(pod, 'Warning', 'MemberClusterUnreachable', `member cluster ${cluster} stopped answering; the pod's state is unknown until it returns (nothing was deleted)`);
  }

  private async failLost(key: string, pod: PodJson, gone: MirrorState | undefined): Promise<void> {
    const s = gone?.status;
    const evicted = s?.['reason'] === 'Evicted' || (Array.isArray(s?.['conditions']) && (s!['conditions'] as Obj[]).some((c) => c['type'] === 'DisruptionTarget' && c['status'] === 'True'));
    const reason = evicted ? 'Evicted' : 'MirrorDeleted';
    const where = gone ? `${gone.cluster}/${gone.namespace}/${gone.name}` : 'its member cluster';
    const message = evicted
      ? `the mirror pod ${where} was evicted${typeof s?.['message'] === 'string' ? `: ${s['message']}` : ''}`
      : `the mirror pod ${where} was deleted in the member cluster`;
    await this.writeStatus(pod, failedStatus(pod.status, reason, message, new Date(this.now())));
    this.opts.recorder.record(pod, 'Warning', reason, message);
    this.opts.metrics?.mirrorsLost.inc({ reason });
    this.placements.delete(key);
  }

  /** Deletion: the mirror first (with the pod's grace), then the host pod with grace 0. */
  private async finalise(key: string, pod: PodJson, mirror: MirrorState | undefined): Promise<{ requeueAfterMs?: number } | void> {
    if (mirror) {
      if (!mirror.deleting) {
        const grace = pod.metadata?.deletionGracePeriodSeconds ?? 30;
        await this.deleteMirror(mirror, grace);
      }
      // A member that is down cannot confirm the deletion: the host pod waits, as a kubelet's would.
      return;
    }
    const placed = this.placements.get(key);
    if (placed && !this.goneMirrors.has(key) && this.now() - placed.at < CREATE_CONFIRM_MS) return { requeueAfterMs: 1_000 };
    if (!this.membersSynced()) return { requeueAfterMs: 500 };
    if (placed && this.memberReady.get(placed.cluster) === false) return { requeueAfterMs: 2_000 };
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    try {
      await this.opts.host.request({
        method: 'DELETE',
        path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`,
        body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } },
      });
    } catch (err) {
      if (!isNotFound(err) && !(err instanceof KubeApiError && err.code === 409)) throw err;
    }
    this.placements.delete(key);
  }

  private async deleteMirror(m: MirrorState, graceSeconds: number): Promise<void> {
    const id = `${m.cluster}/${m.namespace}/${m.name}/${graceSeconds}`;
    if (this.deleting.has(id)) return;
    const client = this.opts.provider.memberClient(m.cluster);
    if (!client) return;
    this.deleting.add(id);
    try {
      await client.request({
        method: 'DELETE',
        path: `/api/v1/namespaces/${encodeURIComponent(m.namespace)}/pods/${encodeURIComponent(m.name)}`,
        body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: graceSeconds, preconditions: { uid: m.uid } },
      });
      this.opts.metrics?.mirrorDeletes.inc();
    } catch (err) {
      if (!isNotFound(err) && !(err instanceof KubeApiError && err.code === 409)) throw err;
    } finally {
      setTimeout(() => this.deleting.delete(id), 5_000).unref();
    }
  }

  private async place(key: string, hostPod: PodJson, node: ServedNode): Promise<{ requeueAfterMs?: number } | void> {
    const pod = forMember(hostPod, node.labels ?? {});
    if (isDaemonSetPod(pod)) {
      this.eventOnce(key, pod, 'Warning', 'DaemonSetPodNotMirrored', 'DaemonSet pods are not mirrored to member clusters: a DaemonSet runs one pod per real node, and the virtual node is not one');
      return;
    }
    const ns = pod.metadata?.namespace ?? 'default';
    const name = mirrorName(this.opts.hostCluster, pod);
    const memberKey = `${ns}/${name}`;
    let clusters = node.clusters;
    if (pod.spec?.['hostNetwork'] === true) {
      // Host networking crosses only to members whose policy allows it: choose among those.
      const allowed = this.opts.provider.members().filter((m) => m.allowHostNetwork && (!clusters || clusters.includes(m.name))).map((m) => m.name);
      if (allowed.length === 0) {
        this.eventOnce(key, pod, 'Warning', 'HostNetworkNotAllowed', 'the pod asks for hostNetwork, and no member cluster\'s policy allows it (MemberCluster spec.allowHostNetwork)');
        return;
      }
      clusters = allowed;
    }
    let result;
    try {
      result = this.opts.provider.place(pod as never, { key: memberKey, ...(clusters ? { clusters } : {}) });
    } catch (err) {
      this.eventOnce(key, pod, 'Warning', 'InvalidPod', `the pod cannot be placed: ${(err as Error).message}`);
      return;
    }
    if (!result.ok) {
      const message = `no member cluster can take the pod: ${result.reasons.join('; ')}`;
      this.opts.metrics?.placementFailures.inc();
      const created = Date.parse(String(pod.metadata?.['creationTimestamp'] ?? '')) || this.now();
      if (this.opts.placementDeadlineMs !== undefined && this.now() - created > this.opts.placementDeadlineMs) {
        const msg = `${message} (gave up after ${Math.round(this.opts.placementDeadlineMs / 1000)}s)`;
        await this.writeStatus(pod, failedStatus(pod.status, 'PlacementDeadlineExceeded', msg, new Date(this.now())));
        this.opts.recorder.record(pod, 'Warning', 'PlacementDeadlineExceeded', msg);
        return;
      }
      if (this.lastPlacementMessage.get(key) !== message) {
        this.lastPlacementMessage.set(key, message);
        this.opts.recorder.record(pod, 'Warning', 'FailedPlacement', message);
        await this.writeStatus(pod, unschedulableStatus(pod.status, message, new Date(this.now())));
      }
      // Retried with backoff by the queue: throwing would log; a requeue with growing delay is quieter.
      const n = this.queue.numRequeues(key);
      return { requeueAfterMs: Math.min(60_000, 1_000 * 2 ** Math.min(n, 6)) };
    }
    const cluster = result.cluster;
    const client = this.opts.provider.memberClient(cluster);
    if (!client) {
      this.opts.provider.forget(cluster, memberKey);
      return { requeueAfterMs: 1_000 };
    }
    try {
      const allowHostNetwork = this.opts.provider.members().find((m) => m.name === cluster)?.allowHostNetwork === true;
      const hostApi = this.opts.hostApi && wantsHostApi(pod.spec ?? {}) ? this.opts.hostApi : undefined;
      const built = buildMirror(pod, {
        hostCluster: this.opts.hostCluster,
        nodeName: node.name,
        allowHostNetwork,
        memberPriorityClasses: await this.memberPriorityClasses(cluster, client),
        ...(hostApi ? { hostApi: { secretName: tokenSecretName(name), host: hostApi.host, port: hostApi.port } } : {}),
      });
      if (!built.ok) {
        this.opts.provider.forget(cluster, memberKey);
        this.eventOnce(key, pod, 'Warning', built.reason, built.message);
        return;
      }
      if (built.dropped.length > 0) this.eventOnce(`${key}#dropped`, pod, 'Normal', 'MirrorAdjusted', `not carried to member cluster ${cluster}: ${built.dropped.join('; ')}`);
      await this.refs.ensureNamespace(cluster, client, ns);
      const refs = await this.refs.ensure(cluster, client, ns, built.refs);
      if (refs.missing.length > 0) {
        this.opts.provider.forget(cluster, memberKey);
        this.eventOnce(key, pod, 'Warning', 'FailedMount', `waiting for ${refs.missing.join(', ')}: not found in the host cluster`);
        return { requeueAfterMs: 2_000 };
      }
      if (refs.foreign.length > 0) this.eventOnce(`${key}#foreign`, pod, 'Warning', 'ForeignObject', `member cluster ${cluster} already has ${refs.foreign.join(', ')}, not made by Tidepool: the mirror uses it as it is`);
      if (hostApi) {
        const t = await issueHostToken({ host: this.opts.host, member: client, hostCluster: this.opts.hostCluster, owner: node.name, pod, mirrorName: name, access: hostApi, now: this.now });
        this.refs.touch(cluster, 'Secret', ns, t.secretName);
        this.tokenRefresh.set(key, t.refreshAt);
      }
      await this.createMirror(key, pod, cluster, client, built.pod);
    } catch (err) {
      this.opts.provider.forget(cluster, memberKey);
      throw err;
    }
  }

  private async createMirror(key: string, pod: PodJson, cluster: string, client: KubeClient, mirror: PodJson): Promise<void> {
    const ns = mirror.metadata!.namespace!;
    const name = mirror.metadata!.name!;
    try {
      await client.request({ method: 'POST', path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, body: mirror });
      this.opts.metrics?.mirrorCreates.inc({ cluster });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) {
        if (err instanceof KubeApiError && err.code >= 400 && err.code < 500 && err.code !== 429) {
          // The member refused the pod (validation, quota, admission): say why on the host pod.
          this.opts.provider.forget(cluster, `${ns}/${name}`);
          this.eventOnce(key, pod, 'Warning', 'MirrorRejected', `member cluster ${cluster} refused the mirror pod: ${err.message}`);
          return;
        }
        throw err;
      }
      // Same deterministic name exists: ours (a previous leader made it) or not?
      const existing = await client.requestJson<PodJson>({ path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}` });
      if (existing.metadata?.annotations?.['tidepool.dev/origin-uid'] !== pod.metadata?.uid) {
        this.opts.provider.forget(cluster, `${ns}/${name}`);
        this.eventOnce(key, pod, 'Warning', 'MirrorNameTaken', `member cluster ${cluster} has a pod ${ns}/${name} that is not this pod's mirror; not touching it`);
        return;
      }
    }
    this.goneMirrors.delete(key);
    this.placements.set(key, { cluster, mirror: name, namespace: ns, uid: pod.metadata?.uid ?? '', at: this.now() });
    this.lastPlacementMessage.delete(key);
    this.opts.recorder.record(pod, 'Normal', 'Placed', `mirrored to member cluster ${cluster} as ${ns}/${name}`);
  }

  private async writeStatus(pod: PodJson, status: Obj): Promise<void> {
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    try {
      const res = await this.opts.host.requestJson<PodJson>({
        method: 'PATCH',
        path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}/status`,
        body: { metadata: { uid: pod.metadata?.uid }, status },
        contentType: 'application/strategic-merge-patch+json',
      });
      this.opts.metrics?.statusWrites.inc();
      // Remembered until the watch shows this write (unless it already has).
      const key = `${ns}/${name}`;
      const rv = res.metadata?.resourceVersion;
      if (rv && this.hostPod(key)?.metadata?.resourceVersion !== rv) this.statusWritten.set(key, { rv, status, at: this.now() });
    } catch (err) {
      // Gone meanwhile: the delete event requeues it.
      if (!isNotFound(err)) throw err;
    }
  }

  private eventOnce(key: string, pod: PodJson, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const id = `${reason}:${message}`;
    if (this.lastPlacementMessage.get(`${key}#ev`) === id) return;
    this.lastPlacementMessage.set(`${key}#ev`, id);
    this.opts.recorder.record(pod, type, reason, message);
  }

  /** PriorityClass names in a member (cached a minute): priorityClassName crosses only where it exists. */
  private async memberPriorityClasses(cluster: string, client: KubeClient): Promise<Set<string>> {
    const cached = this.priorityClasses.get(cluster);
    if (cached && this.now() - cached.at < 60_000) return cached.names;
    try {
      const list = await client.requestJson<{ items?: Array<{ metadata?: { name?: string } }> }>({ path: '/apis/scheduling.k8s.io/v1/priorityclasses' });
      const names = new Set((list.items ?? []).map((i) => i.metadata?.name ?? '').filter(Boolean));
      this.priorityClasses.set(cluster, { names, at: this.now() });
      return names;
    } catch {
      return cached?.names ?? new Set();
    }
  }

  // ------------------------------------------------------------------ garbage collection

  /**
   * Orphan mirrors (their host pod confirmed gone) and synced objects no mirror references.
   * Only after every cache has synced: a mirror is never collected on a partial view.
   */
  async collect(): Promise<void> {
    if (!this.hasSynced() || this.abort.signal.aborted) return;
    for (const cache of this.caches.values()) {
      if (!cache.mirrors.hasSynced()) continue;
      for (const m of cache.mirrors.list()) {
        const key = `${m.origin.namespace}/${m.origin.name}`;
        const pod = this.hostPod(key);
        if (pod?.metadata?.uid === m.origin.uid) continue;
        if (pod && pod.metadata?.uid !== m.origin.uid) {
          this.queue.add(key, 'resync');
          continue;
        }
        // Not in our cache: confirm with the host before deleting anything.
        try {
          const live = await this.opts.host.requestJson<PodJson>({ path: `/api/v1/namespaces/${encodeURIComponent(m.origin.namespace)}/pods/${encodeURIComponent(m.origin.name)}` });
          if (live.metadata?.uid === m.origin.uid && this.nodeByName.has(String(live.spec?.['nodeName'] ?? ''))) continue;
        } catch (err) {
          if (!isNotFound(err)) continue;
        }
        this.opts.logger?.info({ cluster: m.cluster, mirror: `${m.namespace}/${m.name}`, origin: key }, 'collecting an orphan mirror: its host pod is gone');
        await this.deleteMirror(m, 0).catch(() => undefined);
        this.opts.metrics?.orphansCollected.inc();
      }
    }
    await this.refs.collect().catch((err: Error) => this.opts.logger?.warn({ err: err.message }, 'collecting synced objects failed'));
  }

  /** Counts for tests and the status page. */
  stats(): { hostPods: number; mirrors: number; placements: number; queue: number } {
    let mirrors = 0;
    for (const c of this.caches.values()) mirrors += c.mirrors.size;
    return { hostPods: this.podInformers.size ? [...this.podInformers.values()].reduce((s, i) => s + i.size, 0) : 0, mirrors, placements: this.placements.size, queue: this.queue.len() };
  }

  /** Runs a collection pass now (tests). */
  async collectNow(): Promise<void> {
    await this.collect();
  }

  /** Host key of a pod (re-exported for tests). */
  static keyOf = hostKeyOf;
}
