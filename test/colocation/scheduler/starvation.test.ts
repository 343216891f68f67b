// A large offline pod behind a stream of small ones: without help, every core that frees goes to a
// small pod and the large one waits for ever. Once it has waited offlineMaxWait and still finds no
// room, the scheduler holds a node for it (starvation.ts) and it gets in as that node's pods end.
import { describe, expect, it } from 'vitest';
import { BATCH_CPU, BATCH_MEMORY } from '../../../api/index.js';
import type { SchedPod } from '../../../colocation/scheduler/types.js';
import { STARVATION_HOLD_TTL_MS } from '../../../colocation/scheduler/scheduler.js';
import { closestToFitting } from '../../../colocation/scheduler/starvation.js';
import { drain, harness, node, nodeInfo, pod, type Harness } from './fixtures.js';

const GiB = 2 ** 30;
const WAIT_MS = 10_000;

function offline(name: string, milliCpu: number): SchedPod {
  return pod(name, { labels: { 'tidepool.dev/qos': 'offline' }, requests: { [BATCH_CPU]: String(milliCpu), [BATCH_MEMORY]: String(GiB) } });
}

/** Marks every pod the binder bound as running on its node, as the informer would show it. */
function confirmBinds(h: Harness, pending: Map<string, SchedPod>, running: SchedPod[]): string[] {
  const done: string[] = [];
  for (const [key, nodeName] of h.binder.bound) {
    const p = pending.get(key);
    if (!p) continue;
    pending.delete(key);
    const bound = { ...p, node: nodeName, phase: 'Running' };
    h.scheduler.onPodUpdate(p, bound);
    running.push(bound);
    done.push(key);
  }
  return done;
}

