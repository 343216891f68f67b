/**
 * One member cluster at run time: projected node and pod informers (kube/informer.ts) feeding
 * the cluster's model through the CapacityEvent interface, a metrics.k8s.io poller for node
 * usage, and a health probe.
 *
 * Health: the cluster is Ready while its informers are synced and its API server answered a
 * probe (an authenticated one-node LIST) within `readyTimeoutMs`. Past that it leaves the pool (its idle capacity is no longer
 * offered). When it answers again it is resynced — fresh informers, a full list, the model
 * replaced — and only then rejoins: figures from before the outage are never trusted blindly.
 */
import { createInformer, DEFAULT_POD_LABELS, KubeApiError, NODE_FIELDS, POD_FIELDS, podProjection, projectNode, toMilli, toUnits, tryParseQuantity } from '../kube/index.js';
import type { Informer, InformerHandlers, KubeClient, Logger, NodeSummary, PodSummary } from '../kube/index.js';
import type { FederationModel } from './model.js';
import { MANAGED_BY_LABEL, appRefOf } from '../api/index.js';
import type { CapacityEvent, NodeInfo, PodInfo } from './types.js';

export interface MemberOptions {
  /** Not Ready after this long without an answer. Default 30 s. */
  readyTimeoutMs?: number;
  /** Probe period. Default min(5 s, readyTimeoutMs / 3). */
  probeIntervalMs?: number;
  /** metrics.k8s.io poll period; 0 turns it off. Default 15 s. */
  usageIntervalMs?: number;
  logger?: Logger;
  now?: () => number;
}

export interface MemberHealth {
  reachable: boolean;
  synced: boolean;
  ready: boolean;
  lastProbeTime: string | null;
  lastError: string | null;
}

const POD_LABELS = [...DEFAULT_POD_LABELS, MANAGED_BY_LABEL];

export function nodeInfoOf(n: NodeSummary): NodeInfo {
  return { name: n.name, allocatable: n.allocatable, labels: n.labels, taints: n.taints, ready: n.ready, unschedulable: n.unschedulable };
}

export function podInfoOf(p: PodSummary): PodInfo {
  const app = appRefOf({ metadata: { namespace: p.namespace, labels: p.labels } });
  return {
    key: `${p.namespace}/${p.name}`,
    namespace: p.namespace,
    ...(p.node ? { nodeName: p.node } : {}),
    phase: p.phase,
    requests: p.requests,
    qos: p.qos,
    lent: p.labels[MANAGED_BY_LABEL] !== undefined,
    ...(app ? { app } : {}),
  };
}

