/**
 * The scheduling queue, in kube-scheduler's shape: an active queue the scheduler pops from, a
 * backoff queue of pods that failed recently, and an unschedulable pool of pods that wait for
 * a cluster event that could make them fit.
 *
 * The active queue orders by three rules, in this order:
 * 1. an offline pod that has waited `offlineMaxWaitMs` since it was first queued goes first
 *    (oldest first): offline work ages up, so a steady stream of online pods cannot starve it;
 * 2. online pods (online and online-exclusive) before offline ones;
 * 3. within a class, fair share across tenants (fair-share.ts), and within a tenant the queue
 *    sort plugin's order (priority, then age).
 * So once capacity exists, an offline pod waits at most offlineMaxWaitMs plus the time to pop
 * the aged offline pods queued before it.
 *
 * An event moves a pod out of the unschedulable pool only if it concerns a plugin that rejected
 * the pod (kube-scheduler's queueing hints, coarse). A pod whose attempt overlapped an event
 * goes to backoff rather than the pool, so an event that happened mid-attempt is not missed.
 */
import { systemClock, type Clock, type TimerHandle } from '../../../kube/index.js';
import type { ClusterEvent, QueuedPod } from '../framework/interfaces.js';
import type { SchedPod } from '../types.js';
import { FairShareQueue, type QueueEntry } from './fair-share.js';
import { Heap } from './heap.js';

export type QueueClass = 'online' | 'offline';

export interface SchedulingQueueOptions {
  /** Within one tenant of one class: does a go first? (the queue sort plugin) */
  less: (a: QueuedPod, b: QueuedPod) => boolean;
  /** The tenant queue a pod waits in. */
  tenantOf: (pod: SchedPod) => string;
  /** A tenant's share weight (default 1 for all). */
  tenantWeight?: (tenant: string) => number;
  /** Offline pods older than this (since first queued) go before online pods. Default 60 s. */
  offlineMaxWaitMs?: number;
  /** Backoff after a failed attempt: initial × 2^(attempts−1), capped. Defaults 1 s and 10 s (kube-scheduler's). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** A pod left in the unschedulable pool this long is tried again anyway. Default 60 s. */
  maxUnschedulableMs?: number;
  /** Which plugins an event concerns; undefined = every plugin. */
  pluginsFor?: (event: ClusterEvent) => ReadonlySet<string> | undefined;
  clock?: Clock;
}

export interface QueueDepth {
  active: Record<QueueClass, number>;
  backoff: Record<QueueClass, number>;
  unschedulable: Record<QueueClass, number>;
}

interface InFlight {
  /** The cycle that popped it. */
  cycle: number;
  /** Deleted meanwhile: do not requeue it. */
  deleted: boolean;
  /** A newer version seen meanwhile: requeue that one. */
  updated: SchedPod | undefined;
}

interface Parked {
  qp: QueuedPod;
  since: number;
}

/** The pseudo-plugin a malformed pod is parked under. */
const PARKED = '<invalid pod>';

