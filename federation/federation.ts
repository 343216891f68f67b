/**
 * The federation as one object: the model, placement, the member clusters' runtimes, and a
 * short history of utilization for the page. The registry (config file or MemberCluster
 * objects) adds, updates and removes members through it; the API and the virtual node read it.
 */
import { qosClassOf } from '../api/index.js';
import { createKubeClient, toMilli, tryParseQuantity, type KubeClient, type KubeClientOptions } from '../kube/index.js';
import type { ClusterEntry } from './model.js';
import type { MemberStatus, PoolCapacity, PoolProvider, PlaceRequest, Slot } from './provider.js';
import { Member, type MemberHealth, type MemberOptions } from './member.js';
import type { MemberAccess, MemberSpec } from './member-spec.js';
import { FederationModel } from './model.js';
import { placementPod, type PodObject } from './pod.js';
import { Placer, type PlacementResult, type ScorePolicy } from './placement.js';
import type { CapacityDocument, ClusterPolicy } from './types.js';

export interface FederationOptions extends MemberOptions {
  scorePolicy?: ScorePolicy;
  /** Assumptions the member never confirms are dropped after this. Default 120 s. */
  assumeTtlMs?: number;
  /**
   * History sample period for the page. Default 30 s; kept for `historyWindowMs` (1 h). Each
   * sample reads every ready member's PodMetrics once (see HistoryClusterSample).
   */
  historyIntervalMs?: number;
  historyWindowMs?: number;
  /** Extra client options for member clients (qps, burst, registry...). */
  client?: Omit<KubeClientOptions, 'config' | 'cluster'>;
}

export interface HistorySample {
  t: number;
  clusters: Record<string, HistoryClusterSample>;
}

/** One member at one sample; CPU in millicores. */
export interface HistoryClusterSample {
  ready: boolean;
  /** Measured usage of the member's nodes (metrics.k8s.io NodeMetrics): pods and the nodes' own daemons. */
  cpuUsage: number;
  cpuRequested: number;
  cpuAllocatable: number;
  cpuIdle: number;
  cpuLent: number;
  /**
   * Measured usage of the member's online and offline pods: one LIST of metrics.k8s.io
   * PodMetrics per sample (served from metrics-server's memory, not etcd), each pod classed by
   * api's qosClassOf on the labels PodMetrics carry (the webhook labels every pod it turns into
   * batch work tidepool.dev/qos=offline). null when the member is not ready or serves no pod metrics.
   */
  cpuOnlineUsage: number | null;
  cpuOfflineUsage: number | null;
}

/** Online and offline CPU use of a member's pods, millicores. */
export interface PodUsageSplit {
  online: number;
  offline: number;
}

interface PodMetricsList {
  items?: Array<{ metadata?: { labels?: Record<string, string> }; containers?: Array<{ usage?: { cpu?: string } }> }>;
}

/** Sums a PodMetricsList by QoS class; an entry with an unreadable figure counts as 0. */
export function podUsageSplit(list: PodMetricsList): PodUsageSplit {
  const out: PodUsageSplit = { online: 0, offline: 0 };
  for (const item of list.items ?? []) {
    let cpu = 0;
    for (const c of item.containers ?? []) {
      const q = tryParseQuantity(c.usage?.cpu ?? '');
      if (q) cpu += toMilli(q);
    }
    let offline = false;
    try {
      offline = qosClassOf({ metadata: { labels: item.metadata?.labels ?? {} } }) === 'offline';
    } catch {
      // Labels alone never hold a quantity; should the rule read one some day, count it online.
    }
    if (offline) out.offline += cpu;
    else out.online += cpu;
  }
  return out;
}

const POD_METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/pods';

/** Turns a member's access into a client: a file directly; a Secret is read by the registry first. */
export type ClientFactory = (name: string, access: MemberAccess) => Promise<KubeClient>;

/**
 * The model and placer stay inside this room (registry, API server, metrics reach them through
 * federationInternals); other rooms see Federation's methods and the PoolProvider interface.
 */
const internals = new WeakMap<Federation, { model: FederationModel; placer: Placer }>();

/** Room-only access to a federation's model and placer (not exported by index.ts). */
export function federationInternals(fed: Federation): { model: FederationModel; placer: Placer } {
  return internals.get(fed)!;
}

export class Federation implements PoolProvider {
  private readonly model: FederationModel;
  private readonly placer: Placer;
  private readonly runtimes = new Map<string, { member: Member; access: string }>();
  private readonly history: HistorySample[] = [];
  private timers: NodeJS.Timeout[] = [];
  private sampling = false;
  private sampleAbort = new AbortController();

  constructor(private readonly opts: FederationOptions = {}) {
    this.model = new FederationModel(opts.now);
    this.placer = new Placer(this.model, opts.scorePolicy ?? 'most-idle');
    internals.set(this, { model: this.model, placer: this.placer });
  }

