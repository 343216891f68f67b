/**
 * The scheduler: cluster events in, bindings out.
 *
 * - Informer handlers (onPod*, onNode*) keep the cache, the gang index and the queue current and
 *   raise the cluster events that move unschedulable pods; they never block.
 * - The scheduling cycle (scheduleOne) is synchronous and pure CPU: pre-filter, a filter walk
 *   over a share of the nodes from a rotating start, scores, then assume + reserve + permit.
 *   Nothing in it awaits, so the cache cannot change under a decision.
 * - The binding cycle runs apart (bindingCycle): wait at permit, write the binding, confirm or
 *   undo. Up to maxInFlightBindings run at once (the loop waits beyond that), with at most
 *   bindingConcurrency binding requests on the wire.
 *
 * Failures explain themselves: a FailedScheduling Event in kube-scheduler's words and the pod's
 * PodScheduled condition; a malformed pod gets its Event and is parked while the loop goes on.
 */
import { setMaxListeners } from 'node:events';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import { systemClock, type Clock, type KubeClient, type Logger, type NodeSummary, type EventSubject, type EventType } from '../../kube/index.js';
import type { NodeLoadView } from '../load/index.js';
import { SchedulerCache } from './cache.js';
import { ConditionWriter } from './condition-writer.js';
import type { SchedulerSettings } from './config.js';
import { fitErrorMessage } from './explain.js';
import { CycleState } from './framework/cycle-state.js';
import { Framework, numFeasibleNodesToFind, type PluginStatus } from './framework/framework.js';
import { NODE_RESOURCES_FIT } from './plugins/node-resources-fit.js';
import { StarvationHolds, closestToFitting } from './starvation.js';
import type { BindPlugin, ClusterEvent, QueuedPod } from './framework/interfaces.js';
import type { Status } from './framework/status.js';
import { WaitingPod } from './framework/waiting-pods.js';
import { GangMembers } from './gang/members.js';
import type { PodGroupLister } from './gang/pod-groups.js';
import { ReservationBook } from './gang/reservations.js';
import { LoadEstimator } from './load-estimator.js';
import { schedulerMetrics, type SchedulerMetrics } from './metrics.js';
import { NodeInfo } from './node-info.js';
import { GANG, gangPlugin, type GangPlugin } from './plugins/gang.js';
import { postBinding } from './plugins/default-binder.js';
import { NodeSettings, type PolicySource } from './policy.js';
import { defaultProfile } from './profile.js';
import { SchedulingQueue, classOf } from './queue/scheduling-queue.js';
import { holdsResources, isTerminal, type SchedPod } from './types.js';

/** Where Events go (kube's EventRecorder in production). */
export interface SchedulerEvents {
  record(subject: EventSubject, type: EventType, reason: string, message: string): void;
}

export interface SchedulerCoreOptions {
  schedulerName: string;
  settings: SchedulerSettings;
  load: NodeLoadView;
  policy: PolicySource;
  podGroups: PodGroupLister;
  registry: Registry;
  logger: Logger;
  events: SchedulerEvents;
  /** For the default binder and the PodScheduled condition; tests may give a binder instead. */
  client?: KubeClient;
  binder?: BindPlugin;
  clock?: Clock;
  random?: () => number;
}

/** What the extender's filter answers for one pod. */
export interface ExtenderFilterResult {
  passed: string[];
  failed: Record<string, string>;
  unresolvable: Record<string, string>;
}

/** Load samples move pods rejected for load at most this often. */
const LOAD_EVENT_COALESCE_MS = 1_000;
const EXPIRY_SWEEP_MS = 5_000;
/** A starvation hold that has not let its pod in by then is given up (starvation.ts). */
export const STARVATION_HOLD_TTL_MS = 5 * 60_000;
/** A pod whose search for a node to hold found none searches again after this long at the soonest. */
const HOLD_SEARCH_EVERY_MS = 30_000;
/** The loop lets I/O in after this many pods or this long, whichever comes first. */
const YIELD_EVERY_PODS = 64;
const YIELD_EVERY_MS = 10;

