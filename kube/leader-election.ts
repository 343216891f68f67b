/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm and defaults.
 *
 * Safety rests on three things:
 * - optimistic concurrency: every write carries the resourceVersion that was read, so of two
 *   candidates writing at once the API server accepts one and answers 409 to the other;
 * - expiry judged by the local clock: a follower treats the lease as live until leaseDuration
 *   after it *saw* the lease last change, never by the renewTime written in it, so clock skew
 *   between machines cannot shorten a lease;
 * - renewDeadline < leaseDuration: a leader that has not managed to renew for renewDeadline
 *   gives up (aborting the signal its work runs under) before any follower may consider the
 *   lease expired; the gap is the margin for clocks that run at different rates.
 */
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { sleep, statusCodeOf, systemClock, type Clock, type TimerHandle } from './backoff.js';
import type { Logger } from './logger.js';

export type Lease = V1Lease;

/**
 * The Lease calls the elector needs. get resolves undefined when the Lease does not exist.
 * create (already exists) and replace (stale resourceVersion) must reject with an error whose
 * code/status is 409, like client-node's ApiException or LeaseConflictError.
 */
export interface LeaseClient {
  get(namespace: string, name: string, signal?: AbortSignal): Promise<Lease | undefined>;
  create(namespace: string, lease: Lease, signal?: AbortSignal): Promise<Lease>;
  replace(namespace: string, name: string, lease: Lease, signal?: AbortSignal): Promise<Lease>;
}

/** A 409 from a Lease write: someone else wrote first. */
export class LeaseConflictError extends Error {
  override readonly name = 'LeaseConflictError';
  readonly code = 409;
}

/** True for a 409 Conflict / AlreadyExists, however the client shaped the error. */
export function isConflict(err: unknown): boolean {
  return statusCodeOf(err) === 409;
}