  start(): void {
    const ttl = this.opts.assumeTtlMs ?? 120_000;
    this.sampleAbort = new AbortController();
    this.timers.push(setInterval(() => this.expire(ttl), Math.max(1_000, Math.floor(ttl / 4))));
    void this.sample();
    this.timers.push(setInterval(() => void this.sample(), this.historyIntervalMs()));
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.sampleAbort.abort();
    await Promise.all([...this.runtimes.values()].map((m) => m.member.stop()));
    this.runtimes.clear();
  }

  /**
   * Adds a member, or updates its policy when only the policy changed. A changed access
   * (another Secret, file or context) restarts the member with a new client.
   */
  async upsertMember(spec: MemberSpec, clientFor: ClientFactory = defaultClientFactory(this.opts.client)): Promise<void> {
    const accessKey = JSON.stringify(spec.access);
    const existing = this.runtimes.get(spec.name);
    this.model.ensureCluster(spec.name, spec.policy);
    if (existing && existing.access === accessKey) return;
    if (existing) await this.stopMember(spec.name);
    const client = await clientFor(spec.name, spec.access);
    const member = new Member(spec.name, client, this.model, this.opts);
    this.runtimes.set(spec.name, { member, access: accessKey });
    member.start();
  }

  /** Adds a member from a ready client (the CLI, tests). */
  addMemberWithClient(name: string, client: KubeClient, policy?: ClusterPolicy): Member {
    this.model.ensureCluster(name, policy);
    const member = new Member(name, client, this.model, this.opts);
    this.runtimes.set(name, { member, access: `client:${name}` });
    member.start();
    return member;
  }

  async removeMember(name: string): Promise<void> {
    await this.stopMember(name);
    this.model.removeCluster(name);
  }

  private async stopMember(name: string): Promise<void> {
    const m = this.runtimes.get(name);
    this.runtimes.delete(name);
    await m?.member.stop();
  }

  member(name: string): Member | undefined {
    return this.runtimes.get(name)?.member;
  }

  health(name: string): MemberHealth | undefined {
    return this.runtimes.get(name)?.member.health();
  }

  memberNames(): string[] {
    return [...this.runtimes.keys()].sort();
  }

  /** Places a pod (Kubernetes JSON); `key` is its namespace/name in the member cluster. */
  place(pod: PodObject, opts: { key?: string; dryRun?: boolean; clusters?: readonly string[] } | PlaceRequest = {}): PlacementResult {
    const o = opts as { key?: string; dryRun?: boolean; clusters?: readonly string[] };
    return this.placer.place(placementPod(pod, o.key), { assume: !o.dryRun, ...(o.clusters ? { clusters: o.clusters } : {}) });
  }

  forget(cluster: string, key: string): boolean {
    const c = this.model.cluster(cluster);
    if (!c) return false;
    c.forget(key);
    this.model.changed();
    return true;
  }

  memberClient(name: string): KubeClient | undefined {
    return this.runtimes.get(name)?.member.client;
  }

  isReady(name: string): boolean {
    return this.model.isReady(name);
  }

  /** The capacity document (the API, the CLI and the page show it). */
  document(opts: { nodes?: boolean; cluster?: string } = {}): CapacityDocument {
    return this.model.document(opts);
  }

  /** A member's policy, readiness and conditions; undefined for an unknown member. */
  clusterState(name: string): { policy: ClusterPolicy; ready: boolean; conditions: ClusterEntry['conditions'] } | undefined {
    const e = this.model.entry(name);
    return e ? { policy: e.model.policy, ready: e.ready, conditions: e.conditions } : undefined;
  }

  /** Whether the model holds `key` in `cluster`: as an assumption not yet confirmed, or as reported by the member. */
  placementState(cluster: string, key: string): 'assumed' | 'reported' | undefined {
    const c = this.model.cluster(cluster);
    if (!c || !c.hasPod(key)) return undefined;
    return c.isAssumed(key) ? 'assumed' : 'reported';
  }

  onChange(cb: () => void): () => void {
    return this.model.onChange(cb);
  }

  members(): MemberStatus[] {
    return this.model.clusterNames().map((name) => this.memberStatus(name));
  }

  private memberStatus(name: string): MemberStatus {
    const e = this.model.entry(name)!;
    const cond = e.conditions.find((x) => x.type === 'Ready');
    return {
      name,
      ready: e.ready,
      ...(cond && cond.status !== 'True' ? { reason: cond.reason, message: cond.message } : {}),
      allowHostNetwork: e.model.policy.allowHostNetwork === true,
    };
  }

