import { describe, expect, it } from 'vitest';
import type { QueuedPod } from '../../../../colocation/scheduler/framework/interfaces.js';
import { prioritySort } from '../../../../colocation/scheduler/plugins/priority-sort.js';
import { SchedulingQueue, type SchedulingQueueOptions } from '../../../../colocation/scheduler/queue/scheduling-queue.js';
import { ManualClock, pod, seeded, type PodOptions } from '../fixtures.js';

const EXECUTOR = { 'spark-role': 'executor' };

function queue(clock: ManualClock, o: Partial<SchedulingQueueOptions> = {}): SchedulingQueue {
  return new SchedulingQueue({ less: prioritySort().less, tenantOf: (p) => p.namespace, clock, ...o });
}

function online(name: string, o: PodOptions = {}) {
  return pod(name, o);
}

function offline(name: string, o: PodOptions = {}) {
  return pod(name, { ...o, labels: { ...EXECUTOR, ...o.labels } });
}

/** Pops everything active, marking each done. */
function popAll(q: SchedulingQueue): string[] {
  const out: string[] = [];
  for (let qp = q.tryPop(); qp; qp = q.tryPop()) {
    out.push(qp.pod.name);
    q.done(qp.pod.key);
  }
  return out;
}

describe('scheduling queue: order', () => {
  it('hands out online pods before offline ones, by priority then arrival within a class', () => {
    const clock = new ManualClock();
    const q = queue(clock);
    q.add(offline('off-1'));
    q.add(online('on-low', { priority: 0 }));
    q.add(offline('off-2', { priority: 100 }));
    q.add(online('on-high', { priority: 1000 }));
    q.add(online('on-low-2', { priority: 0 }));
    expect(popAll(q)).toEqual(['on-high', 'on-low', 'on-low-2', 'off-2', 'off-1']);
    q.close();
  });

  it('lets an offline pod that waited offlineMaxWaitMs go before newer online pods, oldest first', () => {
    const clock = new ManualClock();
    const q = queue(clock, { offlineMaxWaitMs: 1_000 });
    q.add(offline('off-old'));
    clock.advance(500);
    q.add(offline('off-young'));
    q.add(online('on-1'));
    clock.advance(600);
    q.add(online('on-2'));
    expect(popAll(q)).toEqual(['off-old', 'on-1', 'on-2', 'off-young']);
    q.close();
  });
});

describe('scheduling queue: anti-starvation (seeded random streams)', () => {
  /**
   * Online pods arrive faster than pods are popped, so without aging offline pods would wait
   * forever. With it, an offline pod is popped at most (offline pods ahead of it when it
   * arrived + 1) pops after it ages.
   */
  function run(seed: number, offlineMaxWaitMs: number) {
    const rnd = seeded(seed);
    const clock = new ManualClock();
    const q = queue(clock, { offlineMaxWaitMs });
    const arrivedAt = new Map<string, number>();
    const aheadAtArrival = new Map<string, number>();
    const pendingOffline = new Set<string>();
    const popsAfterAging = new Map<string, number>();
    const violations: string[] = [];
    let n = 0;
    for (let tick = 0; tick < 3_000; tick++) {
      clock.advance(10);
      if (rnd() < 0.95) q.add(online(`on-${n++}`, { namespace: `t${Math.floor(rnd() * 3)}`, priority: Math.floor(rnd() * 3) }));
      if (rnd() < 0.08) {
        const name = `off-${n++}`;
        aheadAtArrival.set(name, pendingOffline.size);
        pendingOffline.add(name);
        arrivedAt.set(name, clock.now());
        q.add(offline(name, { namespace: `t${Math.floor(rnd() * 3)}`, priority: Math.floor(rnd() * 3) }));
      }
      if (rnd() < 0.9) {
        for (const name of pendingOffline) if (clock.now() - arrivedAt.get(name)! >= offlineMaxWaitMs) popsAfterAging.set(name, (popsAfterAging.get(name) ?? 0) + 1);
        const qp = q.tryPop();
        if (qp) {
          q.done(qp.pod.key);
          if (pendingOffline.delete(qp.pod.name)) {
            const after = popsAfterAging.get(qp.pod.name) ?? 0;
            if (after > aheadAtArrival.get(qp.pod.name)! + 1) violations.push(`${qp.pod.name}: ${after} pops after aging, ${aheadAtArrival.get(qp.pod.name)} ahead`);
          }
        }
      }
    }
    q.close();
    // Still waiting after 20 s of a 30 s run: starved.
    return { violations, starving: [...pendingOffline].filter((p) => clock.now() - arrivedAt.get(p)! > 20_000).length };
  }

  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`bounds every offline pod's wait once it has aged (seed ${seed})`, () => {
      const r = run(seed, 2_000);
      expect(r.violations).toEqual([]);
      expect(r.starving).toBe(0);
    });
  }

  it('would starve offline pods in the same streams without aging (the property is not vacuous)', () => {
    expect(run(1, 10_000_000).starving).toBeGreaterThan(0);
  });
});

