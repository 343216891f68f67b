/**
 * A controller work queue in the spirit of client-go's, on string keys, with priority lanes.
 *
 * Guarantees:
 * - a key waits at most once (adding it again while it waits is a no-op, or a promotion);
 * - a key is never handed to two workers at once: added while being processed, it waits until
 *   `done(key)` and is handed out again then;
 * - workers always take from the highest non-empty lane, 'add' > 'update' > 'delete' > 'resync',
 *   so a resync burst of 100k keys delays a live add by at most the items already in hand;
 * - a key waiting in a lower lane moves up when added at a higher one (never down);
 * - enqueue and dequeue are O(1) per lane (ring buffers; no Array#shift on big arrays).
 *
 * Handlers only enqueue keys; workers reconcile the key from the cache. Because reconcile is
 * idempotent, collapsing many events for one key into one pass loses nothing.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { systemClock, type Clock, type TimerHandle } from './backoff.js';

export const LANES = ['add', 'update', 'delete', 'resync'] as const;
export type Lane = (typeof LANES)[number];

export interface WorkItem {
  readonly key: string;
  readonly lane: Lane;
}

export interface WorkQueueOptions {
  /** Names the queue in metrics. Default "default". */
  name?: string;
  /** First delay of addRateLimited. Default 5 ms (client-go's). */
  baseDelayMs?: number;
  /** Largest delay of addRateLimited. Default 1000 s (client-go's). */
  maxDelayMs?: number;
  clock?: Clock;
  /**
   * Registry for tidepool_workqueue_* metrics. Library code never registers on prom-client's
   * global registry: the component that owns /metrics decides what is exported.
   */
  registry?: Registry;
}

/** What a runWorkers handler may ask for after a successful pass. */
export interface HandlerResult {
  /** Look at the key again after this long (e.g. to poll something that has no watch). */
  requeueAfterMs?: number;
}

export type WorkHandler = (key: string, lane: Lane, signal: AbortSignal | undefined) => Promise<HandlerResult | void>;

export interface RunWorkersOptions {
  /** Called when a handler throws, before the key is re-queued with backoff. */
  onError?: (err: unknown, item: WorkItem, requeues: number) => void;
  /** Drop a key (forget it) after this many consecutive failures instead of retrying forever. */
  maxRetries?: number;
}

const PARKED = -1;

interface Dirty {
  lane: number;
  /** Sequence number of the live ring entry, or PARKED while the key is being processed. */
  seq: number;
}

interface RingEntry {
  readonly key: string;
  readonly seq: number;
}

interface Delayed {
  readonly at: number;
  readonly key: string;
  readonly seq: number;
}

