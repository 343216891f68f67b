/**
 * The node controller of one virtual node: registers the Node, renews its Lease in
 * kube-node-lease every 10 s (the heartbeat the node lifecycle controller watches), and writes
 * NodeStatus only when an advertised figure moved past a threshold, the Ready condition flipped,
 * or 60 s passed — never a write per second, whatever the pool does.
 */
import { V1MicroTime } from '@kubernetes/client-node';
import { isNotFound, KubeApiError, leaseClientFor, type KubeClient, type Lease, type LeaseClient, type Logger } from '../kube/index.js';
import { LARGEST_SLOT_ANNOTATION, VIRTUAL_NODE_TAINT } from '../api/index.js';
import type { PoolCapacity, PoolProvider } from '../federation/index.js';
import { capacityOf, figuresMoved, largestSlotText, nodeLabels, nodeObject, nodeStatus, readyCondition, type NodeIdentity } from './node-object.js';
import type { VirtualNodeMetrics } from './metrics.js';

export interface NodeControllerOptions {
  host: KubeClient;
  identity: NodeIdentity;
  provider: PoolProvider;
  /** Members this node stands for; all when absent. */
  clusters?: readonly string[];
  leaseIntervalMs?: number;
  leaseDurationSeconds?: number;
  /** Longest time between status writes. Default 60 s. */
  statusIntervalMs?: number;
  /** A figure must move by more than this share to be written before the interval. Default 0.1. */
  changeThreshold?: number;
  /** Shortest time between two status writes caused by changes. Default 5 s. */
  minWriteIntervalMs?: number;
  /**
   * The largest-slot annotation is a metadata write of its own: with a periodic status write it is
   * refreshed at most this often (default 5 min), so a steady pool costs one Node write a minute;
   * a write caused by a real move of the figures refreshes it at once.
   */
  slotIntervalMs?: number;
  metrics?: VirtualNodeMetrics;
  logger?: Logger;
  now?: () => number;
}

type Obj = Record<string, unknown>;

export class NodeController {
  private readonly lease: LeaseClient;
  private readonly now: () => number;
  private timers: NodeJS.Timeout[] = [];
  private lastWritten: { figures: Record<string, string>; ready: string; slot: string; at: number; slotAt: number } | undefined;
  private lastConditions: Obj[] | undefined;
  private writing: Promise<void> | undefined;
  private evaluateTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private registered = false;

  constructor(private readonly opts: NodeControllerOptions) {
    this.lease = leaseClientFor(opts.host);
    this.now = opts.now ?? Date.now;
  }

  get name(): string {
    return this.opts.identity.name;
  }

  private capacity(): PoolCapacity {
    return this.opts.provider.capacity(this.opts.clusters);
  }

  /** Registers (or re-labels) the Node and starts the heartbeat and status loops. */
  async start(): Promise<void> {
    await this.register();
    await this.renewLease().catch((err: Error) => this.opts.logger?.warn({ node: this.name, err: err.message }, 'lease renewal failed'));
    this.timers.push(setInterval(() => void this.renewLease().catch((err: Error) => this.opts.logger?.warn({ node: this.name, err: err.message }, 'lease renewal failed')), this.opts.leaseIntervalMs ?? 10_000));
    this.timers.push(setInterval(() => this.schedule(true), this.opts.statusIntervalMs ?? 60_000));
    this.unsubscribe = this.opts.provider.onChange(() => this.schedule(false));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    clearTimeout(this.evaluateTimer);
    this.unsubscribe?.();
    await this.writing;
  }

