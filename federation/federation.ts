/**
 * The federation as one object: the model, placement, the member clusters' runtimes, and a
 * short history of utilization for the page. The registry (config file or MemberCluster
 * objects) adds, updates and removes members through it; the API and the virtual node read it.
 */
import { createKubeClient, type KubeClient, type KubeClientOptions } from '../kube/index.js';
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
  /** History sample period for the page. Default 30 s; kept for `historyWindowMs` (1 h). */
  historyIntervalMs?: number;
  historyWindowMs?: number;
  /** Extra client options for member clients (qps, burst, registry...). */
  client?: Omit<KubeClientOptions, 'config' | 'cluster'>;
}

export interface HistorySample {
  t: number;
  clusters: Record<string, { ready: boolean; cpuUsage: number; cpuRequested: number; cpuAllocatable: number; cpuIdle: number; cpuLent: number }>;
}

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

  constructor(private readonly opts: FederationOptions = {}) {
    this.model = new FederationModel(opts.now);
    this.placer = new Placer(this.model, opts.scorePolicy ?? 'most-idle');
    internals.set(this, { model: this.model, placer: this.placer });
  }

  start(): void {
    const ttl = this.opts.assumeTtlMs ?? 120_000;
    this.timers.push(setInterval(() => this.expire(ttl), Math.max(1_000, Math.floor(ttl / 4))));
    this.sample();
    this.timers.push(setInterval(() => this.sample(), this.opts.historyIntervalMs ?? 30_000));
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
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
      out.cpu += c.idle('cpu');
      out.memory += c.idle('memory');
      out.pods += c.idle('pods');
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

  private expire(ttlMs: number): void {
    let n = 0;
    for (const c of this.model.clusters()) n += c.expireAssumed(ttlMs).length;
    if (n > 0) this.model.changed();
  }

  sample(): void {
    const now = (this.opts.now ?? Date.now)();
    const s: HistorySample = { t: now, clusters: {} };
    for (const c of this.model.document().clusters) {
      s.clusters[c.name] = { ready: c.ready, cpuUsage: c.cpu.usage, cpuRequested: c.cpu.requested, cpuAllocatable: c.cpu.allocatable, cpuIdle: c.cpu.idle, cpuLent: c.cpu.lent };
    }
    this.history.push(s);
    const window = this.opts.historyWindowMs ?? 3_600_000;
    while (this.history.length > 0 && this.history[0]!.t < now - window) this.history.shift();
  }
}

export function defaultClientFactory(extra: FederationOptions['client'] = {}): ClientFactory {
  return async (name, access) => {
    if (access.kind !== 'file') throw new Error(`member ${name}: a kubeconfig Secret needs the registry's host client`);
    return createKubeClient({ ...extra, cluster: name, config: { kind: 'file', path: access.path, ...(access.context ? { context: access.context } : {}) } });
  };
}
