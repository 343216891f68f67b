import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LeaderElector,
  LeaseConflictError,
  isConflict,
  type Lease,
  type LeaseClient,
  type LeaderElectionEnd,
} from '../../kube/leader-election.js';

const NS = 'tidepool-system';
const NAME = 'tidepool-scheduler';

/**
 * One Lease held the way the API server holds it: JSON on the wire (times become strings),
 * a resourceVersion bumped on every write, 409 on a stale resourceVersion or a second create.
 */
class MemoryLeaseStore {
  private stored: string | undefined;
  private rv = 0;
  /** Candidates whose calls fail as if the network were gone. */
  readonly partitioned = new Set<string>();
  /** Candidates whose calls never answer. */
  readonly hung = new Set<string>();

  read(): Lease | undefined {
    return this.stored === undefined ? undefined : (JSON.parse(this.stored) as Lease);
  }

  clientFor(who: string): LeaseClient {
    const gate = (signal?: AbortSignal): Promise<void> => {
      if (this.hung.has(who)) {
        return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
      }
      if (this.partitioned.has(who)) return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      return Promise.resolve();
    };
    return {
      get: async (ns, name, signal) => {
        await gate(signal);
        expect([ns, name]).toEqual([NS, NAME]);
        return this.read();
      },
      create: async (_ns, lease, signal) => {
        await gate(signal);
        if (this.stored !== undefined) throw Object.assign(new Error('leases "x" already exists'), { code: 409 });
        return this.store(lease);
      },
      replace: async (_ns, _name, lease, signal) => {
        await gate(signal);
        const current = this.read();
        if (!current) throw Object.assign(new Error('not found'), { code: 404 });
        if (lease.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
          throw new LeaseConflictError('the object has been modified; please apply your changes to the latest version');
        }
        return this.store(lease);
      },
    };
  }

  private store(lease: Lease): Lease {
    const copy = JSON.parse(JSON.stringify(lease)) as Lease;
    copy.metadata = { ...copy.metadata, resourceVersion: String(++this.rv) };
    this.stored = JSON.stringify(copy);
    return this.read()!;
  }
}

interface Candidate {
  id: string;
  elector: LeaderElector;
  stop: AbortController;
  result: Promise<LeaderElectionEnd>;
  newLeaders: string[];
  stoppedAt: number[];
}

