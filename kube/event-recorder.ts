/**
 * Kubernetes Event recorder (core/v1 Events, the ones `kubectl describe` shows).
 *
 * Events are a side channel: they must never fail or slow the work they describe, and a
 * controller stuck in a retry loop must not flood etcd with them. So, as client-go does:
 * - an identical event (same object, type, reason, message, source) seen again within a window
 *   becomes a PATCH of the first one's count and lastTimestamp, not a new object;
 * - each object has a token bucket (default burst 25, one more every 5 minutes); events past it
 *   are dropped and counted;
 * - writes happen in the background, one at a time, from a bounded queue; record() returns at
 *   once and never throws; failures are logged and counted.
 */
import type { CoreV1Event, V1ObjectReference } from '@kubernetes/client-node';
import { Counter, type Registry } from 'prom-client';
import { retry, statusCodeOf, systemClock, type Clock } from './backoff.js';
import type { Logger } from './logger.js';

export type EventObj = CoreV1Event;
export type EventType = 'Normal' | 'Warning';

/** The fields a repeat of an event changes. */
export interface EventPatch {
  count: number;
  lastTimestamp: Date;
}

/**
 * Where events are written. An adapter over CoreV1Api: create = createNamespacedEvent,
 * patch = patchNamespacedEvent with a strategic-merge or merge patch of `patch`. A patch of an
 * event that no longer exists must reject with an error whose code/status is 404.
 */
export interface EventSink {
  create(namespace: string, event: EventObj): Promise<EventObj>;
  patch(namespace: string, name: string, patch: EventPatch): Promise<EventObj>;
}

/** A Kubernetes object (with apiVersion and kind; list items from the API lack them) or a reference to one. */
export type EventSubject =
  | V1ObjectReference
  | {
      readonly apiVersion?: string;
      readonly kind?: string;
      readonly metadata?: {
        readonly name?: string;
        readonly namespace?: string;
        readonly uid?: string;
        readonly resourceVersion?: string;
      };
    };

export interface EventRecorderOptions {
  sink: EventSink;
  /** source.component / reportingComponent, e.g. "tidepool-scheduler". */
  component: string;
  /** source.host / reportingInstance, e.g. the pod or node name. */
  host?: string;
  clock?: Clock;
  /** A repeat within this long after the last occurrence patches the existing event. Default 10 min. */
  aggregateWindowMs?: number;
  /** Per-object token bucket size. Default 25. */
  burst?: number;
  /** One more token per object every this long. Default 5 min. */
  refillIntervalMs?: number;
  /** Objects and distinct events remembered (least recently used go first). Default 4096. */
  cacheSize?: number;
  /** Events waiting to be written before new ones are dropped. Default 1000. */
  maxPending?: number;
  /** Tries per write (retrying 429, 5xx and connection errors). Default 3. */
  maxAttempts?: number;
  /** First retry delay. Default 1 s. */
  retryInitialMs?: number;
  logger?: Logger;
  /** Registry for tidepool_events_total; never the global default one. */
  registry?: Registry;
}

export type EventOutcome = 'created' | 'patched' | 'dropped_spam' | 'dropped_queue_full' | 'invalid' | 'failed';

/** Longer messages are cut: events.k8s.io caps notes at 1 kB, and a stack trace is no event. */
const MAX_MESSAGE_LENGTH = 1024;
/** Event names are DNS subdomains (253), leaving room for ".<16 hex digits>". */
const MAX_NAME_PREFIX = 253 - 17;

interface Pending {
  readonly ref: V1ObjectReference & { name: string; kind: string };
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
  readonly at: number;
  readonly key: string;
}