export function classOf(pod: SchedPod): QueueClass {
  return pod.qos === 'offline' ? 'offline' : 'online';
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly offlineMaxWaitMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly tenantOf: (pod: SchedPod) => string;
  private readonly pluginsFor: SchedulingQueueOptions['pluginsFor'];
  private readonly online: FairShareQueue;
  private readonly offline: FairShareQueue;
  /** Offline entries of the active queue by first-queued time, for aging. */
  private readonly aging = new Heap<QueueEntry>((a, b) => a.qp.initialQueuedAt < b.qp.initialQueuedAt || (a.qp.initialQueuedAt === b.qp.initialQueuedAt && a.qp.seq < b.qp.seq));
  private readonly active = new Map<string, QueueEntry>();
  private readonly backoff = new Heap<QueueEntry>((a, b) => a.qp.backoffUntil < b.qp.backoffUntil);
  private readonly backingOff = new Map<string, QueueEntry>();
  private readonly unschedulable = new Map<string, Parked>();
  /** Pods popped and not yet back (scheduling or binding). */
  private readonly inFlight = new Map<string, InFlight>();
  private cycle = 0;
  private arrivals = 0;
  private moveRequestCycle = -1;
  private waiters: Array<() => void> = [];
  private backoffTimer: { handle: TimerHandle; at: number } | undefined;
  private leftoverTimer: TimerHandle | undefined;
  private closed = false;

  constructor(options: SchedulingQueueOptions) {
    this.clock = options.clock ?? systemClock;
    this.offlineMaxWaitMs = options.offlineMaxWaitMs ?? 60_000;
    this.backoffInitialMs = options.backoffInitialMs ?? 1_000;
    this.backoffMaxMs = options.backoffMaxMs ?? 10_000;
    this.maxUnschedulableMs = options.maxUnschedulableMs ?? 60_000;
    this.tenantOf = options.tenantOf;
    this.pluginsFor = options.pluginsFor;
    const weight = options.tenantWeight ?? (() => 1);
    this.online = new FairShareQueue(options.less, weight);
    this.offline = new FairShareQueue(options.less, weight);
    this.armLeftoverTimer();
  }

  /** A new pending pod. A pod already queued or in flight is updated instead. */
  add(pod: SchedPod): void {
    if (this.closed) return;
    if (this.has(pod.key)) {
      this.update(pod);
      return;
    }
    const now = this.clock.now();
    const qp: QueuedPod = {
      pod,
      tenant: this.tenantOf(pod),
      initialQueuedAt: now,
      seq: ++this.arrivals,
      queuedAt: now,
      attempts: 0,
      unschedulablePlugins: new Set(),
      backoffUntil: 0,
    };
    this.pushActive(qp);
  }

  /**
   * The pod changed while waiting. Its figures are replaced; a pod parked as unschedulable is
   * given another try (the change may be what it needed).
   */
  update(pod: SchedPod): void {
    if (this.closed) return;
    const a = this.active.get(pod.key);
    if (a) {
      this.removeEntry(a);
      this.pushActive({ ...a.qp, pod, tenant: this.tenantOf(pod) });
      return;
    }
    const b = this.backingOff.get(pod.key);
    if (b) {
      b.qp.pod = pod;
      return;
    }
    const u = this.unschedulable.get(pod.key);
    if (u) {
      this.unschedulable.delete(pod.key);
      u.qp.pod = pod;
      u.qp.tenant = this.tenantOf(pod);
      this.requeue(u.qp, this.clock.now());
      return;
    }
    const f = this.inFlight.get(pod.key);
    if (f) f.updated = pod;
    else this.add(pod);
  }

  /** The pod is gone or no longer ours (deleted, bound by someone else). */
  delete(key: string): void {
    const a = this.active.get(key);
    if (a) this.removeEntry(a);
    const b = this.backingOff.get(key);
    if (b) {
      b.live = false;
      this.backingOff.delete(key);
    }
    this.unschedulable.delete(key);
    const f = this.inFlight.get(key);
    if (f) f.deleted = true;
  }

  has(key: string): boolean {
    return this.active.has(key) || this.backingOff.has(key) || this.unschedulable.has(key) || this.inFlight.has(key);
  }

  /** Next pod, or undefined when none is active. The pod is in flight until done()/failed(). */
  tryPop(): QueuedPod | undefined {
    if (this.closed) return undefined;
    const now = this.clock.now();
    let entry: QueueEntry | undefined;
    for (let e = this.aging.peek(); e; e = this.aging.peek()) {
      if (!e.live) {
        this.aging.pop();
        continue;
      }
      if (now - e.qp.initialQueuedAt >= this.offlineMaxWaitMs) {
        this.aging.pop();
        entry = e;
        this.offline.remove(e);
      }
      break;
    }
    entry ??= this.online.pop() ?? this.offline.pop();
    if (!entry) return undefined;
    entry.live = false;
    const qp = entry.qp;
    this.active.delete(qp.pod.key);
    qp.attempts++;
    this.inFlight.set(qp.pod.key, { cycle: ++this.cycle, deleted: false, updated: undefined });
    return qp;
  }

  /** Waits for a pod; undefined once the queue is closed or `signal` aborts. */
  async pop(signal?: AbortSignal): Promise<QueuedPod | undefined> {
    for (;;) {
      const qp = this.tryPop();
      if (qp || this.closed || signal?.aborted) return qp;
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** Scheduled (or given up on): the pod leaves the queue for good. */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * The attempt found no place. The pod waits for an event that concerns `rejectedBy` (or, if
   * an event arrived during its attempt, goes straight to backoff).
   */
  unschedulableAgain(qp: QueuedPod, rejectedBy: Iterable<string>): void {
    const f = this.returning(qp);
    if (!f) return;
    qp.unschedulablePlugins = new Set(rejectedBy);
    const now = this.clock.now();
    qp.backoffUntil = now + this.backoffFor(qp.attempts);
    if (f.updated || this.moveRequestCycle >= f.cycle) this.pushBackoff(qp);
    else this.unschedulable.set(qp.pod.key, { qp, since: now });
  }

  /** The attempt failed for a reason that is not the cluster's state (an error): retry after backoff. */
  retryLater(qp: QueuedPod): void {
    if (!this.returning(qp)) return;
    qp.unschedulablePlugins = new Set();
    qp.backoffUntil = this.clock.now() + this.backoffFor(qp.attempts);
    this.pushBackoff(qp);
  }

  /**
   * Parks a pod that cannot be scheduled as written (malformed): it leaves the pool only when
   * it is updated (update()) or after maxUnschedulableMs.
   */
  park(qp: QueuedPod): void {
    const f = this.returning(qp);
    if (!f) return;
    // No plugin rejected it, so no cluster event names it: only its own update moves it.
    qp.unschedulablePlugins = new Set([PARKED]);
    const now = this.clock.now();
    qp.backoffUntil = now + this.backoffFor(qp.attempts);
    if (f.updated) this.pushBackoff(qp);
    else this.unschedulable.set(qp.pod.key, { qp, since: now });
  }

  /** A cluster event: unschedulable pods rejected by a plugin it concerns go to backoff or active. */
  onEvent(event: ClusterEvent): void {
    if (this.closed) return;
    this.moveRequestCycle = this.cycle;
    const plugins = this.pluginsFor?.(event);
    const now = this.clock.now();
    for (const [key, u] of this.unschedulable) {
      if (u.qp.unschedulablePlugins.has(PARKED)) continue;
      if (plugins && !intersects(u.qp.unschedulablePlugins, plugins)) continue;
      this.unschedulable.delete(key);
      this.requeue(u.qp, now);
    }
  }

  depth(): QueueDepth {
    const d: QueueDepth = {
      active: { online: this.online.size, offline: this.offline.size },
      backoff: { online: 0, offline: 0 },
      unschedulable: { online: 0, offline: 0 },
    };
    for (const e of this.backingOff.values()) d.backoff[classOf(e.qp.pod)]++;
    for (const u of this.unschedulable.values()) d.unschedulable[classOf(u.qp.pod)]++;
    return d;
  }

  /** Waiting pods per tenant in the active queue, by class. */
  tenants(): Record<QueueClass, Map<string, number>> {
    return { online: this.online.tenants(), offline: this.offline.tenants() };
  }

  /** Stops timers and wakes every pop() with undefined. */
  close(): void {
    this.closed = true;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    if (this.leftoverTimer !== undefined) this.clock.clearTimeout(this.leftoverTimer);
    this.backoffTimer = undefined;
    this.leftoverTimer = undefined;
    this.wake();
  }

  /** Ends the pod's flight; undefined when it must not come back (deleted, closed, not in flight). */
  private returning(qp: QueuedPod): InFlight | undefined {
    const f = this.inFlight.get(qp.pod.key);
    this.inFlight.delete(qp.pod.key);
    if (!f || f.deleted || this.closed) return undefined;
    if (f.updated) qp.pod = f.updated;
    return f;
  }

  private backoffFor(attempts: number): number {
    return Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** Math.max(0, attempts - 1));
  }

  private requeue(qp: QueuedPod, now: number): void {
    if (qp.backoffUntil > now) this.pushBackoff(qp);
    else this.pushActive(qp);
  }

  private pushActive(qp: QueuedPod): void {
    qp.queuedAt = this.clock.now();
    const entry: QueueEntry = { qp, live: true };
    this.active.set(qp.pod.key, entry);
    if (classOf(qp.pod) === 'offline') {
      this.offline.push(entry);
      this.aging.push(entry);
    } else {
      this.online.push(entry);
    }
    this.wake();
  }

  private removeEntry(entry: QueueEntry): void {
    this.active.delete(entry.qp.pod.key);
    (classOf(entry.qp.pod) === 'offline' ? this.offline : this.online).remove(entry);
  }

  private pushBackoff(qp: QueuedPod): void {
    const entry: QueueEntry = { qp, live: true };
    this.backingOff.set(qp.pod.key, entry);
    this.backoff.push(entry);
    this.armBackoffTimer();
  }

  /** Moves pods whose backoff has expired to the active queue. */
  private flushBackoff(): void {
    const now = this.clock.now();
    for (let e = this.backoff.peek(); e; e = this.backoff.peek()) {
      if (e.live && e.qp.backoffUntil > now) break;
      this.backoff.pop();
      if (!e.live) continue;
      e.live = false;
      this.backingOff.delete(e.qp.pod.key);
      this.pushActive(e.qp);
    }
    this.armBackoffTimer();
  }

  private armBackoffTimer(): void {
    if (this.closed) return;
    let head = this.backoff.peek();
    while (head && !head.live) {
      this.backoff.pop();
      head = this.backoff.peek();
    }
    if (!head) return;
    const at = head.qp.backoffUntil;
    if (this.backoffTimer && this.backoffTimer.at <= at) return;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    const handle = this.clock.setTimeout(() => {
      this.backoffTimer = undefined;
      this.flushBackoff();
    }, Math.max(0, at - this.clock.now()));
    this.backoffTimer = { handle, at };
  }

  /** Pods parked too long get another try, in case an event was missed or none applies. */
  private armLeftoverTimer(): void {
    const period = Math.max(1_000, Math.min(30_000, this.maxUnschedulableMs / 2));
    this.leftoverTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      const now = this.clock.now();
      for (const [key, u] of this.unschedulable) {
        if (now - u.since < this.maxUnschedulableMs) continue;
        this.unschedulable.delete(key);
        this.requeue(u.qp, now);
      }
      this.armLeftoverTimer();
    }, period);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}