describe('LeaderElector', () => {
  let store: MemoryLeaseStore;
  let t0: number;
  let leadingNow: Set<string>;
  let timeline: string[];
  let overlap: boolean;
  const t = () => Date.now() - t0;

  function start(id: string, extra: { releaseOnCancel?: boolean } = {}): Candidate {
    const stop = new AbortController();
    const c: Candidate = { id, stop, newLeaders: [], stoppedAt: [], elector: undefined!, result: undefined! };
    c.elector = new LeaderElector({
      client: store.clientFor(id),
      namespace: NS,
      name: NAME,
      identity: id,
      random: () => 0.5, // acquire retries every 2 s × 1.6 = 3.2 s
      ...extra,
      callbacks: {
        onStartedLeading: (signal) => {
          if (leadingNow.size > 0) overlap = true;
          leadingNow.add(id);
          timeline.push(`${t()} ${id} leads`);
          signal.addEventListener('abort', () => {
            leadingNow.delete(id);
            timeline.push(`${t()} ${id} stops`);
          });
        },
        onStoppedLeading: () => c.stoppedAt.push(t()),
        onNewLeader: (leader) => c.newLeaders.push(leader),
      },
    });
    c.result = c.elector.run(stop.signal);
    return c;
  }

  /** Advances fake time in small steps, checking that at most one candidate leads at every step. */
  async function advance(ms: number, candidates: Candidate[]): Promise<void> {
    for (let done = 0; done < ms; done += 100) {
      await vi.advanceTimersByTimeAsync(Math.min(100, ms - done));
      expect(candidates.filter((c) => c.elector.isLeader()).length).toBeLessThanOrEqual(1);
      expect(overlap).toBe(false);
    }
  }

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-03-01T00:00:00Z'));
    t0 = Date.now();
    store = new MemoryLeaseStore();
    leadingNow = new Set();
    timeline = [];
    overlap = false;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('of two candidates started together exactly one leads, and keeps leading while it renews', async () => {
    const a = start('a');
    const b = start('b');
    await advance(100, [a, b]);
    const leader = [a, b].find((c) => c.elector.isLeader())!;
    const follower = leader === a ? b : a;
    expect(leader).toBeDefined();
    // The loser's create met 409; it learns who won on its next try, 3.2 s later.
    await advance(3_200, [a, b]);
    expect(follower.elector.leader).toBe(leader.id);

    await advance(60_000, [a, b]);
    expect(leader.elector.isLeader()).toBe(true);
    expect(timeline).toEqual([`0 ${leader.id} leads`]);

    const lease = store.read()!;
    expect(lease).toMatchObject({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: NAME, namespace: NS },
      spec: { holderIdentity: leader.id, leaseDurationSeconds: 15, leaseTransitions: 0 },
    });
    // MicroTime on the wire, as the API server requires for Lease times.
    expect(lease.spec!.renewTime as unknown as string).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.parse(lease.spec!.renewTime as unknown as string)).toBeGreaterThanOrEqual(t0 + 58_000);
    expect(Date.parse(lease.spec!.acquireTime as unknown as string)).toBe(t0);
    expect(follower.newLeaders).toEqual([leader.id]);

    a.stop.abort();
    b.stop.abort();
    await advance(1000, [a, b]);
    await Promise.all([a.result, b.result]);
  });

  it('a follower takes over after the leader dies, and only after the leader has stepped down', async () => {
    const a = start('a');
    await advance(100, [a]);
    const b = start('b');
    await advance(10_400, [a, b]); // t = 10.5 s; a last renewed at 10 s
    expect(a.elector.isLeader()).toBe(true);

    store.partitioned.add('a'); // a's machine drops off the network
    await advance(9_400, [a, b]); // t = 19.9 s
    expect(a.elector.isLeader()).toBe(true);
    await advance(200, [a, b]); // t = 20.1 s: renewDeadline (10 s) after its last renew
    expect(a.elector.isLeader()).toBe(false);
    await expect(a.result).resolves.toBe('lost');
    expect(a.stoppedAt).toEqual([20_000]);

    // b tries at 0.1, 3.3, 6.5, ... s. It saw the lease change last at 12.9 s (a's renew of
    // 10 s), so it may take over 15 s later, at 27.9 s: in fact at its next try, 28.9 s.
    await advance(7_700, [a, b]); // t = 27.8 s
    expect(b.elector.isLeader()).toBe(false);
    await advance(2_000, [a, b]); // t = 29.8 s
    expect(b.elector.isLeader()).toBe(true);
    expect(timeline).toEqual(['0 a leads', '20000 a stops', '28900 b leads']);
    expect(store.read()!.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(Date.parse(store.read()!.spec!.acquireTime as unknown as string)).toBe(t0 + 28_900);
    expect(b.newLeaders).toEqual(['a', 'b']);

    b.stop.abort();
    await advance(100, [a, b]);
    await expect(b.result).resolves.toBe('aborted');
  });

  it('a leader whose renew calls hang gives up by the renew deadline', async () => {
    const a = start('a');
    await advance(2_100, [a]); // renewed at 2 s
    store.hung.add('a');
    await advance(9_800, [a]); // t = 11.9 s
    expect(a.elector.isLeader()).toBe(true);
    await advance(200, [a]); // t = 12.1 s
    expect(a.elector.isLeader()).toBe(false);
    await expect(a.result).resolves.toBe('lost');
    expect(timeline).toEqual(['0 a leads', '12000 a stops']);
  });

  it('a clean release lets the follower take over at once, not after the lease duration', async () => {
    const a = start('a');
    await advance(100, [a]);
    const b = start('b');
    await advance(5_000, [a, b]); // t = 5.1 s
    a.stop.abort();
    await advance(100, [a, b]);
    await expect(a.result).resolves.toBe('aborted');
    expect(a.stoppedAt).toEqual([5_100]);
    expect(store.read()!.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });

    await advance(1_300, [a, b]); // t = 6.5 s: b's next try (it tries at 0.1, 3.3, 6.5 s)
    expect(b.elector.isLeader()).toBe(true);
    expect(timeline).toEqual(['0 a leads', '5100 a stops', '6500 b leads']);
    expect(store.read()!.spec).toMatchObject({ holderIdentity: 'b', leaseDurationSeconds: 15, leaseTransitions: 1 });

    b.stop.abort();
    await advance(100, [a, b]);
  });

  it('without releaseOnCancel, stopping leaves the lease to expire', async () => {
    const a = start('a', { releaseOnCancel: false });
    await advance(100, [a]);
    a.stop.abort();
    await advance(100, [a]);
    await expect(a.result).resolves.toBe('aborted');
    expect(store.read()!.spec?.holderIdentity).toBe('a');
  });

  it('waits for the leader work to wind down before releasing the lease', async () => {
    const stop = new AbortController();
    let wound = false;
    const elector = new LeaderElector({
      client: store.clientFor('a'),
      namespace: NS,
      name: NAME,
      identity: 'a',
      callbacks: {
        onStartedLeading: (signal) =>
          new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => setTimeout(() => ((wound = true), resolve()), 500)),
          ),
      },
    });
    const result = elector.run(stop.signal);
    await vi.advanceTimersByTimeAsync(100);
    stop.abort();
    await vi.advanceTimersByTimeAsync(400);
    expect(store.read()!.spec?.holderIdentity).toBe('a');
    await vi.advanceTimersByTimeAsync(100);
    expect(wound).toBe(true);
    expect(store.read()!.spec?.holderIdentity).toBe('');
    await expect(result).resolves.toBe('aborted');
  });

  it('a candidate stopped before winning returns without touching the lease', async () => {
    const a = start('a');
    await advance(100, [a]);
    const b = start('b');
    await advance(1000, [a, b]);
    b.stop.abort();
    await advance(100, [a, b]);
    await expect(b.result).resolves.toBe('aborted');
    expect(store.read()!.spec?.holderIdentity).toBe('a');
    a.stop.abort();
    await advance(100, [a]);
  });

  it('run() cannot be started twice at once', async () => {
    const a = start('a');
    await expect(a.elector.run(new AbortController().signal)).rejects.toThrow(/already running/);
    a.stop.abort();
    await advance(100, [a]);
  });

  it('rejects settings that would let two leaders overlap', () => {
    const base = { client: store.clientFor('x'), namespace: NS, name: NAME, identity: 'x', callbacks: { onStartedLeading: () => undefined } };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      /leaseDurationMs \(10000\) must be greater than renewDeadlineMs \(10000\)/,
    );
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(/renewDeadlineMs/);
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(/identity/);
    expect(() => new LeaderElector({ ...base, retryPeriodMs: -1 })).toThrow(/retryPeriodMs/);
  });
});

describe('isConflict', () => {
  it('recognises 409 however the client shaped it', () => {
    expect(isConflict(new LeaseConflictError('x'))).toBe(true);
    expect(isConflict({ code: 409, body: '{}' })).toBe(true); // client-node ApiException
    expect(isConflict({ statusCode: 409 })).toBe(true);
    expect(isConflict({ code: 404 })).toBe(false);
    expect(isConflict(new Error('boom'))).toBe(false);
  });
});