interface Seen {
  readonly namespace: string;
  readonly name: string;
  count: number;
  last: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

export class EventRecorder {
  private readonly sink: EventSink;
  private readonly component: string;
  private readonly host: string | undefined;
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly cacheSize: number;
  private readonly maxPending: number;
  private readonly maxAttempts: number;
  private readonly retryInitialMs: number;
  private readonly logger: Logger | undefined;
  private readonly counter: Counter<'outcome'> | undefined;
  private readonly seen = new Map<string, Seen>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly pending: Pending[] = [];
  private pendingHead = 0;
  private writing: Promise<void> | undefined;
  private closed = false;
  private nameSeq = 0;
  private readonly counts: Record<EventOutcome, number> = {
    created: 0,
    patched: 0,
    dropped_spam: 0,
    dropped_queue_full: 0,
    invalid: 0,
    failed: 0,
  };

  constructor(options: EventRecorderOptions) {
    if (!options.component) throw new Error('event recorder needs a component name (source.component)');
    this.sink = options.sink;
    this.component = options.component;
    this.host = options.host;
    this.clock = options.clock ?? systemClock;
    this.windowMs = options.aggregateWindowMs ?? 10 * 60_000;
    this.burst = options.burst ?? 25;
    this.refillMs = options.refillIntervalMs ?? 5 * 60_000;
    this.cacheSize = options.cacheSize ?? 4096;
    this.maxPending = options.maxPending ?? 1000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retryInitialMs = options.retryInitialMs ?? 1000;
    this.logger = options.logger;
    this.counter = options.registry
      ? ((options.registry.getSingleMetric('tidepool_events_total') as Counter<'outcome'> | undefined) ??
        new Counter({
          name: 'tidepool_events_total',
          help: 'Kubernetes Events recorded, by outcome (created, patched as a repeat, dropped, failed).',
          labelNames: ['outcome'],
          registers: [options.registry],
        }))
      : undefined;
  }

  /** Records an event about `subject`. Returns at once; never throws. */
  record(subject: EventSubject, type: EventType, reason: string, message: string): void {
    try {
      if (this.closed) return;
      const ref = toReference(subject);
      if (!ref || (type !== 'Normal' && type !== 'Warning') || !reason) {
        this.count('invalid');
        this.logger?.warn(
          { kind: ref?.kind, name: ref?.name, type, reason },
          'event dropped: need an object with kind and metadata.name, type Normal or Warning, and a reason',
        );
        return;
      }
      // A full queue drops first, as client-go's broadcaster does: an event that will not be
      // written spends no token and no work (in a burst most of them land here).
      if (this.pending.length - this.pendingHead >= this.maxPending) {
        this.count('dropped_queue_full');
        return;
      }
      const at = this.clock.now();
      if (!this.takeToken(objectKey(ref, this.component, this.host), at)) {
        this.count('dropped_spam');
        return;
      }
      const text = message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : message;
      const key = JSON.stringify([...objectKeyParts(ref), type, reason, text, this.component, this.host ?? '']);
      this.pending.push({ ref, type, reason, message: text, at, key });
      this.writing ??= this.writeAll();
    } catch (err) {
      this.count('invalid');
      this.logger?.warn({ err }, 'event dropped: could not be recorded');
    }
  }

  /** Resolves once every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Stops taking events and waits for those already taken. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Counts per outcome since the recorder was made. */
  get stats(): Readonly<Record<EventOutcome, number>> {
    return { ...this.counts };
  }

  private async writeAll(): Promise<void> {
    try {
      while (this.pendingHead < this.pending.length) {
        const next = this.pending[this.pendingHead]!;
        this.pending[this.pendingHead++] = undefined as unknown as Pending; // let it be collected
        if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
          this.pending.splice(0, this.pendingHead);
          this.pendingHead = 0;
        }
        await this.write(next);
      }
      this.pending.length = 0;
      this.pendingHead = 0;
    } finally {
      this.writing = undefined;
    }
  }

