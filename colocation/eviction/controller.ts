/**
 * Offline eviction: when a node's measured usage stays above the policy's eviction threshold,
 * offline pods leave it through the Eviction API (PodDisruptionBudgets honoured), in eviction
 * order (order.ts), until what they are expected to give back covers the excess or
 * `maxPerRound` pods went. Then the node rests for `cooldownMs` (the load data must catch up
 * before another round is judged) and carries `tidepool.dev/offline-evicted-until` for
 * `backoffMs`, which the scheduler's offline filter reads so the evicted pods are not sent
 * straight back (koordinator #2477). Every decision is counted and told as an Event on the pod.
 *
 * Shape as the batch controller: handlers enqueue node names (a new load sample, a resync),
 * workers reconcile a node from the caches; leader-elected, since two replicas would evict twice.
 */
import type { Registry } from 'prom-client';
import { isVirtualNodeLabels } from '../../api/index.js';
import { OFFLINE_EVICTED_UNTIL_ANNOTATION } from '../../api/eviction.js';
import {
  createInformer,
  EventRecorder,
  eventSinkFor,
  formatBytes,
  formatCpuMilli,
  NODE_FIELDS,
  projectNode,
  silentLogger,
  systemClock,
  WorkQueue,
  type Clock,
  type Informer,
  type KubeClient,
  type Logger,
  type NodeSummary,
} from '../../kube/index.js';
import { runWhileLeading, startPolicySource, type ColocationPolicyWatch, type LeaderElectionSettings, type PolicySource } from '../batch/index.js';
import type { NodeLoadView } from '../load/index.js';
import { apiEvictor, type EvictionResult, type PodEvictor } from './evictor.js';
import { evictionMetrics, type EvictionMetrics } from './metrics.js';
import { evictionOrder, EVICTION_ORDER, type EvictionOrder } from './order.js';
import { EVICTION_POD_FIELDS, projectEvictionPod, type EvictionPod } from './pod-projection.js';
import { detectPressure, type Pressure } from './pressure.js';

export interface EvictionControllerOptions {
  client: KubeClient;
  load: NodeLoadView;
  /** Default: a ColocationPolicyWatch started (and stopped) here. */
  policies?: PolicySource;
  /** How long usage must stay above the threshold. Default 30 s. */
  sustainMs?: number;
  /** Most pods evicted from one node per round. Default 3. */
  maxPerRound?: number;
  /** Rest after a round before the node is judged again. Default 60 s. */
  cooldownMs?: number;
  /** How long the node keeps offline pods away after a round (the annotation). Default 5 min. */
  backoffMs?: number;
  /** Default: the Eviction API through `client`. */
  evictor?: PodEvictor;
  order?: readonly EvictionOrder[];
  /** Lease default name "tidepool-offline-eviction"; false: act as the only replica. */
  leaderElection: LeaderElectionSettings | false;
  /** Every node is looked at this often even without news. Default 30 s. */
  resyncMs?: number;
  registry?: Registry;
  logger?: Logger;
  clock?: Clock;
}

export interface EvictionController {
  isLeader(): boolean;
  ready(): boolean;
  /** Offline pods on a node, in the order they would be evicted. */
  candidates(node: string): EvictionPod[];
  stop(): Promise<void>;
}

function amount(resource: Pressure['resource'], v: number): string {
  return resource === 'cpu' ? formatCpuMilli(v) : formatBytes(v);
}