export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly lanes = LANES.map(() => new Ring<RingEntry>());
  private readonly laneCounts = LANES.map(() => 0);
  private readonly dirty = new Map<string, Dirty>();
  private readonly processing = new Set<string>();
  private readonly getters = new Set<(item: WorkItem | undefined) => void>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new MinHeap<Delayed>((a, b) => a.at - b.at || a.seq - b.seq);
  private readonly delayedIndex = new Map<string, { at: number; lane: number; seq: number }>();
  private delayTimer: { handle: TimerHandle; at: number } | undefined;
  private seq = 0;
  private state: 'running' | 'draining' | 'stopped' = 'running';
  private drained: (() => void) | undefined;
  private readonly drainedPromise: Promise<void>;
  private readonly metrics: QueueMetrics | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.name = options.name ?? 'default';
    this.clock = options.clock ?? systemClock;
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 1_000_000;
    if (!(this.baseDelayMs > 0) || !(this.maxDelayMs >= this.baseDelayMs)) {
      throw new RangeError(
        `work queue ${this.name}: need 0 < baseDelayMs <= maxDelayMs, got ${this.baseDelayMs} and ${this.maxDelayMs}`,
      );
    }
    this.drainedPromise = new Promise((resolve) => (this.drained = resolve));
    this.metrics = options.registry ? metricsFor(options.registry) : undefined;
    this.metrics?.queues.add(this);
  }

  /**
   * Queues `key` for processing in `lane` (default 'update': ordinary work, claiming no special
   * priority). Ignored after shutdown.
   */
  add(key: string, lane: Lane = 'update'): void {
    if (this.state !== 'running') return;
    const li = laneIndex(lane);
    this.metrics?.adds.inc({ name: this.name, lane });
    const d = this.dirty.get(key);
    if (d) {
      if (li < d.lane) {
        if (d.seq === PARKED) {
          d.lane = li;
        } else {
          // Leave the old ring entry behind as stale (skipped on pop): O(1) instead of a search.
          this.laneCounts[d.lane]!--;
          this.enqueue(key, li);
        }
      }
      return;
    }
    if (this.processing.has(key)) {
      this.dirty.set(key, { lane: li, seq: PARKED });
      return;
    }
    this.enqueue(key, li);
    this.dispatch();
  }

  /** Queues `key` once `ms` have passed. A key already waiting to be added keeps its earliest time. */
  addAfter(key: string, ms: number, lane: Lane = 'update'): void {
    if (this.state !== 'running') return;
    if (!(ms > 0)) {
      this.add(key, lane);
      return;
    }
    const li = laneIndex(lane);
    const at = this.clock.now() + ms;
    const existing = this.delayedIndex.get(key);
    if (existing && existing.at <= at) {
      existing.lane = Math.min(existing.lane, li);
      return;
    }
    const seq = ++this.seq;
    this.delayedIndex.set(key, { at, lane: Math.min(existing?.lane ?? li, li), seq });
    this.delayed.push({ at, key, seq });
    this.armDelayTimer();
  }

  /**
   * Queues `key` after a per-key exponential delay (base × 2^failures, capped): the retry path
   * for a failed reconcile. `forget(key)` after a success resets the delay.
   */
  addRateLimited(key: string, lane: Lane = 'update'): void {
    if (this.state !== 'running') return;
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.metrics?.retries.inc({ name: this.name });
    this.addAfter(key, Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** failures), lane);
  }

  /** Clears the failure count of `key`: its next addRateLimited waits the base delay again. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many times `key` went through addRateLimited since it was last forgotten. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * The next key to process, from the highest non-empty lane; waits while there is none.
   * Resolves undefined once the queue is shut down (or drained) or `signal` aborts. The caller
   * owns the key until it calls done(key).
   */
  get(signal?: AbortSignal): Promise<WorkItem | undefined> {
    if (this.state === 'stopped' || signal?.aborted) return Promise.resolve(undefined);
    const item = this.pop();
    if (item) return Promise.resolve(item);
    if (this.state === 'draining') return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = () => {
        if (this.getters.delete(getter)) resolve(undefined);
      };
      const getter = (it: WorkItem | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(it);
      };
      this.getters.add(getter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Marks `key` processed; if it was added meanwhile, it is queued again now. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const d = this.dirty.get(key);
    if (d?.seq === PARKED) this.enqueue(key, d.lane);
    this.dispatch();
    this.checkDrained();
  }

  /** Keys waiting to be handed out, in all lanes or in one. */
  len(lane?: Lane): number {
    if (lane !== undefined) return this.laneCounts[laneIndex(lane)]!;
    return this.laneCounts.reduce((a, b) => a + b, 0);
  }

  /** Keys handed out and not yet done. */
  get inFlight(): number {
    return this.processing.size;
  }

  get shuttingDown(): boolean {
    return this.state !== 'running';
  }

  /**
   * Stops at once: adds are ignored, delayed keys and waiting keys are dropped, and every get()
   * resolves undefined. Keys in hand may still be marked done. Dropping waiting keys is safe
   * because reconciles are idempotent and a restarted controller resyncs everything.
   */
  shutDown(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.clearDelayed();
    for (const ring of this.lanes) ring.clear();
    this.laneCounts.fill(0);
    this.dirty.clear();
    this.releaseGetters();
    this.metrics?.queues.delete(this);
    this.drained?.();
  }

  /**
   * Stops taking new keys (adds and delayed keys are dropped), keeps handing out the keys
   * already waiting, and resolves once every key handed out is done; then behaves as shutDown.
   */
  shutDownWithDrain(): Promise<void> {
    if (this.state === 'running') {
      this.state = 'draining';
      this.clearDelayed();
      if (this.len() === 0) this.releaseGetters();
      this.checkDrained();
    }
    return this.drainedPromise;
  }

  /**
   * Runs `n` workers that take keys and call `handler`. Success forgets the key's failures (and
   * honours requeueAfterMs); a throw re-queues it with per-key backoff in the same lane. Resolves
   * when every worker has stopped: after `signal` aborts (each finishes its current key) or the
   * queue shuts down.
   */
  async runWorkers(n: number, handler: WorkHandler, signal?: AbortSignal, options: RunWorkersOptions = {}): Promise<void> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`work queue ${this.name}: need at least one worker, got ${n}`);
    // Each idle worker waits on the signal: n listeners are expected, not a leak.
    if (signal) setMaxListeners(Math.max(getMaxListeners(signal), n + 10), signal);
    const worker = async () => {
      for (;;) {
        const item = await this.get(signal);
        if (!item) return;
        const started = this.clock.now();
        try {
          const result = await handler(item.key, item.lane, signal);
          this.forget(item.key);
          if (result?.requeueAfterMs !== undefined) this.addAfter(item.key, result.requeueAfterMs, item.lane);
        } catch (err) {
          const requeues = this.numRequeues(item.key);
          try {
            options.onError?.(err, item, requeues);
          } catch {
            // An error reporter that throws must not kill the worker.
          }
          if (options.maxRetries !== undefined && requeues >= options.maxRetries) this.forget(item.key);
          else this.addRateLimited(item.key, item.lane);
        } finally {
          this.metrics?.workDuration.observe({ name: this.name }, (this.clock.now() - started) / 1000);
          this.done(item.key);
        }
      }
    };
    await Promise.all(Array.from({ length: n }, worker));
  }

  private enqueue(key: string, li: number): void {
    const seq = ++this.seq;
    this.lanes[li]!.push({ key, seq });
    this.laneCounts[li]!++;
    this.dirty.set(key, { lane: li, seq });
  }

  private pop(): WorkItem | undefined {
    for (let li = 0; li < this.lanes.length; li++) {
      const ring = this.lanes[li]!;
      for (let e = ring.shift(); e; e = ring.shift()) {
        const d = this.dirty.get(e.key);
        if (d?.seq !== e.seq) continue; // stale: promoted to a higher lane, or already handed out
        this.dirty.delete(e.key);
        this.laneCounts[li]!--;
        this.processing.add(e.key);
        return { key: e.key, lane: LANES[li]! };
      }
    }
    return undefined;
  }

  /** Hands waiting keys straight to waiting getters, oldest getter first. */
  private dispatch(): void {
    for (const getter of this.getters) {
      const item = this.pop();
      if (!item) return;
      this.getters.delete(getter);
      getter(item);
    }
  }

  private releaseGetters(): void {
    const getters = [...this.getters];
    this.getters.clear();
    for (const g of getters) g(undefined);
  }

  private checkDrained(): void {
    if (this.state === 'draining' && this.len() === 0 && this.processing.size === 0) this.shutDown();
  }

  private armDelayTimer(): void {
    const next = this.delayed.peek();
    if (this.delayTimer && (!next || this.delayTimer.at <= next.at)) return;
    if (this.delayTimer) this.clock.clearTimeout(this.delayTimer.handle);
    this.delayTimer = undefined;
    if (!next) return;
    const handle = this.clock.setTimeout(() => {
      this.delayTimer = undefined;
      this.fireDelayed();
    }, Math.max(0, next.at - this.clock.now()));
    this.delayTimer = { handle, at: next.at };
  }

  private fireDelayed(): void {
    const now = this.clock.now();
    for (let top = this.delayed.peek(); top && top.at <= now; top = this.delayed.peek()) {
      this.delayed.pop();
      const index = this.delayedIndex.get(top.key);
      if (index?.seq !== top.seq) continue; // superseded by an earlier time for the same key
      this.delayedIndex.delete(top.key);
      this.add(top.key, LANES[index.lane]!);
    }
    this.armDelayTimer();
  }

  private clearDelayed(): void {
    if (this.delayTimer) this.clock.clearTimeout(this.delayTimer.handle);
    this.delayTimer = undefined;
    this.delayed.clear();
    this.delayedIndex.clear();
  }
}