  private async write(e: Pending): Promise<void> {
    const namespace = e.ref.namespace || 'default';
    const seen = this.seen.get(e.key);
    try {
      if (seen && e.at - seen.last <= this.windowMs) {
        const patched = await this.withRetry(() =>
          this.sink.patch(seen.namespace, seen.name, { count: seen.count + 1, lastTimestamp: new Date(e.at) }),
        ).then(
          () => true,
          (err: unknown) => {
            if (statusCodeOf(err) === 404) return false; // expired by the API server's TTL: start anew
            throw err;
          },
        );
        if (patched) {
          seen.count++;
          seen.last = e.at;
          this.remember(this.seen, e.key, seen);
          this.count('patched');
          return;
        }
      }
      const name = this.eventName(e.ref.name, e.at);
      await this.withRetry(() => this.sink.create(namespace, this.buildEvent(e, namespace, name)));
      this.remember(this.seen, e.key, { namespace, name, count: 1, last: e.at });
      this.count('created');
    } catch (err) {
      this.count('failed');
      this.logger?.warn(
        { err, namespace, object: `${e.ref.kind}/${e.ref.name}`, reason: e.reason },
        'could not write Kubernetes event',
      );
    }
  }

  private withRetry<T>(fn: () => Promise<T>): Promise<T> {
    return retry(fn, { maxAttempts: this.maxAttempts, initialMs: this.retryInitialMs, clock: this.clock });
  }

  private buildEvent(e: Pending, namespace: string, name: string): EventObj {
    const when = new Date(e.at);
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: e.ref,
      type: e.type,
      reason: e.reason,
      message: e.message,
      source: { component: this.component, ...(this.host !== undefined && { host: this.host }) },
      reportingComponent: this.component,
      reportingInstance: this.host ?? this.component,
      firstTimestamp: when,
      lastTimestamp: when,
      count: 1,
    };
  }

  /** `<object name>.<hex nanoseconds>` like kube's recorder; the sequence keeps same-ms events apart. */
  private eventName(objectName: string, at: number): string {
    const nanos = BigInt(at) * 1_000_000n + BigInt(this.nameSeq++ % 1_000_000);
    return `${objectName.slice(0, MAX_NAME_PREFIX)}.${nanos.toString(16)}`;
  }

  /** Per-object token bucket: burst tokens, one more per refill interval. */
  private takeToken(objectId: string, now: number): boolean {
    const bucket = this.buckets.get(objectId) ?? { tokens: this.burst, last: now };
    const refill = Math.max(0, now - bucket.last) / this.refillMs;
    bucket.tokens = Math.min(this.burst, bucket.tokens + refill);
    bucket.last = now;
    const ok = bucket.tokens >= 1;
    if (ok) bucket.tokens -= 1;
    this.remember(this.buckets, objectId, bucket);
    return ok;
  }

  /** LRU insert: a Map iterates in insertion order, so re-inserting marks as most recent. */
  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.cacheSize) map.delete(map.keys().next().value!);
  }

  private count(outcome: EventOutcome): void {
    this.counts[outcome]++;
    this.counter?.inc({ outcome });
  }
}

function toReference(subject: EventSubject): (V1ObjectReference & { name: string; kind: string }) | undefined {
  if (!subject || typeof subject !== 'object') return undefined;
  const src: V1ObjectReference =
    'metadata' in subject && subject.metadata
      ? {
          apiVersion: subject.apiVersion,
          kind: subject.kind,
          name: subject.metadata.name,
          namespace: subject.metadata.namespace,
          uid: subject.metadata.uid,
          resourceVersion: subject.metadata.resourceVersion,
        }
      : (subject as V1ObjectReference);
  if (!src.kind || !src.name) return undefined;
  const ref: V1ObjectReference & { name: string; kind: string } = { kind: src.kind, name: src.name };
  for (const field of ['apiVersion', 'namespace', 'uid', 'resourceVersion', 'fieldPath'] as const) {
    const v = src[field];
    if (v) ref[field] = v;
  }
  return ref;
}

function objectKeyParts(ref: V1ObjectReference): string[] {
  return [ref.apiVersion ?? '', ref.kind ?? '', ref.namespace ?? '', ref.name ?? '', ref.uid ?? '', ref.fieldPath ?? ''];
}

function objectKey(ref: V1ObjectReference, component: string, host: string | undefined): string {
  return JSON.stringify([component, host ?? '', ...objectKeyParts(ref)]);
}
