/**
 * The scheduler cache: nodes with the pods that hold room on them, including pods the
 * scheduler has *assumed* — placed in a scheduling cycle, binding still in flight. An assumed
 * pod's requests count on its node from the moment it is assumed until the informer shows it
 * bound (then it is simply a pod of that node) or the binding fails (forget). Without this,
 * every pod of a burst would see the same free room and pile onto one node.
 *
 * A bound assumption the informer never confirms (the pod vanished between bind and watch) is
 * dropped after `assumeTtlMs`, as kube-scheduler expires assumed pods.
 */
import { systemClock, type Clock, type NodeSummary } from '../../kube/index.js';
import { NodeInfo } from './node-info.js';
import { NodeTable } from './node-table.js';
import type { SchedPod } from './types.js';

interface PodState {
  pod: SchedPod;
  /** The node the pod is counted on. */
  node: string;
  assumed: boolean;
  /** Binding answered; expiresAt is armed. */
  bindingFinished: boolean;
  expiresAt: number;
}

export interface CacheOptions {
  clock?: Clock;
  /** How long a bound assumption waits for the informer to confirm it. Default 30 s. */
  assumeTtlMs?: number;
}

export class SchedulerCache {
  private readonly infos = new Map<string, NodeInfo>();
  /** Nodes that have a Node object, in a stable order (the scheduler walks it round-robin). */
  private readonly list: NodeInfo[] = [];
  /** The list's hot figures, row i for list[i] (node-table.ts). */
  readonly table = new NodeTable();
  private readonly position = new Map<string, number>();
  private readonly pods = new Map<string, PodState>();
  private readonly clock: Clock;
  private readonly assumeTtlMs: number;
  /** Pods anywhere with required anti-affinity terms: zero lets the anti-affinity filter skip. */
  antiAffinityPods = 0;

  constructor(options: CacheOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.assumeTtlMs = options.assumeTtlMs ?? 30_000;
    this.table.nodes = this.list;
  }

  /** Nodes with a Node object. The array is owned by the cache: do not keep it across awaits. */
  nodes(): readonly NodeInfo[] {
    return this.list;
  }

  get nodeCount(): number {
    return this.list.length;
  }

  node(name: string): NodeInfo | undefined {
    return this.infos.get(name);
  }

  upsertNode(summary: NodeSummary): void {
    const info = this.infoFor(summary.name);
    info.node = summary;
    info.generation++;
    if (!this.position.has(summary.name)) {
      const row = this.list.length;
      this.position.set(summary.name, row);
      this.list.push(info);
      this.table.ensure(row + 1);
      info.placeInTable(this.table, row);
    }
  }

  removeNode(name: string): void {
    const info = this.infos.get(name);
    if (!info) return;
    info.node = undefined;
    info.generation++;
    const at = this.position.get(name);
    if (at !== undefined) {
      // Swap-remove: O(1), and the round-robin start only needs *an* order, not insertion order.
      const last = this.list.pop()!;
      if (last !== info) {
        this.list[at] = last;
        this.position.set(last.name, at);
        last.placeInTable(this.table, at);
      }
      this.position.delete(name);
      info.placeInTable(undefined, -1);
    }
    if (info.isEmpty()) this.infos.delete(name);
  }

  /**
   * A pod the informer shows on a node, holding room. Confirms an assumption (the same pod on
   * the same node: counted once), moves a pod that shows up elsewhere, refreshes its figures.
   */
  upsertPod(pod: SchedPod): void {
    const st = this.pods.get(pod.key);
    if (st) {
      this.detach(st);
      this.adjustAnti(st.pod, -1);
    }
    const next: PodState = { pod, node: pod.node, assumed: false, bindingFinished: false, expiresAt: 0 };
    this.pods.set(pod.key, next);
    this.attach(next);
    this.adjustAnti(pod, 1);
  }

  /** The pod no longer holds room (deleted, finished, or unbound). */
  removePod(key: string): SchedPod | undefined {
    const st = this.pods.get(key);
    if (!st) return undefined;
    this.pods.delete(key);
    this.detach(st);
    this.adjustAnti(st.pod, -1);
    return st.pod;
  }

  /** Counts `pod` on `node` from now, before the binding is written. */
  assume(pod: SchedPod, node: string): SchedPod {
    const placed: SchedPod = { ...pod, node };
    const old = this.pods.get(pod.key);
    if (old) {
      this.detach(old);
      this.adjustAnti(old.pod, -1);
    }
    const st: PodState = { pod: placed, node, assumed: true, bindingFinished: false, expiresAt: 0 };
    this.pods.set(pod.key, st);
    this.attach(st);
    this.adjustAnti(placed, 1);
    return placed;
  }

  /** The binding was written: the informer should confirm within the TTL. */
  finishBinding(key: string): void {
    const st = this.pods.get(key);
    if (!st?.assumed) return;
    st.bindingFinished = true;
    st.expiresAt = this.clock.now() + this.assumeTtlMs;
  }

  /** Drops an assumption (binding failed, permit rejected). A confirmed pod is left alone. */
  forget(key: string): boolean {
    const st = this.pods.get(key);
    if (!st?.assumed) return false;
    this.removePod(key);
    return true;
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed === true;
  }

  /** The pod as counted (bound or assumed), with the node it is counted on. */
  pod(key: string): SchedPod | undefined {
    return this.pods.get(key)?.pod;
  }

  /** Every pod counted somewhere (for pod-wide scans such as anti-affinity on zones). */
  allPods(): IterableIterator<SchedPod> {
    const it = this.pods.values();
    return (function* () {
      for (const st of it) yield st.pod;
    })();
  }

  get podCount(): number {
    return this.pods.size;
  }

  /** Holds `amounts` on `node` for the members of `gang` (see gang/reservations.ts). */
  reserve(gang: string, node: string, amounts: Readonly<Record<string, number>>): void {
    this.infoFor(node).reserve(gang, amounts);
  }

  /** Gives back up to `amounts` (all of it when absent) of gang's room on `node`. */
  unreserve(gang: string, node: string, amounts?: Readonly<Record<string, number>>): void {
    const info = this.infos.get(node);
    if (!info) return;
    info.unreserve(gang, amounts);
    if (info.isEmpty()) this.infos.delete(node);
  }

  /** Drops bound assumptions the informer never confirmed; returns them. */
  cleanupExpired(): SchedPod[] {
    const now = this.clock.now();
    const out: SchedPod[] = [];
    for (const [key, st] of this.pods) {
      if (st.assumed && st.bindingFinished && st.expiresAt <= now) {
        this.removePod(key);
        out.push(st.pod);
      }
    }
    return out;
  }

  private infoFor(name: string): NodeInfo {
    let info = this.infos.get(name);
    if (!info) {
      info = new NodeInfo(name);
      this.infos.set(name, info);
    }
    return info;
  }

  private attach(st: PodState): void {
    this.infoFor(st.node).addPod(st.pod);
  }

  private detach(st: PodState): void {
    const info = this.infos.get(st.node);
    if (!info) return;
    info.removePod(st.pod.key);
    if (info.isEmpty()) this.infos.delete(st.node);
  }

  private adjustAnti(pod: SchedPod, sign: 1 | -1): void {
    if (pod.antiAffinity.length > 0) this.antiAffinityPods += sign;
  }
}