class Controller implements EvictionController {
  private readonly pods: Informer<EvictionPod>;
  private readonly nodes: Informer<NodeSummary>;
  private readonly policies: PolicySource;
  private readonly ownPolicies: ColocationPolicyWatch | undefined;
  private readonly evictor: PodEvictor;
  private readonly events: EventRecorder;
  private readonly metrics: EvictionMetrics | undefined;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly restUntil = new Map<string, number>();
  /** Node annotations still to write (a failed write is retried before anything else). */
  private readonly backoffToWrite = new Map<string, number>();
  private readonly stopAll = new AbortController();
  private leading = false;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly o: EvictionControllerOptions) {
    this.log = o.logger ?? silentLogger;
    this.clock = o.clock ?? systemClock;
    for (const [k, v] of [
      ['sustainMs', o.sustainMs],
      ['cooldownMs', o.cooldownMs],
      ['backoffMs', o.backoffMs],
    ] as const) {
      if (v !== undefined && !(v > 0)) throw new RangeError(`eviction controller: ${k} must be positive, got ${v}`);
    }
    if (o.maxPerRound !== undefined && !(Number.isInteger(o.maxPerRound) && o.maxPerRound >= 1)) throw new RangeError(`eviction controller: maxPerRound must be a positive integer, got ${o.maxPerRound}`);
    this.ownPolicies = o.policies ? undefined : startPolicySource({ client: o.client, logger: this.log });
    this.policies = o.policies ?? this.ownPolicies!;
    this.evictor = o.evictor ?? apiEvictor(o.client);
    this.events = new EventRecorder({ sink: eventSinkFor(o.client), component: 'tidepool-offline-eviction', logger: this.log, ...(o.registry ? { registry: o.registry } : {}) });
    this.metrics = o.registry ? evictionMetrics(o.registry, () => this.leading) : undefined;
    this.pods = createInformer<EvictionPod>({
      client: o.client,
      name: 'eviction-pods',
      resource: { version: 'v1', resource: 'pods' },
      fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
      project: projectEvictionPod,
      fields: EVICTION_POD_FIELDS,
      indexers: { offlineByNode: (p) => (p.qos === 'offline' && p.node !== '' ? p.node : undefined) },
      logger: this.log,
    });
    this.nodes = createInformer<NodeSummary>({ client: o.client, name: 'eviction-nodes', resource: { version: 'v1', resource: 'nodes' }, project: projectNode, fields: NODE_FIELDS, logger: this.log });
  }

  start(): void {
    this.pods.start();
    this.nodes.start();
    this.running = runWhileLeading(
      { client: this.o.client, settings: this.o.leaderElection, defaultLeaseName: 'tidepool-offline-eviction', logger: this.log, ...(this.o.clock ? { clock: this.o.clock } : {}) },
      this.stopAll.signal,
      (term) => this.lead(term),
    );
  }

  async stop(): Promise<void> {
    this.stopAll.abort();
    await this.running;
    await Promise.all([this.pods.stop(), this.nodes.stop(), this.ownPolicies?.stop()]);
    await this.events.close();
  }

  isLeader(): boolean {
    return this.leading;
  }

  ready(): boolean {
    return this.pods.hasSynced() && this.nodes.hasSynced();
  }

  candidates(node: string): EvictionPod[] {
    const pods = this.pods.byIndex('offlineByNode', node).filter((p) => !p.terminating && (p.phase === 'Running' || p.phase === 'Pending'));
    return evictionOrder(pods, this.o.order ?? EVICTION_ORDER);
  }

  private async lead(signal: AbortSignal): Promise<void> {
    this.leading = true;
    const queue = new WorkQueue({ name: 'eviction-nodes', baseDelayMs: 500, maxDelayMs: 60_000, ...(this.o.clock ? { clock: this.o.clock } : {}) });
    const stop = (): void => queue.shutDown();
    signal.addEventListener('abort', stop, { once: true });
    const offs = [
      this.nodes.addHandlers({ onAdd: (_n, key) => queue.add(key, 'add') }),
      this.o.load.onSample((s) => {
        if (this.nodes.getByName(undefined, s.node)) queue.add(s.node, 'update');
      }),
    ];
    const resync = setInterval(() => {
      for (const key of this.nodes.keys()) queue.add(key, 'resync');
    }, this.o.resyncMs ?? 30_000);
    try {
      await queue.runWorkers(2, (key) => this.reconcile(key, signal), signal, {
        onError: (err, item) => this.log.warn({ err, node: item.key }, 'offline eviction pass failed; retrying'),
      });
    } finally {
      clearInterval(resync);
      for (const off of offs) off();
      signal.removeEventListener('abort', stop);
      queue.shutDown();
      this.leading = false;
    }
  }

  private async reconcile(name: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    const node = this.nodes.getByName(undefined, name);
    if (!node) {
      this.restUntil.delete(name);
      this.backoffToWrite.delete(name);
      return;
    }
    if (isVirtualNodeLabels(node.labels)) return;
    await this.writeBackoff(name, signal);
    const now = this.clock.now();
    const rest = this.restUntil.get(name);
    if (rest !== undefined && now < rest) return { requeueAfterMs: rest - now };
    const settings = this.policies.forNode(node.labels);
    const sustainMs = this.o.sustainMs ?? 30_000;
    const pressure = detectPressure(this.o.load.window(name, sustainMs + settings.staleAfterSeconds * 1000), { cpu: node.allocatable['cpu'] ?? 0, memory: node.allocatable['memory'] ?? 0 }, settings, sustainMs, now);
    if (!pressure) return;
    const candidates = this.candidates(name);
    if (candidates.length === 0) return;
    this.metrics?.rounds.inc({ resource: pressure.resource });
    const why = `node ${name} ${pressure.resource} usage ${amount(pressure.resource, pressure.usage)} stayed above the eviction threshold ${amount(pressure.resource, pressure.threshold)} (${pressure.percent} % of allocatable) for ${Math.round(sustainMs / 1000)} s`;
    this.log.info({ node: name, resource: pressure.resource, usage: pressure.usage, threshold: pressure.threshold, candidates: candidates.length }, 'sustained load pressure: evicting offline pods');
    let released = 0;
    let evicted = 0;
    for (const pod of candidates) {
      if (evicted >= (this.o.maxPerRound ?? 3) || released >= pressure.excess || signal.aborted) break;
      let result: EvictionResult | 'failed';
      try {
        result = await this.evictor.evict(pod, signal);
      } catch (err) {
        result = 'failed';
        this.log.warn({ err, pod: `${pod.namespace}/${pod.name}`, node: name }, 'eviction failed');
      }
      this.metrics?.pods.inc({ resource: pressure.resource, result });
      const subject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid } };
      if (result === 'evicted') {
        evicted++;
        released += pod.release[pressure.resource];
        this.events.record(subject, 'Warning', 'EvictedForOnlineLoad', `evicted offline pod (${pod.workload}, priority ${pod.priority}): ${why}; online pods need the capacity back`);
        this.log.info({ pod: `${pod.namespace}/${pod.name}`, node: name, workload: pod.workload, priority: pod.priority }, 'evicted offline pod');
      } else if (result === 'blocked') {
        this.events.record(subject, 'Normal', 'EvictionBlocked', `not evicted although ${why}: a PodDisruptionBudget allows no disruption now; the next candidate goes instead`);
      }
    }
    if (evicted === 0) return { requeueAfterMs: Math.min(this.o.cooldownMs ?? 60_000, 10_000) };
    this.restUntil.set(name, now + (this.o.cooldownMs ?? 60_000));
    this.backoffToWrite.set(name, now + (this.o.backoffMs ?? 5 * 60_000));
    await this.writeBackoff(name, signal);
    return { requeueAfterMs: this.o.cooldownMs ?? 60_000 };
  }

  /** Tells the scheduler (node annotation) to keep offline pods away from `name` for a while. */
  private async writeBackoff(name: string, signal: AbortSignal): Promise<void> {
    const until = this.backoffToWrite.get(name);
    if (until === undefined) return;
    await this.o.client.request({
      method: 'PATCH',
      path: `/api/v1/nodes/${encodeURIComponent(name)}`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { [OFFLINE_EVICTED_UNTIL_ANNOTATION]: new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z') } } },
      signal,
    });
    this.backoffToWrite.delete(name);
  }
}

export function startEvictionController(o: EvictionControllerOptions): EvictionController {
  const c = new Controller(o);
  c.start();
  return c;
}