describe('starvation hold', () => {
  it('gets a large offline pod in past a stream of small ones that keep taking the room that frees', async () => {
    const h = harness({ settings: { offlineMaxWaitMs: WAIT_MS, backoffInitialMs: 1_000, backoffMaxMs: 2_000 } });
    h.scheduler.onNodeAdd(node('n0', { cpu: '8', memory: '64Gi', extra: { [BATCH_CPU]: '4000', [BATCH_MEMORY]: String(32 * GiB) } }));
    const running: SchedPod[] = [];
    for (let i = 0; i < 4; i++) {
      const p = { ...offline(`old${i}`, 1_000), node: 'n0', phase: 'Running' };
      h.scheduler.onPodAdd(p);
      running.push(p);
    }
    const pending = new Map<string, SchedPod>();
    const queue = (p: SchedPod) => {
      pending.set(p.key, p);
      h.scheduler.onPodAdd(p);
    };
    queue(offline('big', 4_000));
    let small = 0;
    for (; small < 6; small++) queue(offline(`small${small}`, 1_000));

    let heldAt = -1;
    let bigBoundAt = -1;
    const smallBoundWhileHeld: string[] = [];
    for (let second = 1; second <= 120 && bigBoundAt < 0; second++) {
      // Every 2 s the oldest running pod ends; small pods keep arriving.
      if (second % 2 === 0 && running.length > 0) h.scheduler.onPodDelete(running.shift()!);
      queue(offline(`small${small++}`, 1_000));
      h.clock.advance(1_000);
      await drain(h);
      const bound = confirmBinds(h, pending, running);
      if (heldAt < 0 && h.scheduler.starvation.hold) heldAt = second;
      if (bound.includes('default/big')) bigBoundAt = second;
      else if (heldAt >= 0) smallBoundWhileHeld.push(...bound);
    }

    // Before the hold the small pods took each freed core; after it, none until the big pod got in.
    expect(heldAt).toBeGreaterThanOrEqual(WAIT_MS / 1000);
    expect(bigBoundAt).toBeGreaterThan(heldAt);
    expect(bigBoundAt - heldAt).toBeLessThanOrEqual(10); // the 4 running pods end, 2 s apart
    expect(smallBoundWhileHeld).toEqual([]);
    const held = h.events.of('default/big', 'RoomHeld');
    expect(held).toHaveLength(1);
    expect(held[0]!.message).toMatch(/^holding room on node n0 for this pod: it has waited \d+s while smaller pods took the room that freed/);
    // The hold ended with the placement (an aged small pod may hold room next: one hold at a time).
    expect(h.scheduler.starvation.hold?.pod).not.toBe('default/big');
    expect(h.scheduler.cache.node('n0')!.reserved.has('starving/default/big')).toBe(false);
    h.scheduler.close();
  });

  it('is given up when the pod goes away, and is never placed for online pods', async () => {
    const h = harness({ settings: { offlineMaxWaitMs: WAIT_MS } });
    h.scheduler.onNodeAdd(node('n0', { cpu: '8', memory: '64Gi', extra: { [BATCH_CPU]: '4000', [BATCH_MEMORY]: String(32 * GiB) } }));
    h.scheduler.onPodAdd({ ...offline('hog', 2_000), node: 'n0', phase: 'Running' });
    const online = pod('web', { cpu: '16' });
    const big = offline('big', 4_000);
    for (const p of [online, big]) h.scheduler.onPodAdd(p);
    await drain(h);
    h.clock.advance(WAIT_MS + 5_000);
    h.scheduler.onNodeAdd(node('tiny', { cpu: '1', memory: '1Gi' })); // an event: the parked pods are tried again
    await drain(h);
    expect(h.scheduler.starvation.hold).toMatchObject({ pod: 'default/big', node: 'n0' });
    expect(h.events.of('default/web', 'RoomHeld')).toEqual([]);
    expect(h.scheduler.cache.node('n0')!.reserved.has('starving/default/big')).toBe(true);
    h.scheduler.onPodDelete(big);
    expect(h.scheduler.starvation.hold).toBeUndefined();
    expect(h.scheduler.cache.node('n0')!.reserved.size).toBe(0);
    h.scheduler.close();
  });

  it("holds a gang member's room apart from its gang's, and both are free to it", async () => {
    const h = harness({ settings: { offlineMaxWaitMs: WAIT_MS } });
    h.scheduler.onNodeAdd(node('n0', { cpu: '8', memory: '64Gi', extra: { [BATCH_CPU]: '4000', [BATCH_MEMORY]: String(32 * GiB) } }));
    const hog = { ...offline('hog', 3_000), node: 'n0', phase: 'Running' };
    h.scheduler.onPodAdd(hog);
    const exec = pod('exec-1', { labels: { 'spark-role': 'executor', 'spark-app-selector': 'app1' }, requests: { [BATCH_CPU]: '4000', [BATCH_MEMORY]: String(GiB) } });
    expect(exec.gang).toBeDefined();
    h.scheduler.onPodAdd(exec);
    await drain(h);
    h.clock.advance(WAIT_MS + 5_000);
    h.scheduler.onNodeAdd(node('tiny', { cpu: '1', memory: '1Gi' }));
    await drain(h);
    expect(h.scheduler.starvation.hold).toMatchObject({ pod: 'default/exec-1', node: 'n0' });
    expect([...h.scheduler.cache.node('n0')!.reserved.keys()]).toEqual(['starving/default/exec-1']);
    // The hog ends: the executor's own held room is free to it, and it gets in.
    h.scheduler.onPodDelete(hog);
    h.clock.advance(2_000);
    await drain(h);
    expect(h.binder.bound.get('default/exec-1')).toBe('n0');
    expect(h.scheduler.starvation.hold).toBeUndefined();
    h.scheduler.close();
  });
  /** n0 (and n1 when `two`) with 4 batch cores, 2 of them taken by a running hog; `big` (4 cores) aged past its wait and held. */
  async function heldBig(two = false) {
    const h = harness({ settings: { offlineMaxWaitMs: WAIT_MS } });
    const hogs: SchedPod[] = [];
    for (const name of two ? ['n0', 'n1'] : ['n0']) {
      h.scheduler.onNodeAdd(node(name, { cpu: '8', memory: '64Gi', extra: { [BATCH_CPU]: '4000', [BATCH_MEMORY]: String(32 * GiB) } }));
      const hog = { ...offline(`hog-${name}`, 2_000), node: name, phase: 'Running' };
      h.scheduler.onPodAdd(hog);
      hogs.push(hog);
    }
    const big = offline('big', 4_000);
    h.scheduler.onPodAdd(big);
    await drain(h);
    h.clock.advance(WAIT_MS + 5_000);
    h.scheduler.onNodeAdd(node('tiny', { cpu: '1', memory: '1Gi' }));
    await drain(h);
    expect(h.scheduler.starvation.hold?.pod).toBe('default/big');
    return { h, big, hogs };
  }

  it('keeps the hold through a failed binding, and ends it once the binding is written', async () => {
    const { h, hogs } = await heldBig();
    let failures = 1;
    h.binder.fail = (p) => (p.key === 'default/big' && failures-- > 0 ? 'the API server said no' : undefined);
    h.scheduler.onPodDelete(hogs[0]!);
    h.clock.advance(3_000); // past the backoff the hold's placement gave it
    await drain(h);
    expect(failures).toBe(0); // it was tried once, and that binding failed
    expect(h.binder.bound.has('default/big')).toBe(false);
    expect(h.scheduler.starvation.hold?.pod).toBe('default/big');
    expect(h.scheduler.cache.node('n0')!.reserved.has('starving/default/big')).toBe(true);
    // A small pod arriving now does not get the room the failed binding gave back.
    h.scheduler.onPodAdd(offline('small', 1_000));
    h.clock.advance(15_000); // past the failed pod's backoff
    await drain(h);
    expect(h.binder.bound.get('default/big')).toBe('n0');
    expect(h.binder.bound.has('default/small')).toBe(false);
    expect(h.scheduler.starvation.hold).toBeUndefined();
    h.scheduler.close();
  });

  it('ends the hold when its node is deleted', async () => {
    const { h } = await heldBig();
    const n0 = h.scheduler.cache.node('n0')!.node!;
    h.scheduler.onNodeDelete(n0);
    expect(h.scheduler.starvation.hold).toBeUndefined();
    h.scheduler.close();
  });

  it('gives a hold up after its TTL and holds another node next', async () => {
    const { h } = await heldBig(true);
    const first = h.scheduler.starvation.hold!.node;
    h.clock.advance(STARVATION_HOLD_TTL_MS + 10_000);
    await drain(h);
    const next = h.scheduler.starvation.hold;
    expect(next?.pod).toBe('default/big');
    expect(next?.node).not.toBe(first);
    expect(h.scheduler.cache.node(first)!.reserved.size).toBe(0);
    h.scheduler.close();
  });
});