export class Scheduler {
  readonly schedulerName: string;
  readonly settings: SchedulerSettings;
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  readonly estimator: LoadEstimator;
  readonly members = new GangMembers();
  readonly reservations: ReservationBook;
  readonly gang: GangPlugin;
  readonly metrics: SchedulerMetrics;
  readonly starvation: StarvationHolds;
  private readonly nodeSettings: NodeSettings;
  private readonly logger: Logger;
  private readonly events: SchedulerEvents;
  private readonly client: KubeClient | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;
  /** Unbound live pods of any scheduler (the extender's bind needs their requests). */
  private readonly unbound = new Map<string, SchedPod>();
  /** The PodScheduled condition of unschedulable pods (when there is an API client). */
  private readonly conditions: ConditionWriter | undefined;
  private nextStart = 0;
  private bindings = 0;
  private bindingWaiters: Array<() => void> = [];
  private readonly bindingsDone = new Set<Promise<void>>();
  private readonly bindSlots: Semaphore;
  private loadEventTimer: ReturnType<Clock['setTimeout']> | undefined;
  private expiryTimer: ReturnType<Clock['setTimeout']> | undefined;
  private readonly unsubscribeLoad: () => void;
  private runSignal: AbortSignal | undefined;
  private closed = false;

  constructor(options: SchedulerCoreOptions) {
    this.schedulerName = options.schedulerName;
    this.settings = options.settings;
    this.logger = options.logger;
    this.events = options.events;
    this.client = options.client;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.cache = new SchedulerCache({ clock: this.clock, assumeTtlMs: options.settings.assumeTtlMs });
    this.bindSlots = new Semaphore(options.settings.bindingConcurrency);
    this.starvation = new StarvationHolds(this.cache, STARVATION_HOLD_TTL_MS);
    this.conditions = options.client ? new ConditionWriter(options.client, options.logger, () => this.clock.now()) : undefined;
    this.estimator = new LoadEstimator(options.load, this.clock, options.settings.estimation);
    this.nodeSettings = new NodeSettings(options.policy);
    this.reservations = new ReservationBook(this.cache, this.clock, (gang, why) => {
      this.logger.info({ gang, why }, 'gang reservation released');
      this.queue.onEvent('GangChanged');
    });
    // The framework is made after the gang plugin, which needs the framework's filters and
    // waiting pods: both are read through `this` at call time.
    this.gang = gangPlugin({
      cache: this.cache,
      members: this.members,
      podGroups: options.podGroups,
      reservations: this.reservations,
      waiting: { values: () => this.framework.waiting.values() },
      settings: () => this.settings.gang,
      workerFeasibility: (worker) => this.feasibilityOf(worker),
      clock: this.clock,
    });
    const profile = defaultProfile({
      schedulerName: options.schedulerName,
      settings: options.settings,
      cache: this.cache,
      estimator: this.estimator,
      nodeSettings: this.nodeSettings,
      gang: this.gang,
      ...(options.binder ? { binder: options.binder } : {}),
      ...(options.client ? { client: options.client } : {}),
    });
    this.framework = new Framework(profile, this.clock);
    const interested = new Map<ClusterEvent, Set<string>>();
    for (const p of this.framework.plugins()) {
      for (const e of (p.events ?? []) as ClusterEvent[]) {
        let set = interested.get(e);
        if (!set) interested.set(e, (set = new Set()));
        set.add(p.name);
      }
    }
    const weights = options.settings.tenantWeights;
    const tenantLabel = options.settings.tenantLabel;
    this.queue = new SchedulingQueue({
      less: profile.queueSort.less,
      tenantOf: (pod) => (tenantLabel !== undefined ? pod.labels[tenantLabel] : undefined) ?? pod.namespace,
      tenantWeight: (t) => weights[t] ?? 1,
      offlineMaxWaitMs: options.settings.offlineMaxWaitMs,
      backoffInitialMs: options.settings.backoffInitialMs,
      backoffMaxMs: options.settings.backoffMaxMs,
      maxUnschedulableMs: options.settings.maxUnschedulableMs,
      pluginsFor: (e) => interested.get(e) ?? new Set(),
      clock: this.clock,
    });
    this.metrics = schedulerMetrics(options.registry, {
      depth: () => this.queue.depth(),
      reservations: () => this.reservations.list().length,
      bindingsInFlight: () => this.bindings,
      starvationHolds: () => (this.starvation.hold ? 1 : 0),
    });
    this.unsubscribeLoad = options.load.onSample(() => this.loadChanged());
    this.armExpirySweep();
  }

