// LoadStore: what readers get back from the samples sources put in — the latest, a window, the
// peak over a window (checked against a plain recount over seeded random streams), and which
// samples it refuses.
import { describe, expect, it } from 'vitest';
import { LoadStore, type NodeLoadSample } from '../../../colocation/load/index.js';
import type { Clock } from '../../../kube/index.js';

class ManualClock implements Clock {
  constructor(public t = 1_000_000) {}
  now = (): number => this.t;
  setTimeout = (): unknown => undefined;
  clearTimeout = (): void => undefined;
}

function sample(node: string, at: number, cpu: number, extra: Partial<NodeLoadSample> = {}): NodeLoadSample {
  return { node, sampledAt: at, cpu, memory: cpu * 1000, onlineCpu: cpu / 2, onlineMemory: cpu * 500, systemCpu: 100, systemMemory: 1000, source: 'agent', ...extra };
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('LoadStore', () => {
  it('answers the latest sample, its age, and the samples of a window oldest first', () => {
    const clock = new ManualClock();
    const store = new LoadStore({ clock });
    expect(store.latest('n1')).toBeUndefined();
    expect(store.ageMs('n1')).toBeUndefined();
    for (let i = 0; i < 5; i++) store.add(sample('n1', clock.t - 4000 + i * 1000, 1000 + i));
    expect(store.latest('n1')?.cpu).toBe(1004);
    expect(store.ageMs('n1')).toBe(0);
    clock.t += 2500;
    expect(store.ageMs('n1')).toBe(2500);
    expect(store.window('n1', 5000).map((s) => s.cpu)).toEqual([1002, 1003, 1004]);
    expect(store.window('other', 4000)).toEqual([]);
  });

  it('takes the peak of each figure over the window, and forgets a peak once it leaves the window', () => {
    const clock = new ManualClock();
    const store = new LoadStore({ clock });
    store.add(sample('n1', clock.t, 1000, { onlineCpu: 900, systemCpu: 50 }));
    clock.t += 1000;
    store.add(sample('n1', clock.t, 3000, { onlineCpu: 200, systemCpu: 400 }));
    clock.t += 1000;
    store.add(sample('n1', clock.t, 2000, { onlineCpu: 300, systemCpu: 60 }));
    const p = store.peak('n1', 10_000)!;
    expect(p).toMatchObject({ samples: 3, cpu: 3000, onlineCpu: 900, systemCpu: 400, oldestAt: clock.t - 2000, newestAt: clock.t });
    clock.t += 8500; // the first sample is now 10.5 s old
    expect(store.peak('n1', 10_000)).toMatchObject({ samples: 2, onlineCpu: 300, systemCpu: 400 });
    clock.t += 1000;
    expect(store.peak('n1', 10_000)).toMatchObject({ samples: 1, onlineCpu: 300, systemCpu: 60 });
    clock.t += 1000;
    expect(store.peak('n1', 10_000)).toBeUndefined();
  });

  it('agrees with a plain recount of the window over random streams, for several window lengths at once', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rand = rng(seed);
      const clock = new ManualClock();
      const store = new LoadStore({ clock, maxSamplesPerNode: 4096, retentionMs: 10 * 60_000 });
      const all: NodeLoadSample[] = [];
      const windows = [5_000, 30_000, 120_000];
      for (let i = 0; i < 2000; i++) {
        clock.t += 1 + Math.floor(rand() * 3000);
        const s = sample('n', clock.t - Math.floor(rand() * 500), Math.floor(rand() * 8000), { onlineCpu: Math.floor(rand() * 6000), onlineMemory: Math.floor(rand() * 2 ** 34) });
        if (store.add(s) === 'added') all.push(s);
        if (i % 7 === 0) {
          const w = windows[Math.floor(rand() * windows.length)]!;
          const inWindow = all.filter((x) => x.sampledAt >= clock.t - w);
          const p = store.peak('n', w);
          if (inWindow.length === 0) expect(p).toBeUndefined();
          else {
            expect(p, `seed ${seed} step ${i} window ${w}`).toMatchObject({
              samples: inWindow.length,
              cpu: Math.max(...inWindow.map((x) => x.cpu)),
              onlineCpu: Math.max(...inWindow.map((x) => x.onlineCpu!)),
              onlineMemory: Math.max(...inWindow.map((x) => x.onlineMemory!)),
            });
          }
        }
      }
    }
  });

  it('keeps a bounded history: samples past the retention or the per-node cap are dropped', () => {
    const clock = new ManualClock();
    const store = new LoadStore({ clock, retentionMs: 10_000, maxSamplesPerNode: 4 });
    for (let i = 0; i < 10; i++) {
      clock.t += 1000;
      store.add(sample('n1', clock.t, i));
    }
    expect(store.window('n1', 60_000).map((s) => s.cpu)).toEqual([6, 7, 8, 9]);
    clock.t += 20_000;
    store.add(sample('n1', clock.t, 42));
    expect(store.window('n1', 60_000).map((s) => s.cpu)).toEqual([42]);
  });

  it('drops a sample no newer than the latest (a repeated scrape) and clamps a source clock that runs ahead', () => {
    const clock = new ManualClock();
    const store = new LoadStore({ clock });
    expect(store.add(sample('n1', clock.t - 1000, 1))).toBe('added');
    expect(store.add(sample('n1', clock.t - 1000, 2))).toBe('older');
    expect(store.add(sample('n1', clock.t - 5000, 3))).toBe('older');
    expect(store.add(sample('n1', clock.t + 60_000, 4))).toBe('added');
    expect(store.latest('n1')).toMatchObject({ cpu: 4, sampledAt: clock.t });
  });

  it('prefers a node\'s agent over metrics.k8s.io while the agent is fresh, and falls back when it goes quiet', () => {
    const clock = new ManualClock();
    const store = new LoadStore({ clock, agentPreferenceMs: 30_000 });
    expect(store.add(sample('n1', clock.t, 1, { source: 'agent' }))).toBe('added');
    clock.t += 10_000;
    expect(store.add(sample('n1', clock.t, 2, { source: 'metrics-api' }))).toBe('agent-preferred');
    expect(store.add(sample('n2', clock.t, 2, { source: 'metrics-api' }))).toBe('added');
    clock.t += 25_000;
    expect(store.add(sample('n1', clock.t, 3, { source: 'metrics-api' }))).toBe('added');
    expect(store.latest('n1')).toMatchObject({ cpu: 3, source: 'metrics-api' });
  });

  it('fills online and system usage a source did not measure conservatively: everything not known to be system is online', () => {
    const clock = new ManualClock();
    const store = new LoadStore({ clock });
    store.add({ node: 'n1', sampledAt: clock.t, cpu: 3000, memory: 5000, systemCpu: 500, source: 'metrics-api' });
    expect(store.peak('n1', 1000)).toMatchObject({ onlineCpu: 2500, systemCpu: 500, onlineMemory: 5000, systemMemory: 0 });
  });

  it('refuses malformed samples with an error naming the field, and tells listeners about the rest', () => {
    const store = new LoadStore({ clock: new ManualClock() });
    const seen: string[] = [];
    const off = store.onSample((s) => seen.push(`${s.node}:${s.cpu}`));
    expect(() => store.add(sample('', 1, 1))).toThrow(/node must be a non-empty string/);
    expect(() => store.add(sample('n1', 1, -5))).toThrow(/node "n1": cpu must be a non-negative number, got -5/);
    expect(() => store.add(sample('n1', Number.NaN, 5))).toThrow(/sampledAt must be a finite time/);
    expect(() => store.add(sample('n1', 1, 5, { onlineMemory: Number.POSITIVE_INFINITY }))).toThrow(/onlineMemory/);
    store.add(sample('n1', 1, 5.4));
    off();
    store.add(sample('n1', 2, 6));
    expect(seen).toEqual(['n1:5']);
    expect(() => new LoadStore({ maxSamplesPerNode: 1 })).toThrow(/maxSamplesPerNode/);
    expect(() => store.peak('n1', 0)).toThrow(/positive window/);
  });
});
