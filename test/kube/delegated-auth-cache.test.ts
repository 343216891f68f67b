// The cache behind delegated authentication and authorization (kube/delegated-auth.ts): the
// kubelet API and the capacity API keep their TokenReview and SubjectAccessReview answers in it.

import { describe, expect, it } from 'vitest';
import { TtlCache, type Clock } from '../../kube/index.js';

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_000_000;
  return {
    now: () => now,
    setTimeout: () => undefined,
    clearTimeout: () => undefined,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('TtlCache', () => {
  it('keeps each answer for its own time to live', async () => {
    const clock = manualClock();
    const cache = new TtlCache<boolean>(10, clock);
    await cache.getOrLoad('allowed', async () => true, (v) => (v ? 5_000 : 1_000));
    await cache.getOrLoad('denied', async () => false, (v) => (v ? 5_000 : 1_000));
    clock.advance(1_000);
    expect(cache.get('denied')).toBeUndefined();
    expect(cache.get('allowed')).toBe(true);
    clock.advance(4_000);
    expect(cache.get('allowed')).toBeUndefined();
  });

  it('asks once for concurrent look-ups of one key, and not again while cached', async () => {
    const cache = new TtlCache<string>(10, manualClock());
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async (): Promise<string> => {
      calls++;
      await gate;
      return 'alice';
    };
    const pending = [cache.getOrLoad('t', load, () => 60_000), cache.getOrLoad('t', load, () => 60_000), cache.getOrLoad('t', load, () => 60_000)];
    release();
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.value)).toEqual(['alice', 'alice', 'alice']);
    expect(calls).toBe(1);
    expect((await cache.getOrLoad('t', load, () => 60_000)).cached).toBe(true);
    expect(calls).toBe(1);
  });

  it('does not keep a failed load, so the next look-up asks again', async () => {
    const cache = new TtlCache<string>(10, manualClock());
    await expect(cache.getOrLoad('k', async () => Promise.reject(new Error('webhook down')), () => 60_000)).rejects.toThrow('webhook down');
    expect((await cache.getOrLoad('k', async () => 'ok', () => 60_000)).value).toBe('ok');
  });

  it('drops the oldest entry when full', () => {
    const cache = new TtlCache<number>(2, manualClock());
    cache.set('a', 1, 60_000);
    cache.set('b', 2, 60_000);
    cache.set('c', 3, 60_000);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBe(3);
  });

  it('keeps nothing with a time to live of 0', async () => {
    const cache = new TtlCache<number>(2, manualClock());
    await cache.getOrLoad('a', async () => 1, () => 0);
    expect(cache.size).toBe(0);
  });
});
