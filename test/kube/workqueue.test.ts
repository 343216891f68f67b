import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { sleep } from '../../kube/backoff.js';
import { WorkQueue, type Lane, type WorkItem } from '../../kube/workqueue.js';

/** Takes everything waiting right now, marking each done. */
async function drainNow(q: WorkQueue): Promise<WorkItem[]> {
  const out: WorkItem[] = [];
  while (q.len() > 0) {
    const item = (await q.get())!;
    out.push(item);
    q.done(item.key);
  }
  return out;
}

describe('WorkQueue basics', () => {
  it('hands keys out first in, first out within a lane', async () => {
    const q = new WorkQueue();
    for (const k of ['a', 'b', 'c']) q.add(k, 'update');
    expect((await drainNow(q)).map((i) => i.key)).toEqual(['a', 'b', 'c']);
    q.shutDown();
  });

  it('keeps one copy of a key that is already waiting', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect((await drainNow(q)).map((i) => i.key)).toEqual(['a', 'b']);
    q.shutDown();
  });

  it('never hands a key to a second worker while the first still has it', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    expect(first).toEqual({ key: 'a', lane: 'update' });
    q.add('a');
    q.add('a', 'add');
    expect(q.len()).toBe(0); // parked until done, not waiting
    let second: WorkItem | undefined;
    void q.get().then((i) => (second = i));
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done('a');
    await Promise.resolve();
    // Re-queued once, in the highest lane it was added at while in hand.
    expect(second).toEqual({ key: 'a', lane: 'add' });
    q.done('a');
    expect(q.len()).toBe(0);
    q.shutDown();
  });

  it('wakes a waiting get() when a key arrives, oldest getter first', async () => {
    const q = new WorkQueue();
    const got: string[] = [];
    const g1 = q.get().then((i) => got.push(`g1:${i?.key}`));
    const g2 = q.get().then((i) => got.push(`g2:${i?.key}`));
    q.add('x');
    q.add('y');
    await Promise.all([g1, g2]);
    expect(got).toEqual(['g1:x', 'g2:y']);
    q.shutDown();
  });

  it('get() resolves undefined when its signal aborts, and gives up its place', async () => {
    const q = new WorkQueue();
    const ac = new AbortController();
    const aborted = q.get(ac.signal);
    ac.abort();
    expect(await aborted).toBeUndefined();
    q.add('a');
    expect(q.len()).toBe(1); // nobody took it for the aborted getter
    expect(await q.get(AbortSignal.abort())).toBeUndefined();
    q.shutDown();
  });

  it('rejects an unknown lane with the valid ones in the message', () => {
    const q = new WorkQueue();
    expect(() => q.add('a', 'urgent' as Lane)).toThrow(/unknown work queue lane "urgent" \(use add, update, delete, resync\)/);
    q.shutDown();
  });
});