describe('scheduling queue: fair share across tenants (seeded random streams)', () => {
  /** Checks, after every pop, that tenants backlogged since `since` were served within one turn of their weighted share. */
  function fairness(seed: number, weights: Record<string, number>) {
    const rnd = seeded(seed);
    const clock = new ManualClock();
    const tenants = Object.keys(weights);
    const q = queue(clock, { tenantWeight: (t) => weights[t] ?? 1 });
    const pending = new Map<string, number>(tenants.map((t) => [t, 0]));
    const served = new Map<string, number>(tenants.map((t) => [t, 0]));
    const errors: string[] = [];
    let n = 0;
    // Backlogs of very different sizes: fair share must not follow backlog size.
    for (const t of tenants) {
      const size = 20 + Math.floor(rnd() * 400);
      for (let i = 0; i < size; i++) q.add(online(`${t}-${n++}`, { namespace: t }));
      pending.set(t, size);
    }
    for (let step = 0; ; step++) {
      const qp = q.tryPop();
      if (!qp) break;
      q.done(qp.pod.key);
      const t = qp.pod.namespace;
      served.set(t, served.get(t)! + 1);
      pending.set(t, pending.get(t)! - 1);
      const backlogged = tenants.filter((x) => pending.get(x)! > 0);
      for (const a of backlogged) {
        for (const b of backlogged) {
          const gap = served.get(a)! / weights[a]! - served.get(b)! / weights[b]!;
          if (gap > 1 / weights[a]! + 1e-9) errors.push(`step ${step}: ${a} served ${served.get(a)}, ${b} ${served.get(b)}`);
        }
      }
    }
    q.close();
    return errors;
  }

  for (const seed of [7, 8, 9]) {
    it(`serves backlogged tenants of equal weight in turn, whatever their backlogs (seed ${seed})`, () => {
      expect(fairness(seed, { a: 1, b: 1, c: 1, d: 1 })).toEqual([]);
    });
  }

  it('serves tenants in proportion to their weights', () => {
    expect(fairness(11, { gold: 3, silver: 2, bronze: 1 })).toEqual([]);
    const clock = new ManualClock();
    const q = queue(clock, { tenantWeight: (t) => (t === 'gold' ? 3 : 1) });
    for (let i = 0; i < 40; i++) q.add(online(`g${i}`, { namespace: 'gold' }));
    for (let i = 0; i < 40; i++) q.add(online(`b${i}`, { namespace: 'bronze' }));
    const first = popAll(q).slice(0, 40);
    expect(first.filter((x) => x.startsWith('g'))).toHaveLength(30);
    q.close();
  });

  it('gives a tenant that arrives late its share from then on, and no credit for the time it was idle', () => {
    const clock = new ManualClock();
    const q = queue(clock);
    for (let i = 0; i < 100; i++) q.add(online(`a${i}`, { namespace: 'a' }));
    for (let i = 0; i < 50; i++) {
      const qp = q.tryPop()!;
      q.done(qp.pod.key);
    }
    for (let i = 0; i < 20; i++) q.add(online(`b${i}`, { namespace: 'b' }));
    const next = popAll(q).slice(0, 20);
    const bs = next.filter((x) => x.startsWith('b')).length;
    expect(bs).toBeGreaterThanOrEqual(9);
    expect(bs).toBeLessThanOrEqual(11);
  });

  it('can fair-share by a label instead of the namespace', () => {
    const clock = new ManualClock();
    const q = queue(clock, { tenantOf: (p) => p.labels['team'] ?? p.namespace });
    for (let i = 0; i < 5; i++) q.add(online(`x${i}`, { labels: { team: 'x' } }));
    for (let i = 0; i < 5; i++) q.add(online(`y${i}`, { labels: { team: 'y' } }));
    expect(popAll(q).slice(0, 4).map((n) => n[0])).toEqual(['x', 'y', 'x', 'y']);
    q.close();
  });
});