  capacity(clusters?: readonly string[]): PoolCapacity {
    const out: PoolCapacity = { members: [], cpu: 0, memory: 0, pods: 0, ephemeralStorage: 0, batchCpu: 0, batchMemory: 0, largestSlots: [] };
    let byCpu: Slot | undefined;
    let byMem: Slot | undefined;
    for (const name of this.model.clusterNames()) {
      if (clusters && !clusters.includes(name)) continue;
      const e = this.model.entry(name)!;
      const c = e.model;
      out.members.push(this.memberStatus(name));
      if (!e.ready || c.policy.paused) continue;
      // What is lent already counts: the host's scheduler subtracts the requests of the pods
      // bound to the virtual node from its allocatable, so allocatable = idle + lent (never
      // counting our own mirrors twice).
      out.cpu += c.idle('cpu') + c.lentCpu;
      out.memory += c.idle('memory') + c.lentMem;
      out.pods += c.idle('pods') + c.lentPods;
      const figures = c.capacity(true, false);
      out.batchCpu += figures.cpu.batch;
      out.batchMemory += figures.memory.batch;
      for (const n of c.nodes.values()) {
        if (!n.usable || n.taints.length > 0) continue;
        out.ephemeralStorage += n.freeExt('ephemeral-storage');
        if (n.freePods() < 1) continue;
        const slot = { cluster: name, node: n.name, cpu: n.freeCpu(), memory: n.freeMem() };
        if (!byCpu || slot.cpu > byCpu.cpu || (slot.cpu === byCpu.cpu && slot.memory > byCpu.memory)) byCpu = slot;
        if (!byMem || slot.memory > byMem.memory || (slot.memory === byMem.memory && slot.cpu > byMem.cpu)) byMem = slot;
      }
    }
    if (byCpu) out.largestSlots.push(byCpu);
    if (byMem && byMem !== byCpu) out.largestSlots.push(byMem);
    return out;
  }

  /** Samples for the page's "last hour", oldest first. */
  historySamples(): HistorySample[] {
    return [...this.history];
  }

  /** How often a history sample is taken, ms. */
  historyIntervalMs(): number {
    return this.opts.historyIntervalMs ?? 30_000;
  }

  private expire(ttlMs: number): void {
    let n = 0;
    for (const c of this.model.clusters()) n += c.expireAssumed(ttlMs).length;
    if (n > 0) this.model.changed();
  }

  /**
   * Takes one history sample: the capacity figures now, and each ready member's pod usage by
   * class. A sample still waiting for a slow member makes the next tick skip rather than pile up.
   */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const now = (this.opts.now ?? Date.now)();
      const splits = await this.podUsageSplits();
      if (this.sampleAbort.signal.aborted) return;
      const s: HistorySample = { t: now, clusters: {} };
      for (const c of this.model.document().clusters) {
        const split = splits.get(c.name);
        s.clusters[c.name] = {
          ready: c.ready,
          cpuUsage: c.cpu.usage,
          cpuRequested: c.cpu.requested,
          cpuAllocatable: c.cpu.allocatable,
          cpuIdle: c.cpu.idle,
          cpuLent: c.cpu.lent,
          cpuOnlineUsage: split?.online ?? null,
          cpuOfflineUsage: split?.offline ?? null,
        };
      }
      this.history.push(s);
      const window = this.opts.historyWindowMs ?? 3_600_000;
      while (this.history.length > 0 && this.history[0]!.t < now - window) this.history.shift();
    } finally {
      this.sampling = false;
    }
  }

  /** Each ready member's pod usage by class; a member that fails (no metrics API, slow) is left out. */
  private async podUsageSplits(): Promise<Map<string, PodUsageSplit>> {
    const out = new Map<string, PodUsageSplit>();
    // Bounded by the sample period, so a member that hangs costs one sample, not the history.
    const timeoutMs = Math.max(1_000, Math.min(10_000, this.historyIntervalMs()));
    await Promise.all(
      [...this.runtimes.entries()].map(async ([name, rt]) => {
        if (!this.model.isReady(name)) return;
        try {
          const list = await rt.member.client.requestJson<PodMetricsList>({ path: POD_METRICS_PATH, signal: this.sampleAbort.signal, timeoutMs, retry: false });
          out.set(name, podUsageSplit(list));
        } catch {
          // No metrics server is normal for a member: its online/offline split is then unknown (null).
        }
      }),
    );
    return out;
  }
}

export function defaultClientFactory(extra: FederationOptions['client'] = {}): ClientFactory {
  return async (name, access) => {
    if (access.kind !== 'file') throw new Error(`member ${name}: a kubeconfig Secret needs the registry's host client`);
    return createKubeClient({ ...extra, cluster: name, config: { kind: 'file', path: access.path, ...(access.context ? { context: access.context } : {}) } });
  };
}