  private async register(): Promise<void> {
    const id = this.opts.identity;
    const cap = this.capacity();
    const path = `/api/v1/nodes/${encodeURIComponent(id.name)}`;
    let existing: Obj | undefined;
    try {
      existing = await this.opts.host.requestJson<Obj>({ path });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!existing) {
      try {
        await this.opts.host.request({ method: 'POST', path: '/api/v1/nodes', body: nodeObject(id, cap, new Date(this.now())) });
        this.opts.logger?.info({ node: id.name }, 'registered the virtual node');
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 409)) throw err;
      }
    } else {
      // Re-registration after a restart: our labels and taint, others' kept.
      const spec = (existing['spec'] ?? {}) as Obj;
      const taints = (Array.isArray(spec['taints']) ? (spec['taints'] as Obj[]) : []).filter((t) => t['key'] !== VIRTUAL_NODE_TAINT.key);
      await this.opts.host.request({
        method: 'PATCH',
        path,
        body: { metadata: { labels: nodeLabels(id) }, spec: { taints: [...taints, { ...VIRTUAL_NODE_TAINT }] } },
        contentType: 'application/merge-patch+json',
      });
      const status = (existing['status'] ?? {}) as Obj;
      if (Array.isArray(status['conditions'])) this.lastConditions = status['conditions'] as Obj[];
    }
    this.registered = true;
    await this.writeStatus(cap);
  }

  /** The heartbeat: the Node's Lease in kube-node-lease. */
  async renewLease(): Promise<void> {
    if (this.stopped) return;
    const name = this.name;
    const ns = 'kube-node-lease';
    const now = new V1MicroTime(this.now());
    const spec = { holderIdentity: name, leaseDurationSeconds: this.opts.leaseDurationSeconds ?? 40, renewTime: now };
    const current = await this.lease.get(ns, name);
    if (!current) {
      const lease: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: ns }, spec };
      try {
        await this.lease.create(ns, lease);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 409)) throw err;
      }
    } else {
      await this.lease.replace(ns, name, { ...current, spec: { ...current.spec, ...spec } });
    }
    this.opts.metrics?.leaseRenewals.inc({ node: name });
  }

  /** Looks at the pool soon; writes only if a figure moved enough (or `periodic`). */
  private schedule(periodic: boolean): void {
    if (this.stopped || !this.registered) return;
    if (periodic) {
      void this.evaluate(true);
      return;
    }
    if (this.evaluateTimer) return;
    // The pool moves at every pod event: look at most once a second.
    this.evaluateTimer = setTimeout(() => {
      this.evaluateTimer = undefined;
      void this.evaluate(false);
    }, 1_000);
  }

  private async evaluate(periodic: boolean): Promise<void> {
    if (this.stopped || this.writing) return;
    const cap = this.capacity();
    const figures = capacityOf(cap);
    const ready = readyCondition(cap).status;
    const last = this.lastWritten;
    const moved = !last || last.ready !== ready || figuresMoved(last.figures, figures, this.opts.changeThreshold ?? 0.1);
    if (!periodic && !moved) return;
    if (!periodic && last && last.ready === ready && this.now() - last.at < (this.opts.minWriteIntervalMs ?? 5_000)) {
      // Moved, but we wrote a moment ago: look again when the pause is over.
      clearTimeout(this.evaluateTimer);
      this.evaluateTimer = setTimeout(() => {
        this.evaluateTimer = undefined;
        void this.evaluate(false);
      }, (this.opts.minWriteIntervalMs ?? 5_000) - (this.now() - last.at));
      return;
    }
    await this.writeStatus(cap, !moved).catch((err: Error) => this.opts.logger?.warn({ node: this.name, err: err.message }, 'node status write failed'));
  }

  /** `steady`: a periodic write with nothing moved, which refreshes the slot only when it is old. */
  private async writeStatus(cap: PoolCapacity, steady = false): Promise<void> {
    const run = async (): Promise<void> => {
      const id = this.opts.identity;
      const status = nodeStatus(id, cap, new Date(this.now()), this.lastConditions);
      const path = `/api/v1/nodes/${encodeURIComponent(id.name)}`;
      await this.opts.host.request({ method: 'PATCH', path: `${path}/status`, body: { status }, contentType: 'application/strategic-merge-patch+json' });
      this.opts.metrics?.nodeStatusWrites.inc({ node: id.name });
      const last = this.lastWritten;
      let slot = largestSlotText(cap);
      let slotAt = last?.slotAt ?? this.now();
      if (slot !== last?.slot) {
        if (!last || !steady || this.now() - last.slotAt >= (this.opts.slotIntervalMs ?? 300_000)) {
          await this.opts.host.request({ method: 'PATCH', path, body: { metadata: { annotations: { [LARGEST_SLOT_ANNOTATION]: slot } } }, contentType: 'application/merge-patch+json' });
          slotAt = this.now();
        } else {
          slot = last.slot; // still what the Node shows
        }
      }
      this.lastConditions = status['conditions'] as Obj[];
      this.lastWritten = { figures: capacityOf(cap), ready: readyCondition(cap).status, slot, at: this.now(), slotAt };
    };
    this.writing = run().finally(() => (this.writing = undefined));
    return this.writing;
  }
}