function laneIndex(lane: Lane): number {
  const i = LANES.indexOf(lane);
  if (i < 0) throw new RangeError(`unknown work queue lane ${JSON.stringify(lane)} (use ${LANES.join(', ')})`);
  return i;
}

/** FIFO on a power-of-two ring buffer: O(1) push and shift, shrinks after a burst drains. */
class Ring<T> {
  private buf: (T | undefined)[] = new Array<T | undefined>(16);
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(value: T): void {
    if (this.count === this.buf.length) this.resize(this.buf.length * 2);
    this.buf[(this.head + this.count) & (this.buf.length - 1)] = value;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const value = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.count--;
    // Give memory back once a burst has drained, with hysteresis so it does not thrash.
    if (this.buf.length > 1024 && this.count < this.buf.length / 8) this.resize(this.buf.length / 2);
    return value;
  }

  clear(): void {
    this.buf = new Array<T | undefined>(16);
    this.head = 0;
    this.count = 0;
  }

  private resize(capacity: number): void {
    const next = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.count; i++) next[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}

/** Binary min-heap for delayed keys: O(log n) per key however many are backing off. */
class MinHeap<T> {
  private items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (this.less(a[i]!, a[parent]!) >= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.items = [];
  }
}

interface QueueMetrics {
  readonly queues: Set<WorkQueue>;
  readonly adds: Counter<'name' | 'lane'>;
  readonly retries: Counter<'name'>;
  readonly workDuration: Histogram<'name'>;
}

/** One set of metric objects per registry, shared by every queue registered on it. */
const metricsByRegistry = new WeakMap<Registry, QueueMetrics>();

function metricsFor(registry: Registry): QueueMetrics {
  const existing = metricsByRegistry.get(registry);
  if (existing) return existing;
  const queues = new Set<WorkQueue>();
  new Gauge({
    name: 'tidepool_workqueue_depth',
    help: 'Keys waiting in a work queue, per priority lane.',
    labelNames: ['name', 'lane'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of queues) for (const lane of LANES) this.set({ name: q.name, lane }, q.len(lane));
    },
  });
  const metrics: QueueMetrics = {
    queues,
    adds: new Counter({
      name: 'tidepool_workqueue_adds_total',
      help: 'Keys added to a work queue, per priority lane (including adds of keys already waiting).',
      labelNames: ['name', 'lane'],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'tidepool_workqueue_retries_total',
      help: 'Keys re-queued with backoff after a failure.',
      labelNames: ['name'],
      registers: [registry],
    }),
    workDuration: new Histogram({
      name: 'tidepool_workqueue_work_duration_seconds',
      help: 'Time a worker spent on one key.',
      labelNames: ['name'],
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
      registers: [registry],
    }),
  };
  metricsByRegistry.set(registry, metrics);
  return metrics;
}