export class Member {
  private nodes: Informer<NodeSummary> | undefined;
  private pods: Informer<PodSummary> | undefined;
  private syncAbort: AbortController | undefined;
  private generation = 0;
  private synced = false;
  private reachable = false;
  private lastOk: number;
  private lastProbe: number | null = null;
  private lastError: string | null = null;
  private needResync = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private usageTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;
  private readonly readyTimeoutMs: number;
  private readonly probeIntervalMs: number;
  /** A slow answer is still an answer: well above the probe period on a loaded machine. */
  private readonly probeTimeoutMs: number;
  private readonly usageIntervalMs: number;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    readonly client: KubeClient,
    private readonly model: FederationModel,
    private readonly opts: MemberOptions = {},
  ) {
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
    this.probeIntervalMs = opts.probeIntervalMs ?? Math.max(100, Math.min(5_000, Math.floor(this.readyTimeoutMs / 3)));
    this.probeTimeoutMs = Math.min(5_000, Math.max(1_000, Math.floor(this.readyTimeoutMs / 2)));
    this.usageIntervalMs = opts.usageIntervalMs ?? 15_000;
    this.now = opts.now ?? Date.now;
    this.lastOk = this.now();
  }

  start(): void {
    this.startInformers();
    this.probeTimer = setInterval(() => void this.probe(), this.probeIntervalMs);
    void this.probe();
    if (this.usageIntervalMs > 0) this.usageTimer = setInterval(() => void this.pollUsage(), this.usageIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.probeTimer);
    clearInterval(this.usageTimer);
    await this.stopInformers();
    this.client.close();
  }

  health(): MemberHealth {
    return {
      reachable: this.reachable,
      synced: this.synced,
      ready: this.isReady(),
      lastProbeTime: this.lastProbe === null ? null : new Date(this.lastProbe).toISOString(),
      lastError: this.lastError,
    };
  }

  /** Resolves true once the first sync is done (false after timeoutMs). */
  async waitForReady(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (!this.stopped && this.now() < deadline) {
      if (this.isReady()) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.isReady();
  }

  private isReady(): boolean {
    return this.synced && this.now() - this.lastOk <= this.readyTimeoutMs;
  }

  private startInformers(): void {
    const gen = ++this.generation;
    this.synced = false;
    const abort = new AbortController();
    this.syncAbort = abort;
    const logger = this.opts.logger;
    const common = { client: this.client, backoff: { initialMs: 250, maxMs: 5_000 }, ...(logger ? { logger } : {}) };
    const nodes = createInformer<NodeSummary>({ ...common, name: `${this.name}/nodes`, resource: { version: 'v1', resource: 'nodes' }, project: projectNode, fields: NODE_FIELDS });
    const pods = createInformer<PodSummary>({ ...common, name: `${this.name}/pods`, resource: { version: 'v1', resource: 'pods' }, project: podProjection({ labels: POD_LABELS }), fields: POD_FIELDS });
    this.nodes = nodes;
    this.pods = pods;
    nodes.start();
    pods.start();
    void (async () => {
      const [a, b] = await Promise.all([nodes.waitForSync({ signal: abort.signal }), pods.waitForSync({ signal: abort.signal })]);
      if (!a || !b || gen !== this.generation || this.stopped) return;
      const cluster = this.model.cluster(this.name);
      if (!cluster) return;
      // Replace and subscribe in one tick: nothing the informers learn can fall in between.
      cluster.replace(nodes.list().map(nodeInfoOf), pods.list().map(podInfoOf));
      nodes.addHandlers(this.handlers(nodeInfoOf, (n) => ({ kind: 'node-upsert', node: n }), (n) => ({ kind: 'node-delete', name: n.name })));
      pods.addHandlers(this.handlers(podInfoOf, (p) => ({ kind: 'pod-upsert', pod: p }), (p) => ({ kind: 'pod-delete', key: p.key })));
      this.synced = true;
      this.lastOk = this.now();
      this.update();
      void this.pollUsage();
    })();
  }

  private handlers<S, I>(project: (s: S) => I, upsert: (i: I) => CapacityEvent, remove: (i: I) => CapacityEvent): InformerHandlers<S> {
    const apply = (ev: CapacityEvent): void => {
      this.model.cluster(this.name)?.apply(ev);
      this.model.changed();
    };
    return {
      onAdd: (s) => apply(upsert(project(s))),
      onUpdate: (_o, s) => apply(upsert(project(s))),
      onDelete: (s) => apply(remove(project(s))),
    };
  }

  private async stopInformers(): Promise<void> {
    this.syncAbort?.abort();
    const stops = [this.nodes?.stop(), this.pods?.stop()];
    this.nodes = this.pods = undefined;
    await Promise.all(stops);
  }

  /** One health probe; also flips readiness and starts a resync after an outage. */
  private async probe(): Promise<void> {
    if (this.probing || this.stopped) return;
    this.probing = true;
    try {
      // An authenticated read our informers depend on (served from the watch cache with
      // resourceVersion=0): /version is often anonymous and would pass with broken credentials.
      await this.client.request({ path: '/api/v1/nodes', query: { limit: 1, resourceVersion: '0' }, retry: false, timeoutMs: this.probeTimeoutMs });
      this.lastOk = this.now();
      this.reachable = true;
      this.lastError = null;
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 429) {
        // Throttled is alive: the server answered, it only asks us to slow down.
        this.lastOk = this.now();
        this.reachable = true;
      } else {
        this.reachable = false;
        this.lastError = (err as Error).message;
      }
    } finally {
      this.lastProbe = this.now();
      this.probing = false;
    }
    if (this.stopped) return;
    if (!this.isReady() && this.synced) {
      // Gone past the timeout: leave the pool, and resync before coming back.
      this.needResync = true;
      this.synced = false;
    }
    if (this.needResync && this.reachable) {
      this.needResync = false;
      this.opts.logger?.info({ cluster: this.name }, 'member cluster answers again; resyncing');
      await this.stopInformers();
      if (!this.stopped) this.startInformers();
    }
    this.update();
  }

  /** Polls metrics.k8s.io for node usage now (also runs every usageIntervalMs). */
  async refreshUsage(): Promise<void> {
    return this.pollUsage();
  }

  private async pollUsage(): Promise<void> {
    if (!this.synced || this.stopped) return;
    try {
      const list = await this.client.requestJson<{ items?: Array<{ metadata?: { name?: string }; usage?: { cpu?: string; memory?: string } }> }>({
        path: '/apis/metrics.k8s.io/v1beta1/nodes',
        retry: false,
      });
      const cluster = this.model.cluster(this.name);
      if (!cluster) return;
      for (const item of list.items ?? []) {
        const name = item.metadata?.name;
        const cpu = tryParseQuantity(item.usage?.cpu ?? '');
        const mem = tryParseQuantity(item.usage?.memory ?? '');
        if (!name || !cpu || !mem) continue;
        cluster.apply({ kind: 'node-usage', name, usage: { cpu: toMilli(cpu), memory: toUnits(mem) } });
      }
      this.model.changed();
    } catch (err) {
      // No metrics server is normal: batch capacity then stays 0 (unknown), nothing else changes.
      this.opts.logger?.info({ cluster: this.name, err: (err as Error).message }, 'node metrics unavailable');
    }
  }

  /** Pushes readiness and conditions into the model. */
  private update(): void {
    const m = this.model;
    const h = this.health();
    m.setReady(this.name, h.ready);
    m.setCondition(this.name, 'Reachable', h.reachable ? 'True' : 'False', h.reachable ? 'ProbeSucceeded' : 'ProbeFailed', h.reachable ? 'the API server answers' : `probe failed: ${h.lastError ?? 'no answer yet'}`);
    m.setCondition(this.name, 'Synced', h.synced ? 'True' : 'False', h.synced ? 'InformersSynced' : 'Syncing', h.synced ? 'nodes and pods are listed and watched' : 'listing nodes and pods');
    m.setCondition(
      this.name,
      'Ready',
      h.ready ? 'True' : 'False',
      h.ready ? 'Ready' : h.reachable ? 'NotSynced' : 'Unreachable',
      h.ready
        ? 'capacity is in the pool'
        : h.reachable
          ? 'waiting for nodes and pods to be listed'
          : `no answer within ${Math.round(this.readyTimeoutMs / 1000)}s; its capacity left the pool`,
    );
  }
}