describe('WorkQueue priority lanes', () => {
  it('always serves the highest non-empty lane: add > update > delete > resync', async () => {
    const q = new WorkQueue();
    q.add('r1', 'resync');
    q.add('d1', 'delete');
    q.add('u1', 'update');
    q.add('a1', 'add');
    q.add('r2', 'resync');
    q.add('a2', 'add');
    expect((await drainNow(q)).map((i) => `${i.lane}:${i.key}`)).toEqual([
      'add:a1',
      'add:a2',
      'update:u1',
      'delete:d1',
      'resync:r1',
      'resync:r2',
    ]);
    q.shutDown();
  });

  it('promotes a waiting key to a higher lane and never demotes it', async () => {
    const q = new WorkQueue();
    q.add('x', 'resync');
    q.add('y', 'resync');
    q.add('y', 'add');
    q.add('z', 'add');
    q.add('z', 'resync');
    expect([q.len('add'), q.len('resync'), q.len()]).toEqual([2, 1, 3]);
    expect((await drainNow(q)).map((i) => `${i.lane}:${i.key}`)).toEqual(['add:y', 'add:z', 'resync:x']);
    // The promoted key left no second copy behind in the resync lane.
    expect(q.len()).toBe(0);
    q.add('x', 'resync');
    expect((await drainNow(q)).map((i) => i.key)).toEqual(['x']);
    q.shutDown();
  });

  it('a live add overtakes a 100k-key resync burst', async () => {
    const q = new WorkQueue();
    for (let i = 0; i < 100_000; i++) q.add(`ns/pod-${i}`, 'resync');
    const first = (await q.get())!;
    q.add('ns/new-pod', 'add');
    expect(await q.get()).toEqual({ key: 'ns/new-pod', lane: 'add' });
    q.done('ns/new-pod');
    q.done(first.key);
    let n = 1;
    for (; q.len() > 0; n++) q.done((await q.get())!.key);
    expect(n).toBe(100_000);
    q.shutDown();
  });

  it('workers finish the item in hand, then take the live add next', async () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue();
      for (let i = 0; i < 1000; i++) q.add(`r${i}`, 'resync');
      const order: string[] = [];
      const ac = new AbortController();
      const run = q.runWorkers(1, async (key) => {
        order.push(key);
        await sleep(10);
      }, ac.signal);
      await vi.advanceTimersByTimeAsync(25); // r0, r1 done, r2 in hand
      q.add('live', 'add');
      await vi.advanceTimersByTimeAsync(20);
      expect(order.slice(0, 5)).toEqual(['r0', 'r1', 'r2', 'live', 'r3']);
      ac.abort();
      await vi.advanceTimersByTimeAsync(10);
      await run;
      q.shutDown();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('WorkQueue delays (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('addAfter queues the key once the delay has passed', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 1000, 'delete');
    await vi.advanceTimersByTimeAsync(999);
    expect(q.len()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await q.get()).toEqual({ key: 'a', lane: 'delete' });
    q.shutDown();
  });

  it('a key waiting to be added keeps its earliest time and highest lane', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 5000, 'resync');
    q.addAfter('a', 1000, 'resync');
    q.addAfter('a', 3000, 'add');
    q.addAfter('b', 2000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(q.len()).toBe(1);
    expect(await q.get()).toEqual({ key: 'a', lane: 'add' });
    q.done('a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await drainNow(q)).map((i) => i.key)).toEqual(['b']); // a came once, not three times
    expect(vi.getTimerCount()).toBe(0);
    q.shutDown();
  });

  it('addAfter with no delay adds at once', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 0);
    expect(q.len()).toBe(1);
    q.shutDown();
  });

  it('addRateLimited backs off exponentially per key, and forget resets it', async () => {
    const q = new WorkQueue({ baseDelayMs: 5, maxDelayMs: 40 });
    const readyAfter = async (key: string): Promise<number> => {
      const t0 = Date.now();
      q.addRateLimited(key);
      while (q.len() === 0) await vi.advanceTimersByTimeAsync(1);
      q.done((await q.get())!.key);
      return Date.now() - t0;
    };
    expect([await readyAfter('a'), await readyAfter('a'), await readyAfter('a'), await readyAfter('a')]).toEqual([5, 10, 20, 40]);
    expect(await readyAfter('a')).toBe(40); // capped
    expect(q.numRequeues('a')).toBe(5);
    expect(await readyAfter('b')).toBe(5); // per key
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    expect(await readyAfter('a')).toBe(5);
    q.shutDown();
  });
});

describe('WorkQueue shutdown', () => {
  it('shutDown releases waiting getters, ignores adds and drops delayed keys', async () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue();
      const waiting = q.get();
      q.addAfter('later', 1000);
      q.shutDown();
      expect(await waiting).toBeUndefined();
      q.add('a');
      expect(q.len()).toBe(0);
      expect(await q.get()).toBeUndefined();
      expect(q.shuttingDown).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('shutDownWithDrain hands out what was waiting and resolves when all is done', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    const inHand = (await q.get())!;
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    q.add('c'); // ignored: no new work while draining
    const next = (await q.get())!;
    expect(next.key).toBe('b');
    expect(await q.get()).toBeUndefined(); // nothing else waiting
    q.done(next.key);
    await Promise.resolve();
    expect(drained).toBe(false); // 'a' is still in hand
    q.done(inHand.key);
    await drain;
    expect(drained).toBe(true);
    expect(await q.get()).toBeUndefined();
  });

  it('a key added while in hand before the drain is still processed during it', async () => {
    const q = new WorkQueue();
    q.add('a');
    await q.get();
    q.add('a');
    const drain = q.shutDownWithDrain();
    q.done('a');
    expect(await q.get()).toEqual({ key: 'a', lane: 'update' });
    q.done('a');
    await drain;
  });
});

