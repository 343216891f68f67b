/**
 * The pool: one ClusterModel per member cluster plus each cluster's health, rendered as the
 * capacity document. A cluster that is not Ready keeps its figures (so it can rejoin quickly)
 * but leaves the pool: its idle and batch are 0 and it is left out of the totals.
 */
import { ClusterModel } from './cluster-model.js';
import type { CapacityDocument, ClusterCapacity, ClusterPolicy, Condition, ResourceFigures } from './types.js';
import { DEFAULT_POLICY } from './types.js';

export interface ClusterEntry {
  model: ClusterModel;
  ready: boolean;
  conditions: Condition[];
}

export class FederationModel {
  private readonly entries = new Map<string, ClusterEntry>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds a member cluster (not Ready until its source says it synced) or updates its policy. */
  ensureCluster(name: string, policy: ClusterPolicy = DEFAULT_POLICY): ClusterModel {
    const e = this.entries.get(name);
    if (e) {
      e.model.setPolicy(policy);
      return e.model;
    }
    const model = new ClusterModel(name, policy, this.now);
    this.entries.set(name, { model, ready: false, conditions: [] });
    this.changed();
    return model;
  }

  removeCluster(name: string): void {
    if (this.entries.delete(name)) this.changed();
  }

  cluster(name: string): ClusterModel | undefined {
    return this.entries.get(name)?.model;
  }

  entry(name: string): ClusterEntry | undefined {
    return this.entries.get(name);
  }

  clusterNames(): string[] {
    return [...this.entries.keys()].sort();
  }

  clusters(): ClusterModel[] {
    return this.clusterNames().map((n) => this.entries.get(n)!.model);
  }

  isReady(name: string): boolean {
    return this.entries.get(name)?.ready ?? false;
  }

  setReady(name: string, ready: boolean): void {
    const e = this.entries.get(name);
    if (!e || e.ready === ready) return;
    e.ready = ready;
    this.changed();
  }

  /** Sets one condition, keeping its transition time when the status did not change. */
  setCondition(name: string, type: string, status: Condition['status'], reason: string, message: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    const old = e.conditions.find((c) => c.type === type);
    if (old && old.status === status && old.reason === reason && old.message === message) return;
    const cond: Condition = {
      type,
      status,
      reason,
      message,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : new Date(this.now()).toISOString(),
    };
    e.conditions = [...e.conditions.filter((c) => c.type !== type), cond];
    this.changed();
  }

  /** Called after anything changes that the page or the metrics show. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Sum of the generations: moves whenever any figure may have moved. */
  generation(): number {
    let g = 0;
    for (const e of this.entries.values()) g += e.model.generation + (e.ready ? 1 : 0);
    return g;
  }

  document(opts: { nodes?: boolean; cluster?: string } = {}): CapacityDocument {
    const clusters: ClusterCapacity[] = [];
    for (const name of this.clusterNames()) {
      if (opts.cluster !== undefined && name !== opts.cluster) continue;
      const e = this.entries.get(name)!;
      clusters.push({ ...e.model.capacity(e.ready, opts.nodes ?? false), conditions: e.conditions });
    }
    return { clusters, total: totals(clusters) };
  }
}

const zero = (): ResourceFigures => ({ allocatable: 0, requested: 0, idle: 0, lent: 0, batch: 0, usage: 0, largestSlot: 0 });

/** Pool totals: ready clusters only; largestSlot is the largest over them, the rest are sums. */
export function totals(clusters: readonly ClusterCapacity[]): CapacityDocument['total'] {
  const cpu = zero();
  const memory = zero();
  for (const c of clusters) {
    if (!c.ready) continue;
    for (const [t, s] of [
      [cpu, c.cpu],
      [memory, c.memory],
    ] as const) {
      t.allocatable += s.allocatable;
      t.requested += s.requested;
      t.idle += s.idle;
      t.lent += s.lent;
      t.batch += s.batch;
      t.usage += s.usage;
      t.largestSlot = Math.max(t.largestSlot, s.largestSlot);
    }
  }
  return { cpu, memory };
}
