/**
 * The batch capacity controller: for every real node, the batch resources offline pods may
 * request (formula.ts), published on the Node (publisher.ts) when the publish rules say so
 * (publish-rules.ts), and explained by the breakdown annotation.
 *
 * Shape (client-go's): handlers only enqueue node names — a node that changed, a new load
 * sample, a policy change — and workers reconcile a name from the caches: compute, decide,
 * maybe write, and say when to look again (when the data would turn stale, or a held change
 * become overdue), so a node whose load source falls silent drops to 0 on time even though no
 * event arrives. Writes happen only while leading (two replicas must not fight over the figures);
 * caches and breakdown() run on every replica, so any replica can explain a node.
 */
import type { Registry } from 'prom-client';
import { createInformer, silentLogger, systemClock, WorkQueue, type Clock, type Informer, type KubeClient, type Logger } from '../../kube/index.js';
import type { NodeLoadPeaks } from '../load/index.js';
import { computeBatch, type BatchBreakdown, type CpuMemory } from './formula.js';
import { runWhileLeading, type LeaderElectionSettings } from './leadership.js';
import { batchMetrics, type BatchMetrics } from './metrics.js';
import { BATCH_NODE_FIELDS, batchNodeChanged, projectBatchNode, type BatchNode } from './node-projection.js';
import { ColocationPolicyWatch, startPolicySource, type PolicySource } from './policy-source.js';
import { runPolicyStatusWriter } from './policy-status.js';
import { decidePublish, DEFAULT_PUBLISH_SETTINGS, type PublishedBatch, type PublishSettings } from './publish-rules.js';
import { publishBatch } from './publisher.js';

export interface BatchControllerOptions {
  client: KubeClient;
  /** Measured load (colocation/load's LoadStore). */
  load: NodeLoadPeaks;
  /**
   * The colocation policy. Default: a ColocationPolicyWatch started (and stopped) here. With a
   * ColocationPolicyWatch, the leader also writes every policy's status.
   */
  policies?: PolicySource;
  /** Capacity never lent, per node, on top of the reclaim threshold. Default none. */
  reserved?: CpuMemory;
  publish?: Partial<PublishSettings>;
  /** Default 2. */
  workers?: number;
  /** Lease default name "tidepool-batch-controller"; false: act as the only replica. */
  leaderElection: LeaderElectionSettings | false;
  /** How long to wait for the first policy list before computing with what is known. Default 10 s. */
  policySyncTimeoutMs?: number;
  /** Every node is looked at again this often even without news. Default 60 s. */
  resyncMs?: number;
  registry?: Registry;
  logger?: Logger;
  clock?: Clock;
}

export interface BatchController {
  /** The node's batch capacity computed now, from the current load data and policy (any replica). */
  breakdown(node: string): BatchBreakdown | undefined;
  /** The batch figures the node shows (status.allocatable), as last seen or written. */
  published(node: string): PublishedBatch | undefined;
  isLeader(): boolean;
  /** The node cache is filled: breakdown() answers for every node. */
  ready(): boolean;
  stop(): Promise<void>;
}

const STALE_MARGIN_MS = 50;