describe('closestToFitting', () => {
  const batch = (cores: number) => ({ [BATCH_CPU]: String(cores * 1000), [BATCH_MEMORY]: String(32 * GiB) });
  const running = (name: string, cores: number) => ({ ...offline(name, cores * 1000), node: 'x', phase: 'Running' });

  it('picks the node short of the least, among those that could hold the pod at all and pass the other filters', () => {
    const big = offline('big', 4_000);
    const nodes = [
      nodeInfo('too-small', { extra: batch(2) }), // 2 cores allocatable: never
      nodeInfo('half', { extra: batch(8) }, [running('a', 6)]), // 2 free: short 50 %
      nodeInfo('three-quarters', { extra: batch(8) }, [running('b', 5)]), // 3 free: short 25 %
      nodeInfo('filtered', { extra: batch(8) }), // fits now, but another filter rejects it
    ];
    expect(closestToFitting(big, nodes, (n) => n.name !== 'filtered')?.name).toBe('three-quarters');
    expect(closestToFitting(big, nodes.slice(0, 1), () => true)).toBeUndefined();
  });

  it('counts a node out of pod slots as short of one more thing', () => {
    const big = offline('big', 4_000);
    const full = nodeInfo('no-slots', { extra: batch(8), pods: 2 }, [running('a', 1), running('b', 1)]); // 6 free, 0 slots
    const roomy = nodeInfo('slots', { extra: batch(8) }, [running('c', 5)]); // 3 free: short 25 %
    expect(closestToFitting(big, [full, roomy], () => true)?.name).toBe('slots');
  });
});