export interface LeaderCallbacks {
  /** Called on becoming leader. Do the leader's work under `signal`: it aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once leadership has ended (lost, or released on stop). */
  onStoppedLeading?(): void;
  /** Called when the observed leader changes, including to ourselves. */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionOptions {
  client: LeaseClient;
  namespace: string;
  name: string;
  /** Unique per process (e.g. pod name + random suffix): a restarted process with the same identity would resume the old lease at once. */
  identity: string;
  callbacks: LeaderCallbacks;
  /** How long followers wait, after seeing the last change, before taking over. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failed renew before giving up. Default 10 s. */
  renewDeadlineMs?: number;
  /** Time between tries to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
  /** On stop, write the lease as free so a follower takes over at once. Default true. */
  releaseOnCancel?: boolean;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

/** Why run() returned. */
export type LeaderElectionEnd = 'aborted' | 'lost';

/** client-go's jitter on the acquire retry period: sleeps are retryPeriod × [1, 2.2). */
const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly client: LeaseClient;
  private readonly namespace: string;
  private readonly name: string;
  readonly identity: string;
  private readonly callbacks: LeaderCallbacks;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly releaseOnCancel: boolean;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger | undefined;

  private observed: Lease | undefined;
  private observedKey: string | undefined;
  private observedAt = 0;
  private lastRenewAt = 0;
  private reportedLeader: string | undefined;
  private leading = false;
  private running = false;

  constructor(options: LeaderElectionOptions) {
    this.client = options.client;
    this.namespace = options.namespace;
    this.name = options.name;
    this.identity = options.identity;
    this.callbacks = options.callbacks;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.releaseOnCancel = options.releaseOnCancel ?? true;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger;

    const where = `leader election on lease ${this.namespace}/${this.name}`;
    if (!this.identity) throw new Error(`${where}: identity must not be empty`);
    if (!this.namespace || !this.name) throw new Error(`${where}: namespace and name are required`);
    for (const [k, v] of [
      ['leaseDurationMs', this.leaseDurationMs],
      ['renewDeadlineMs', this.renewDeadlineMs],
      ['retryPeriodMs', this.retryPeriodMs],
    ] as const) {
      if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${where}: ${k} must be a positive number, got ${v}`);
    }
    if (this.leaseDurationMs <= this.renewDeadlineMs) {
      throw new RangeError(`${where}: leaseDurationMs (${this.leaseDurationMs}) must be greater than renewDeadlineMs (${this.renewDeadlineMs})`);
    }
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) {
      throw new RangeError(
        `${where}: renewDeadlineMs (${this.renewDeadlineMs}) must be greater than ${JITTER_FACTOR} × retryPeriodMs (${this.retryPeriodMs})`,
      );
    }
  }

  /** True while this candidate holds the lease and its work runs. */
  isLeader(): boolean {
    return this.leading;
  }

  /** The holder of the lease as last observed, if any. */
  get leader(): string | undefined {
    return this.observed?.spec?.holderIdentity || undefined;
  }

  /**
   * Campaigns until elected, leads until `signal` aborts or a renew fails past renewDeadline,
   * then returns why. After 'lost' the process should usually exit (as client-go users do) or
   * call run() again; after 'aborted' the lease has been released if releaseOnCancel.
   */
  async run(signal: AbortSignal): Promise<LeaderElectionEnd> {
    if (this.running) throw new Error(`leader election on lease ${this.namespace}/${this.name}: run() is already running`);
    this.running = true;
    try {
      if (!(await this.acquire(signal))) return 'aborted';
      return await this.lead(signal);
    } finally {
      this.running = false;
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) return true;
      const wait = this.retryPeriodMs * (1 + this.random() * JITTER_FACTOR);
      if (!(await this.pause(wait, signal))) return false;
    }
    return false;
  }

  private async lead(signal: AbortSignal): Promise<LeaderElectionEnd> {
    this.leading = true;
    this.logger?.info({ lease: `${this.namespace}/${this.name}`, identity: this.identity }, 'became leader');
    const work = new AbortController();
    const stopWork = () => work.abort(signal.reason);
    signal.addEventListener('abort', stopWork, { once: true });
    const running = Promise.resolve()
      .then(() => this.callbacks.onStartedLeading(work.signal))
      .catch((err: unknown) => this.logger?.warn({ err }, 'onStartedLeading failed'));

    let end: LeaderElectionEnd = 'aborted';
    while (await this.pause(this.retryPeriodMs, signal)) {
      if (!(await this.renew(signal))) {
        end = 'lost';
        break;
      }
    }
    signal.removeEventListener('abort', stopWork);
    this.leading = false;
    work.abort(end === 'lost' ? new Error(`lost the lease ${this.namespace}/${this.name}`) : signal.reason);
    // Let the leader's work wind down before the lease is offered to someone else, so two
    // leaders' writes do not overlap; bounded, since the work may ignore its signal.
    await this.settle(running, this.renewDeadlineMs);
    if (end === 'aborted' && this.releaseOnCancel) await this.release();
    this.logger?.info({ lease: `${this.namespace}/${this.name}`, identity: this.identity, end }, 'stopped leading');
    try {
      this.callbacks.onStoppedLeading?.();
    } catch (err) {
      this.logger?.warn({ err }, 'onStoppedLeading failed');
    }
    return end;
  }

  /**
   * Renews, retrying every retryPeriod; false once renewDeadline has passed since the last
   * successful renew. Measuring from the last success (not from the start of this round) keeps
   * the leader's give-up time at most renewDeadline after the renewTime followers saw.
   */
  private async renew(signal: AbortSignal): Promise<boolean> {
    const deadline = this.lastRenewAt + this.renewDeadlineMs;
    for (;;) {
      const left = deadline - this.clock.now();
      if (left <= 0) return false;
      if (await this.tryAcquireOrRenew(left)) return true;
      const rest = deadline - this.clock.now();
      if (rest <= 0) return false;
      if (!(await this.pause(Math.min(this.retryPeriodMs, rest), signal))) return true;
    }
  }

  /** client-go's tryAcquireOrRenew: true when we hold the lease after this call. */
  private async tryAcquireOrRenew(timeoutMs = this.renewDeadlineMs): Promise<boolean> {
    const now = this.clock.now();
    let current: Lease | undefined;
    try {
      current = await this.bounded((s) => this.client.get(this.namespace, this.name, s), timeoutMs);
    } catch (err) {
      this.logger?.warn({ err, lease: `${this.namespace}/${this.name}` }, 'could not read the lease');
      return false;
    }

    if (!current) {
      const lease: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.namespace },
        spec: this.record(now, undefined),
      };
      return this.write(() => this.bounded((s) => this.client.create(this.namespace, lease, s), timeoutMs), now);
    }

    this.observe(current, now);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== this.identity && this.observedAt + durationMs > now) return false;

    const next: Lease = { ...current, spec: this.record(now, spec) };
    return this.write(
      () => this.bounded((s) => this.client.replace(this.namespace, this.name, next, s), timeoutMs),
      now,
    );
  }

  /**
   * The record we write: renewTime now; acquireTime and transitions kept when renewing our own
   * lease; a takeover stamps a new acquireTime and counts one more transition.
   */
  private record(now: number, previous: Lease['spec'] | undefined): NonNullable<Lease['spec']> {
    const renewing = previous?.holderIdentity === this.identity;
    const transitions = previous?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: renewing && previous?.acquireTime ? previous.acquireTime : new V1MicroTime(now),
      renewTime: new V1MicroTime(now),
      leaseTransitions: previous === undefined ? 0 : renewing ? transitions : transitions + 1,
    };
  }

  private async write(op: () => Promise<Lease>, now: number): Promise<boolean> {
    try {
      this.observe(await op(), now);
      this.lastRenewAt = now;
      return true;
    } catch (err) {
      if (!isConflict(err)) this.logger?.warn({ err, lease: `${this.namespace}/${this.name}` }, 'could not write the lease');
      return false;
    }
  }

  /** Gives the lease up so a follower can take it at once, as client-go's ReleaseOnCancel does. */
  private async release(): Promise<void> {
    const current = this.observed;
    if (!current || current.spec?.holderIdentity !== this.identity) return;
    const now = this.clock.now();
    const released: Lease = {
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: new V1MicroTime(now),
        renewTime: new V1MicroTime(now),
      },
    };
    try {
      this.observe(
        await this.bounded((s) => this.client.replace(this.namespace, this.name, released, s), this.renewDeadlineMs),
        now,
      );
    } catch (err) {
      // A conflict means someone else already wrote: nothing of ours left to release.
      if (!isConflict(err)) this.logger?.warn({ err, lease: `${this.namespace}/${this.name}` }, 'could not release the lease');
    }
  }

  /** Tracks when the lease last changed (by our clock) and reports a new leader. */
  private observe(lease: Lease, now: number): void {
    const spec = lease.spec ?? {};
    const key =
      lease.metadata?.resourceVersion ??
      JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime, spec.leaseTransitions, spec.leaseDurationSeconds]);
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = now;
    }
    this.observed = lease;
    const holder = spec.holderIdentity ?? '';
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try {
        this.callbacks.onNewLeader?.(holder);
      } catch (err) {
        this.logger?.warn({ err }, 'onNewLeader failed');
      }
    }
  }

  /** Sleeps; false when `signal` aborted first. */
  private async pause(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await sleep(ms, signal, this.clock);
      return true;
    } catch {
      return false;
    }
  }

  /** Runs one API call with a deadline, aborting it (and not waiting for it) when time is up. */
  private async bounded<T>(call: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
    const ac = new AbortController();
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => {
        const err = new Error(`lease ${this.namespace}/${this.name}: request timed out after ${Math.round(timeoutMs)} ms`);
        ac.abort(err);
        reject(err);
      }, timeoutMs);
    });
    try {
      return await Promise.race([call(ac.signal), timeout]);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private async settle(p: Promise<unknown>, ms: number): Promise<void> {
    let timer: TimerHandle | undefined;
    await Promise.race([p, new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, ms)))]);
    this.clock.clearTimeout(timer);
  }
}