  // ------------------------------------------------------------------ cluster events

  onNodeAdd(node: NodeSummary): void {
    this.cache.upsertNode(node);
    this.queue.onEvent('NodeAdded');
  }

  onNodeUpdate(old: NodeSummary, node: NodeSummary): void {
    this.cache.upsertNode(node);
    if (nodeChanged(old, node)) this.queue.onEvent('NodeChanged');
  }

  onNodeDelete(node: NodeSummary): void {
    this.cache.removeNode(node.name);
    this.estimator.removeNode(node.name);
    // A NodeInfo kept for its pods must not hold on to the dropped load state: if the node
    // comes back, it links the estimator's new one.
    const kept = this.cache.node(node.name);
    if (kept) kept.load = undefined;
    const held = this.starvation.hold;
    if (held?.node === node.name) this.endHold(held.pod, 'its node was deleted');
  }

  onPodAdd(pod: SchedPod): void {
    this.onPod(undefined, pod);
  }

  onPodUpdate(old: SchedPod, pod: SchedPod): void {
    this.onPod(old, pod);
  }

  onPodDelete(pod: SchedPod): void {
    this.unbound.delete(pod.key);
    this.conditions?.forget(pod.key);
    this.queue.delete(pod.key);
    this.framework.waiting.get(pod.key)?.reject('', 'pod deleted');
    this.leftGang(pod.key);
    this.endHold(pod.key, 'the pod was deleted');
    if (this.cache.removePod(pod.key)) this.queue.onEvent('PodGone');
    this.estimator.forget(pod.key);
  }

  /** A PodGroup appeared, changed or went away: gang pods waiting on it may go. */
  onPodGroupChange(): void {
    this.queue.onEvent('GangChanged');
  }

  private onPod(old: SchedPod | undefined, pod: SchedPod): void {
    const live = !isTerminal(pod.phase);
    if (live) {
      if (this.members.upsert(pod)) this.queue.onEvent('GangChanged');
    } else {
      this.leftGang(pod.key);
    }
    if (pod.node !== '') {
      this.unbound.delete(pod.key);
      this.conditions?.forget(pod.key);
      this.queue.delete(pod.key);
      this.endHold(pod.key, 'the pod is bound');
      if (holdsResources(pod)) {
        this.cache.upsertPod(pod);
      } else if (this.cache.removePod(pod.key)) {
        this.queue.onEvent('PodGone');
      }
      return;
    }
    // Unbound.
    if (this.cache.isAssumed(pod.key)) return; // our binding is in flight; the informer will catch up
    if (old?.node && this.cache.removePod(pod.key)) this.queue.onEvent('PodGone');
    if (!live || pod.terminating) {
      this.unbound.delete(pod.key);
      this.queue.delete(pod.key);
      this.endHold(pod.key, 'the pod is finished or terminating');
      return;
    }
    this.unbound.set(pod.key, pod);
    if (pod.schedulerName !== this.schedulerName) return;
    if (old) this.queue.update(pod);
    else this.queue.add(pod);
  }

  private leftGang(key: string): void {
    const gang = this.members.remove(key);
    const held = this.reservations.ofLeader(key);
    if (held !== undefined) this.reservations.release(held);
    if (gang !== undefined && this.members.count(gang) === 0) this.gang.gangEmptied(gang);
  }

  private loadChanged(): void {
    if (this.loadEventTimer !== undefined || this.closed) return;
    this.loadEventTimer = this.clock.setTimeout(() => {
      this.loadEventTimer = undefined;
      this.queue.onEvent('LoadSample');
    }, LOAD_EVENT_COALESCE_MS);
  }