describe('WorkQueue.runWorkers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never runs one key on two workers at once, and processes every key added', async () => {
    const q = new WorkQueue();
    const active = new Set<string>();
    const passes = new Map<string, number>();
    let overlap = false;
    const ac = new AbortController();
    const run = q.runWorkers(4, async (key) => {
      if (active.has(key)) overlap = true;
      active.add(key);
      passes.set(key, (passes.get(key) ?? 0) + 1);
      await sleep(5);
      active.delete(key);
    }, ac.signal);
    for (let round = 0; round < 20; round++) {
      for (const k of ['a', 'b', 'c']) q.add(k, round % 2 ? 'update' : 'resync');
      await vi.advanceTimersByTimeAsync(2);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(overlap).toBe(false);
    expect(q.len() + q.inFlight).toBe(0);
    for (const k of ['a', 'b', 'c']) {
      expect(passes.get(k)).toBeGreaterThanOrEqual(2);
      expect(passes.get(k)).toBeLessThan(20); // repeated adds were collapsed
    }
    ac.abort();
    await run;
    q.shutDown();
  });

  it('re-queues a failing key with backoff in its lane and forgets it after a success', async () => {
    const q = new WorkQueue({ baseDelayMs: 100 });
    const seen: string[] = [];
    const errors: [string, number][] = [];
    let failuresLeft = 2;
    const ac = new AbortController();
    const run = q.runWorkers(
      1,
      async (key, lane) => {
        seen.push(`${Date.now() % 100_000}:${lane}:${key}`);
        if (failuresLeft-- > 0) throw new Error('conflict');
      },
      ac.signal,
      { onError: (err, item, requeues) => errors.push([`${item.key}: ${(err as Error).message}`, requeues]) },
    );
    const t0 = Date.now() % 100_000;
    q.add('k', 'delete');
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([`${t0}:delete:k`, `${t0 + 100}:delete:k`, `${t0 + 300}:delete:k`]);
    expect(errors).toEqual([
      ['k: conflict', 0],
      ['k: conflict', 1],
    ]);
    expect(q.numRequeues('k')).toBe(0);
    ac.abort();
    await run;
    q.shutDown();
  });

  it('drops a key after maxRetries failures', async () => {
    const q = new WorkQueue({ baseDelayMs: 10 });
    let calls = 0;
    const run = q.runWorkers(1, async () => {
      calls++;
      throw new Error('always');
    }, undefined, { maxRetries: 3 });
    q.add('k');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(4);
    expect(q.numRequeues('k')).toBe(0);
    q.shutDown();
    await run;
  });

  it('honours requeueAfterMs from a successful pass', async () => {
    const q = new WorkQueue();
    let calls = 0;
    const run = q.runWorkers(1, async () => (++calls < 3 ? { requeueAfterMs: 1000 } : undefined));
    q.add('poll', 'resync');
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(3);
    q.shutDown();
    await run;
  });

  it('stops all workers when the queue shuts down', async () => {
    const q = new WorkQueue();
    const run = q.runWorkers(3, async () => undefined);
    q.shutDown();
    await expect(run).resolves.toBeUndefined();
  });
});

describe('WorkQueue metrics', () => {
  it('reports depth per lane, adds and retries on the registry it is given only', async () => {
    const registry = new Registry();
    const q1 = new WorkQueue({ name: 'pods', registry });
    const q2 = new WorkQueue({ name: 'nodes', registry });
    q1.add('a', 'add');
    q1.add('b', 'resync');
    q1.add('c', 'resync');
    q2.add('n', 'update');
    q1.addRateLimited('z');
    const text = await registry.metrics();
    expect(text).toContain('tidepool_workqueue_depth{name="pods",lane="add"} 1');
    expect(text).toContain('tidepool_workqueue_depth{name="pods",lane="resync"} 2');
    expect(text).toContain('tidepool_workqueue_depth{name="nodes",lane="update"} 1');
    expect(text).toContain('tidepool_workqueue_adds_total{name="pods",lane="resync"} 2');
    expect(text).toContain('tidepool_workqueue_retries_total{name="pods"} 1');
    q1.shutDown();
    expect(await registry.metrics()).not.toContain('tidepool_workqueue_depth{name="pods"');
    q2.shutDown();
    const { register } = await import('prom-client');
    expect(await register.metrics()).not.toContain('tidepool_workqueue');
  });
});