describe('scheduling queue: backoff and events', () => {
  function failOnce(q: SchedulingQueue, rejectedBy: string[]): QueuedPod {
    const qp = q.tryPop()!;
    q.unschedulableAgain(qp, rejectedBy);
    return qp;
  }

  it('keeps an unschedulable pod out until an event concerning the plugin that rejected it', () => {
    const clock = new ManualClock();
    const q = queue(clock, { pluginsFor: (e) => new Set(e === 'PodGone' ? ['NodeResourcesFit'] : e === 'LoadSample' ? ['LoadThreshold'] : []) });
    q.add(offline('e'));
    failOnce(q, ['NodeResourcesFit']);
    expect(q.depth().unschedulable.offline).toBe(1);
    clock.advance(20_000);
    q.onEvent('LoadSample');
    expect(q.tryPop()).toBeUndefined();
    q.onEvent('PodGone');
    expect(q.tryPop()?.pod.name).toBe('e');
    q.close();
  });

  it('backs off a pod moved by an event until its backoff (1 s, doubling per attempt, capped) has passed', () => {
    const clock = new ManualClock();
    const q = queue(clock, { backoffInitialMs: 1_000, backoffMaxMs: 4_000 });
    q.add(online('p'));
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      failOnce(q, ['X']);
      q.onEvent('NodeAdded');
      let waited = 0;
      while (!q.depth().active.online) {
        clock.advance(100);
        waited += 100;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 4_000]);
    q.close();
  });

  it('sends a pod whose attempt overlapped an event to backoff instead of the unschedulable pool', () => {
    const clock = new ManualClock();
    const q = queue(clock);
    q.add(online('p'));
    const qp = q.tryPop()!;
    q.onEvent('NodeAdded');
    q.unschedulableAgain(qp, ['NodeResourcesFit']);
    expect(q.depth().backoff.online).toBe(1);
    clock.advance(1_000);
    expect(q.tryPop()?.pod.name).toBe('p');
    q.close();
  });

  it('retries an unschedulable pod when it is updated, and after maxUnschedulableMs even without an event', () => {
    const clock = new ManualClock();
    const q = queue(clock, { maxUnschedulableMs: 5_000 });
    q.add(online('p'));
    failOnce(q, ['X']);
    clock.advance(1_000);
    q.update(online('p', { cpu: '1' }));
    expect(q.tryPop()?.pod.requests['cpu']).toBe(1000);
    q.add(online('r'));
    failOnce(q, ['X']);
    clock.advance(4_000);
    expect(q.tryPop()).toBeUndefined();
    clock.advance(31_000);
    expect(q.tryPop()?.pod.name).toBe('r');
    q.close();
  });

  it('does not bring back a pod deleted while it was being scheduled', () => {
    const clock = new ManualClock();
    const q = queue(clock);
    q.add(online('p'));
    const qp = q.tryPop()!;
    q.delete('default/p');
    q.unschedulableAgain(qp, ['X']);
    q.onEvent('NodeAdded');
    clock.advance(60_000);
    expect(q.tryPop()).toBeUndefined();
    expect(q.has('default/p')).toBe(false);
    q.close();
  });

  it('keeps a parked (malformed) pod parked through cluster events until it changes', () => {
    const clock = new ManualClock();
    const q = queue(clock, { maxUnschedulableMs: 600_000 });
    q.add(online('bad'));
    q.park(q.tryPop()!);
    q.onEvent('NodeAdded');
    q.onEvent('PodGone');
    clock.advance(20_000);
    expect(q.tryPop()).toBeUndefined();
    q.update(online('bad', { cpu: '1' }));
    clock.advance(1_000);
    expect(q.tryPop()?.pod.name).toBe('bad');
    q.close();
  });

  it('wakes a waiting pop when a pod arrives, and ends it on close', async () => {
    const clock = new ManualClock();
    const q = queue(clock);
    const waiting = q.pop();
    q.add(online('p'));
    expect((await waiting)?.pod.name).toBe('p');
    const next = q.pop();
    q.close();
    expect(await next).toBeUndefined();
    expect(clock.pending).toBe(0);
  });
});