  private armExpirySweep(): void {
    this.expiryTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      const gaveUp = this.starvation.expire(this.clock.now());
      if (gaveUp) {
        this.logger.info({ pod: gaveUp.pod, node: gaveUp.node }, 'starvation hold given up after its TTL');
        this.queue.onEvent('PodGone');
      }
      const held = this.starvation.hold;
      const heldOn = held && this.cache.node(held.node);
      if (held && (!heldOn?.node || heldOn.unschedulable || !heldOn.ready)) this.endHold(held.pod, 'its node is gone, cordoned or not ready');
      const expired = this.cache.cleanupExpired();
      if (expired.length > 0) {
        this.logger.warn({ pods: expired.map((p) => p.key) }, 'bound pods never seen bound by the informer; their assumptions expired');
        this.queue.onEvent('PodGone');
      }
      this.armExpirySweep();
    }, EXPIRY_SWEEP_MS);
  }

  // ------------------------------------------------------------------ the loop

  /** Pops and schedules pods until `signal` aborts; resolves once in-flight bindings settle. */
  async run(signal: AbortSignal): Promise<void> {
    this.runSignal = signal;
    // Bindings waiting for the client's rate limiter or a retry pause listen on it.
    setMaxListeners(this.settings.bindingConcurrency + 16, signal);
    let sinceYield = 0;
    let lastYield = this.clock.now();
    try {
      while (!signal.aborted && !this.closed) {
        if (this.bindings >= this.settings.maxInFlightBindings) {
          await new Promise<void>((resolve) => this.bindingWaiters.push(resolve));
          continue;
        }
        const qp = this.queue.tryPop() ?? (await this.queue.pop(signal));
        if (!qp || signal.aborted) {
          if (qp) this.queue.retryLater(qp);
          break;
        }
        try {
          this.scheduleOne(qp);
        } catch (err) {
          // A bug in a plugin must cost one pod a retry, not the scheduler its loop.
          this.logger.error({ err, pod: qp.pod.key }, 'scheduling cycle failed');
          this.metrics.attempts.inc({ result: 'error' });
          this.queue.retryLater(qp);
        }
        if (++sinceYield >= YIELD_EVERY_PODS || this.clock.now() - lastYield >= YIELD_EVERY_MS) {
          sinceYield = 0;
          await yieldToIo();
          lastYield = this.clock.now();
        }
      }
    } finally {
      this.framework.waiting.rejectAll('the scheduler stopped scheduling');
      await Promise.allSettled([...this.bindingsDone]);
      this.runSignal = undefined;
    }
  }

  /** One scheduling cycle for a popped pod; starts its binding cycle when it found a node. */
  scheduleOne(qp: QueuedPod): void {
    const started = performance.now();
    const pod = qp.pod;
    if (pod.node !== '' || this.cache.isAssumed(pod.key)) {
      this.queue.done(pod.key);
      return;
    }
    if (pod.invalid !== undefined) {
      this.metrics.attempts.inc({ result: 'invalid' });
      this.explainFailure(pod, `pod cannot be scheduled as written: ${pod.invalid}`);
      this.queue.park(qp);
      return;
    }
    const nodes = this.cache.nodes();
    const state = new CycleState(this.clock.now());
    const pre = this.framework.runPreFilter(state, pod);
    if (pre) return this.failed(qp, started, fitErrorMessage(nodes.length, new Map(), pre.status.reasons.join('; ')), [pre.plugin], pre.status);
    if (nodes.length === 0) return this.failed(qp, started, fitErrorMessage(0, new Map()), ['NodeResourcesFit']);

    const want = numFeasibleNodesToFind(nodes.length, this.settings.percentageOfNodesToScore);
    const start = this.nextStart % nodes.length;
    const found = this.framework.findFeasible(state, pod, nodes, start, want, this.cache.table);
    this.nextStart = (start + found.examined) % Math.max(1, nodes.length);
    if (found.feasible.length === 0) return this.failed(qp, started, fitErrorMessage(nodes.length, found.reasons), found.rejectedBy);

    const totals = this.framework.runScores(state, pod, found.feasible, false, this.cache.table, found.rows);
    const host = this.selectHost(found.feasible, totals);
    const assumed = this.cache.assume(pod, host.name);
    this.estimator.placed(assumed, host.name);

    const reserved = this.framework.runReserve(state, assumed, host.name);
    if (reserved) {
      this.undoAssume(pod.key);
      return this.failed(qp, started, fitErrorMessage(nodes.length, new Map(), reserved.status.reasons.join('; ')), [reserved.plugin], reserved.status);
    }
    const permit = this.framework.runPermit(state, assumed, host.name);
    if (!(permit instanceof WaitingPod)) {
      this.framework.runUnreserve(state, assumed, host.name);
      this.undoAssume(pod.key);
      return this.failed(qp, started, permit.status.reasons.join('; '), [permit.plugin], permit.status);
    }
    this.metrics.attempts.inc({ result: 'scheduled' });
    this.metrics.attemptDuration.observe({ result: 'scheduled' }, (performance.now() - started) / 1000);
    this.startBinding(qp, state, assumed, host.name, permit);
  }

  /** The best-scored node; ties broken at random (reservoir), so equal nodes share the load. */
  private selectHost(nodes: readonly NodeInfo[], totals: Float64Array): NodeInfo {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < nodes.length; i++) {
      if (totals[i]! > totals[best]!) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best] && this.random() * ++ties < 1) {
        best = i;
      }
    }
    return nodes[best]!;
  }

  private startBinding(qp: QueuedPod, state: CycleState, pod: SchedPod, node: string, waiting: WaitingPod): void {
    this.bindings++;
    const done = this.bindingCycle(qp, state, pod, node, waiting).finally(() => {
      this.bindings--;
      this.bindingsDone.delete(done);
      const w = this.bindingWaiters.shift();
      w?.();
    });
    this.bindingsDone.add(done);
  }

  private async bindingCycle(qp: QueuedPod, state: CycleState, pod: SchedPod, node: string, waiting: WaitingPod): Promise<void> {
    const rejected = await waiting.result;
    if (rejected) {
      this.framework.runUnreserve(state, pod, node);
      this.undoAssume(pod.key);
      this.queue.onEvent('PodGone');
      this.explainFailure(pod, rejected.reasons.join('; '));
      this.queue.unschedulableAgain(qp, [GANG]);
      return;
    }
    await this.bindSlots.acquire();
    const t0 = performance.now();
    let bound: PluginStatus | undefined;
    try {
      bound = await this.framework.runBind(state, pod, node, this.runSignal);
    } catch (err) {
      bound = { status: { code: 'Error', reasons: [(err as Error).message] }, plugin: 'bind' };
    } finally {
      this.bindSlots.release();
    }
    this.metrics.bindDuration.observe({ result: bound ? 'error' : 'bound' }, (performance.now() - t0) / 1000);
    if (bound) {
      this.framework.runUnreserve(state, pod, node);
      this.undoAssume(pod.key);
      this.queue.onEvent('PodGone');
      if (!this.runSignal?.aborted) this.logger.warn({ pod: pod.key, node, reason: bound.status.reasons.join('; ') }, 'binding failed; the pod goes back to the queue');
      this.queue.retryLater(qp);
      return;
    }
    this.cache.finishBinding(pod.key);
    this.queue.done(pod.key);
    // Only now: until the binding is written, a failure sends the pod back to wait for that room.
    this.endHold(pod.key, `bound to ${node}`);
    const cls = classOf(pod);
    this.metrics.scheduled.inc({ class: cls });
    this.metrics.e2eDuration.observe({ class: cls }, (this.clock.now() - qp.initialQueuedAt) / 1000);
    if (this.settings.scheduledEvents) this.events.record(podRef(pod), 'Normal', 'Scheduled', `Successfully assigned ${pod.namespace}/${pod.name} to ${node}`);
  }

  private undoAssume(key: string): void {
    this.cache.forget(key);
    this.estimator.forget(key);
  }

  private failed(qp: QueuedPod, started: number, message: string, rejectedBy: Iterable<string>, status?: Status): void {
    const result = status?.code === 'Error' ? 'error' : 'unschedulable';
    this.metrics.attempts.inc({ result });
    this.metrics.attemptDuration.observe({ result }, (performance.now() - started) / 1000);
    this.explainFailure(qp.pod, message);
    if (status?.code === 'Error') this.queue.retryLater(qp);
    else if (this.holdForStarving(qp, rejectedBy)) this.queue.retryLater(qp);
    else this.queue.unschedulableAgain(qp, rejectedBy);
  }

  /**
   * An aged offline pod short of resources everywhere gets a node held for it (starvation.ts).
   * True when a hold was placed: the pod is then tried again after its backoff, in case the
   * held node already has its room.
   */
  private holdForStarving(qp: QueuedPod, rejectedBy: Iterable<string>): boolean {
    const pod = qp.pod;
    const now = this.clock.now();
    if (!this.starvation.eligible(pod) || now - qp.initialQueuedAt < this.settings.offlineMaxWaitMs) return false;
    if (![...rejectedBy].includes(NODE_RESOURCES_FIT)) return false;
    // The search looks at every node: a pod no node could ever hold is not searched for again at each retry.
    if (qp.holdSearchedAt !== undefined && now - qp.holdSearchedAt < HOLD_SEARCH_EVERY_MS) return false;
    qp.holdSearchedAt = now;
    const passes = this.feasibilityOf(pod, NODE_RESOURCES_FIT);
    if (typeof passes === 'string') return false;
    const node = closestToFitting(pod, this.cache.nodes(), (n) => !this.starvation.gaveUpOn(pod.key, n.name) && passes(n));
    if (!node) return false;
    this.starvation.place(pod, node.name, now);
    const waited = Math.round((now - qp.initialQueuedAt) / 1000);
    const message = `holding room on node ${node.name} for this pod: it has waited ${waited}s while smaller pods took the room that freed; other offline pods use that node only beyond it`;
    this.events.record(podRef(pod), 'Normal', 'RoomHeld', message);
    this.logger.info({ pod: pod.key, node: node.name, waitedSeconds: waited }, 'starvation hold placed');
    return true;
  }

  /** Ends pod `key`'s starvation hold, if it has one; the room it held is free for others. */
  private endHold(key: string, why: string): void {
    const node = this.starvation.hold?.node;
    if (!this.starvation.release(key)) return;
    this.logger.info({ pod: key, node, why }, 'starvation hold ended');
    this.queue.onEvent('PodGone');
  }

  /** A FailedScheduling Event, and the pod's PodScheduled condition when its message changed. */
  private explainFailure(pod: SchedPod, message: string): void {
    this.events.record(podRef(pod), 'Warning', 'FailedScheduling', message);
    this.logger.debug({ pod: pod.key, message }, 'pod unschedulable');
    this.conditions?.unschedulable(pod.key, pod.namespace, pod.name, message);
  }

  /** A node test for a would-be pod through this profile's pre-filters and filters (all but `without`), or why none passes. */
  private feasibilityOf(pod: SchedPod, without?: string): ((node: NodeInfo) => boolean) | string {
    const state = new CycleState(this.clock.now());
    const pre = this.framework.runPreFilter(state, pod);
    if (pre) return pre.status.reasons.join('; ');
    const filters = this.framework.activeFilters(state).filter((p) => p.name !== without);
    return (node) => node.node !== undefined && this.framework.runFilters(filters, state, pod, node) === undefined;
  }

  // ------------------------------------------------------------------ extender

  /** The profile's pre-filter and filters for `pod` on each of `nodes` (no sampling). */
  extenderFilter(pod: SchedPod, nodes: readonly NodeInfo[]): ExtenderFilterResult {
    const out: ExtenderFilterResult = { passed: [], failed: {}, unresolvable: {} };
    if (pod.invalid !== undefined) {
      for (const n of nodes) out.unresolvable[n.name] = `pod cannot be scheduled as written: ${pod.invalid}`;
      return out;
    }
    const state = new CycleState(this.clock.now());
    const pre = this.framework.runPreFilter(state, pod);
    if (pre) {
      const why = pre.status.reasons.join('; ');
      for (const n of nodes) (pre.status.code === 'UnschedulableAndUnresolvable' ? out.unresolvable : out.failed)[n.name] = why;
      return out;
    }
    const filters = this.framework.activeFilters(state);
    for (const n of nodes) {
      if (!n.node) {
        out.failed[n.name] = 'node(s) were not found';
        continue;
      }
      const r = this.framework.runFilters(filters, state, pod, n);
      if (!r) out.passed.push(n.name);
      else (r.status.code === 'UnschedulableAndUnresolvable' ? out.unresolvable : out.failed)[n.name] = r.status.reasons.join(', ');
    }
    return out;
  }

  /** Weighted scores of `pod` on `nodes`, as a share (0..1) of the best possible total. */
  extenderScores(pod: SchedPod, nodes: readonly NodeInfo[]): number[] {
    const usable = nodes.filter((n) => n.node !== undefined);
    const state = new CycleState(this.clock.now());
    if (pod.invalid !== undefined || this.framework.runPreFilter(state, pod)) return nodes.map(() => 0);
    const totals = this.framework.runScores(state, pod, usable, true);
    let maxTotal = 0;
    for (const { plugin, weight } of this.framework.profile.score) if (!state.skipScore.has(plugin.name)) maxTotal += 100 * weight;
    const byName = new Map(usable.map((n, i) => [n.name, maxTotal > 0 ? totals[i]! / maxTotal : 0]));
    return nodes.map((n) => byName.get(n.name) ?? 0);
  }

  /** Binds for kube-scheduler (the extender's bind verb): assumed here, so our own cycles see it at once. */
  async extenderBind(namespace: string, name: string, uid: string, node: string): Promise<string | undefined> {
    if (!this.client) return 'this scheduler has no API client to bind with';
    const key = `${namespace}/${name}`;
    const pod = this.unbound.get(key);
    const assumed = pod && (!uid || pod.uid === uid) && !this.cache.isAssumed(key) ? this.cache.assume(pod, node) : undefined;
    if (assumed) this.estimator.placed(assumed, node);
    const failed = await postBinding(this.client, namespace, name, uid, node);
    if (failed) {
      if (assumed) this.undoAssume(key);
      return failed.message;
    }
    if (assumed) this.cache.finishBinding(key);
    this.endHold(key, `bound to ${node} through the extender`);
    return undefined;
  }

  /** A NodeInfo for the extender: the cache's when it knows the node, else one from the given Node. */
  nodeForExtender(name: string, given: NodeSummary | undefined): NodeInfo {
    const known = this.cache.node(name);
    if (known?.node) return known;
    const info = new NodeInfo(name);
    info.node = given;
    return info;
  }

  // ------------------------------------------------------------------ lifecycle

  get bindingsInFlight(): number {
    return this.bindings;
  }

  /** Stops timers and the queue; run() returns once its bindings settle. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeLoad();
    this.nodeSettings.close();
    this.estimator.close();
    if (this.loadEventTimer !== undefined) this.clock.clearTimeout(this.loadEventTimer);
    if (this.expiryTimer !== undefined) this.clock.clearTimeout(this.expiryTimer);
    this.queue.close();
    this.conditions?.close();
    this.framework.waiting.rejectAll('the scheduler is shutting down');
    this.gang.close();
    this.reservations.close();
    for (const w of this.bindingWaiters.splice(0)) w();
  }
}

export function podRef(pod: SchedPod): EventSubject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid } };
}

/** Did anything the filters read change? (Status heartbeats and the like do not count.) */
function nodeChanged(a: NodeSummary, b: NodeSummary): boolean {
  if (a.unschedulable !== b.unschedulable || a.ready !== b.ready) return true;
  if (!sameRecord(a.allocatable, b.allocatable) || !sameRecord(a.labels, b.labels)) return true;
  if (a.taints.length !== b.taints.length) return true;
  return a.taints.some((t, i) => t.key !== b.taints[i]!.key || t.value !== b.taints[i]!.value || t.effect !== b.taints[i]!.effect);
}

function sameRecord(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** Counts permits for a bounded number of concurrent async operations. */
class Semaphore {
  private waiters: Array<() => void> = [];
  constructor(private free: number) {}

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}