class Controller implements BatchController {
  private readonly nodes: Informer<BatchNode>;
  private readonly policies: PolicySource;
  private readonly ownPolicies: ColocationPolicyWatch | undefined;
  private readonly reserved: CpuMemory;
  private readonly settings: PublishSettings;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly metrics: BatchMetrics | undefined;
  private readonly lastBreakdown = new Map<string, BatchBreakdown>();
  /** What we wrote, until the node cache shows it. */
  private readonly written = new Map<string, PublishedBatch>();
  private readonly stopAll = new AbortController();
  private leading = false;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly o: BatchControllerOptions) {
    this.log = o.logger ?? silentLogger;
    this.clock = o.clock ?? systemClock;
    this.reserved = o.reserved ?? { cpu: 0, memory: 0 };
    this.settings = { ...DEFAULT_PUBLISH_SETTINGS, ...o.publish };
    checkOptions(o, this.settings);
    this.ownPolicies = o.policies ? undefined : startPolicySource({ client: o.client, logger: this.log });
    this.policies = o.policies ?? this.ownPolicies!;
    this.nodes = createInformer<BatchNode>({
      client: o.client,
      name: 'batch-nodes',
      resource: { version: 'v1', resource: 'nodes' },
      project: projectBatchNode,
      fields: BATCH_NODE_FIELDS,
      logger: this.log,
    });
    this.metrics = o.registry ? batchMetrics(o.registry, { breakdowns: () => this.lastBreakdown.values(), isLeader: () => this.leading }) : undefined;
  }

  start(): void {
    this.nodes.start();
    this.running = runWhileLeading(
      { client: this.o.client, settings: this.o.leaderElection, defaultLeaseName: 'tidepool-batch-controller', logger: this.log, ...(this.o.clock ? { clock: this.o.clock } : {}) },
      this.stopAll.signal,
      (term) => this.lead(term),
    );
  }

  async stop(): Promise<void> {
    this.stopAll.abort();
    await this.running;
    await this.nodes.stop();
    await this.ownPolicies?.stop();
  }

  isLeader(): boolean {
    return this.leading;
  }

  ready(): boolean {
    return this.nodes.hasSynced();
  }

  breakdown(name: string): BatchBreakdown | undefined {
    const n = this.nodes.getByName(undefined, name);
    return n && !n.virtual ? this.compute(n) : undefined;
  }

  published(name: string): PublishedBatch | undefined {
    return this.written.get(name) ?? this.nodes.getByName(undefined, name)?.published;
  }

  private compute(n: BatchNode): BatchBreakdown {
    const settings = this.policies.forNode(n.labels);
    const windowMs = settings.usageWindowSeconds * 1000;
    return computeBatch({
      node: n.name,
      allocatable: n.allocatable,
      settings,
      policy: settings.policy,
      reserved: this.reserved,
      latest: this.o.load.latest(n.name),
      peak: this.o.load.peak(n.name, windowMs),
      now: this.clock.now(),
    });
  }

  /** One leadership term: reconcile every node until `signal` aborts. */
  private async lead(signal: AbortSignal): Promise<void> {
    this.leading = true;
    const queue = new WorkQueue({ name: 'batch-nodes', baseDelayMs: 200, maxDelayMs: 60_000, ...(this.o.clock ? { clock: this.o.clock } : {}), ...(this.o.registry ? { registry: this.o.registry } : {}) });
    const offs: Array<() => void> = [];
    let statusWriter: Promise<void> | undefined;
    const stop = (): void => queue.shutDown();
    signal.addEventListener('abort', stop, { once: true });
    try {
      if (this.ownPolicies || this.o.policies instanceof ColocationPolicyWatch) {
        const watch = (this.ownPolicies ?? this.o.policies) as ColocationPolicyWatch;
        if (!(await watch.waitForSync(this.o.policySyncTimeoutMs ?? 10_000, signal)) && !signal.aborted) {
          this.log.warn({}, 'ColocationPolicy objects not listed yet (is the CRD installed?); computing with the policy known so far');
        }
        statusWriter = runPolicyStatusWriter({ client: this.o.client, watch, logger: this.log, clock: this.clock }, signal);
      }
      offs.push(
        this.nodes.addHandlers({
          onAdd: (_n, key) => queue.add(key, 'add'),
          onUpdate: (a, b, key) => batchNodeChanged(a, b) && queue.add(key, 'update'),
          onDelete: (_n, key) => queue.add(key, 'delete'),
        }),
        this.o.load.onSample((s) => {
          if (this.nodes.getByName(undefined, s.node)) queue.add(s.node, 'update');
        }),
        this.policies.onChange(() => {
          for (const key of this.nodes.keys()) queue.add(key, 'resync');
        }),
      );
      const resync = setInterval(() => {
        for (const key of this.nodes.keys()) queue.add(key, 'resync');
      }, this.o.resyncMs ?? 60_000);
      offs.push(() => clearInterval(resync));
      await queue.runWorkers(this.o.workers ?? 2, (key) => this.reconcile(key, signal), signal, {
        onError: (err, item, requeues) => this.log.warn({ err, node: item.key, requeues }, 'batch capacity reconcile failed; retrying'),
      });
    } finally {
      signal.removeEventListener('abort', stop);
      for (const off of offs) off();
      queue.shutDown();
      await statusWriter;
      this.leading = false;
    }
  }

  private async reconcile(name: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    const n = this.nodes.getByName(undefined, name);
    if (!n) {
      this.lastBreakdown.delete(name);
      this.written.delete(name);
      return;
    }
    // Virtual nodes advertise the pooled batch capacity federation computes.
    if (n.virtual) return;
    const b = this.compute(n);
    this.lastBreakdown.set(name, b);
    const prev = this.previous(n);
    const now = this.clock.now();
    const d = decidePublish(prev, b.result, now, this.settings);
    this.metrics?.decisions.inc({ rule: d.rule });
    let recheck = d.publish ? undefined : d.recheckInMs;
    if (d.publish) {
      try {
        const out = await publishBatch(this.o.client, b, now, signal);
        this.written.set(name, { cpu: b.result.cpu, memory: b.result.memory, at: Date.parse(out.publishedAt), explained: true });
        this.metrics?.writes.inc({ result: 'ok' });
      } catch (err) {
        this.metrics?.writes.inc({ result: 'error' });
        throw err;
      }
      this.log.info({ node: name, cpu: b.result.cpu, memory: b.result.memory, rule: d.rule, why: d.why, degraded: b.degraded }, 'published batch capacity');
    }
    // Look again when the data would turn stale: no event may come (the source fell silent).
    if (b.dataAgeSeconds !== null && b.degraded === undefined) {
      const staleIn = (b.staleAfterSeconds - b.dataAgeSeconds) * 1000 + STALE_MARGIN_MS;
      recheck = Math.min(recheck ?? Infinity, staleIn);
    }
    return recheck === undefined || !Number.isFinite(recheck) ? undefined : { requeueAfterMs: Math.max(STALE_MARGIN_MS, recheck) };
  }

  /** The figures the node shows: what we wrote until the cache catches up with it. */
  private previous(n: BatchNode): PublishedBatch | undefined {
    const w = this.written.get(n.name);
    if (!w) return n.published;
    const seen = n.published;
    if (seen && seen.cpu === w.cpu && seen.memory === w.memory && seen.at === w.at) {
      this.written.delete(n.name);
      return seen;
    }
    return w;
  }
}

function checkOptions(o: BatchControllerOptions, s: PublishSettings): void {
  const r = o.reserved;
  if (r && (!Number.isInteger(r.cpu) || r.cpu < 0 || !Number.isInteger(r.memory) || r.memory < 0)) {
    throw new RangeError(`batch controller: reserved must be whole non-negative millicores and bytes, got ${JSON.stringify(r)}`);
  }
  if (!(s.changePercent >= 0 && s.changePercent <= 100)) throw new RangeError(`batch controller: publish.changePercent must be 0..100, got ${s.changePercent}`);
  if (!(s.maxQuietMs > 0)) throw new RangeError(`batch controller: publish.maxQuietMs must be positive, got ${s.maxQuietMs}`);
  const w = o.workers ?? 2;
  if (!Number.isInteger(w) || w < 1) throw new RangeError(`batch controller: workers must be a positive integer, got ${w}`);
  if (o.leaderElection !== false && !o.leaderElection.identity) throw new RangeError('batch controller: leaderElection.identity must not be empty');
}

/** Starts the controller; stop() ends its work, its caches and (when it started it) the policy watch. */
export function startBatchController(o: BatchControllerOptions): BatchController {
  const c = new Controller(o);
  c.start();
  return c;
}
