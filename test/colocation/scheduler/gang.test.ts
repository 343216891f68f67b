// Gangs through the Scheduler's event handlers: PodGroup all-or-nothing, permit timeouts, and the
// Spark driver deadlock that leader reservations prevent.
import { describe, expect, it } from 'vitest';
import type { SchedPod } from '../../../colocation/scheduler/types.js';
import { drain, harness, node, pod, settle, type Harness } from './fixtures.js';

const PG_LABEL = 'scheduling.x-k8s.io/pod-group';

function member(name: string, group: string, cpu = '1') {
  return pod(name, { cpu, labels: { [PG_LABEL]: group } });
}

function driver(app: string, cpu = '1') {
  return pod(`${app}-driver`, { cpu, labels: { 'spark-role': 'driver', 'spark-app-selector': app } });
}

function executor(app: string, i: number, cpu = '1500m') {
  return pod(`${app}-exec-${i}`, { cpu, memory: '1Gi', labels: { 'spark-role': 'executor', 'spark-app-selector': app } });
}

/** What an informer would report once a bound pod runs (the harness binder writes nothing). */
function running(h: Harness, p: SchedPod): SchedPod {
  const node = h.binder.bound.get(p.key)!;
  const now = { ...p, node, phase: 'Running' };
  h.scheduler.onPodUpdate(p, now);
  return now;
}

describe('gang scheduling: PodGroup', () => {
  it('binds no member until minMember pods exist, then all of them', async () => {
    const h = harness();
    h.podGroups.set({ key: 'default/pg', minMember: 3, minResources: undefined, scheduleTimeoutSeconds: 30, invalid: undefined });
    h.scheduler.onNodeAdd(node('n0', { cpu: '4' }));
    h.scheduler.onNodeAdd(node('n1', { cpu: '4' }));
    h.scheduler.onPodAdd(member('m1', 'pg'));
    h.scheduler.onPodAdd(member('m2', 'pg'));
    await drain(h);
    expect(h.binder.bound.size).toBe(0);
    expect(h.events.of('default/m1', 'FailedScheduling')[0]?.message).toBe('0/2 nodes are available: gang pg has 2 pod(s), fewer than its minMember 3.');
    h.scheduler.onPodAdd(member('m3', 'pg'));
    await drain(h);
    expect(h.binder.bound.size).toBe(0); // m3 is placed and waits at permit for the others
    expect(h.scheduler.framework.waiting.size).toBe(1);
    h.clock.advance(1_000);
    await drain(h);
    expect([...h.binder.bound.keys()].sort()).toEqual(['default/m1', 'default/m2', 'default/m3']);
    h.scheduler.close();
  });

  it('releases every placed member when the gang cannot complete within scheduleTimeoutSeconds', async () => {
    const h = harness();
    h.podGroups.set({ key: 'default/pg', minMember: 3, minResources: undefined, scheduleTimeoutSeconds: 10, invalid: undefined });
    h.scheduler.onNodeAdd(node('n0', { cpu: '2' }));
    for (const n of ['m1', 'm2', 'm3']) h.scheduler.onPodAdd(member(n, 'pg'));
    await drain(h);
    expect(h.scheduler.framework.waiting.size).toBe(2);
    expect(h.scheduler.cache.node('n0')!.requested['cpu']).toBe(2000);
    h.clock.advance(10_000);
    await settle();
    expect(h.binder.bound.size).toBe(0);
    expect(h.scheduler.framework.waiting.size).toBe(0);
    expect(h.scheduler.cache.node('n0')!.requested['cpu'] ?? 0).toBe(0);
    const why = h.events.events.filter((e) => e.reason === 'FailedScheduling' && /within 10s/.test(e.message));
    expect(why.map((e) => e.pod).sort()).toEqual(['default/m1', 'default/m2']);
    expect(why[0]!.message).toBe('gang pg: only 2 of its minMember 3 pods could be placed within 10s; released (Gang)');
    h.scheduler.close();
  });

  it('waits for a PodGroup that does not exist yet, and goes once it appears', async () => {
    const h = harness();
    h.scheduler.onNodeAdd(node('n0', { cpu: '4' }));
    h.scheduler.onPodAdd(member('m1', 'late'));
    await drain(h);
    expect(h.events.of('default/m1', 'FailedScheduling')[0]?.message).toBe('0/1 nodes are available: gang late: PodGroup late not found.');
    h.podGroups.set({ key: 'default/late', minMember: 1, minResources: undefined, scheduleTimeoutSeconds: undefined, invalid: undefined });
    h.scheduler.onPodGroupChange();
    h.clock.advance(1_000);
    await drain(h);
    expect(h.binder.bound.get('default/m1')).toBe('n0');
    h.scheduler.close();
  });
});

describe('gang scheduling: the Spark driver deadlock', () => {
  // 3 nodes × 4 cpu = 12 cpu. An app is a 1-cpu driver + 2 executors of 1.5 cpu = 4 cpu: room for
  // three apps. Ten drivers placed freely would take 10 cpu and leave room for one executor:
  // no app could ever complete.
  function cluster(settings: Parameters<typeof harness>[0] = {}) {
    const h = harness({ settings: { gang: { minWorkers: 2, workerRequests: { cpu: 1500, memory: 2 ** 30 }, reservationTimeoutMs: 60_000 }, ...settings.settings } });
    for (let i = 0; i < 3; i++) h.scheduler.onNodeAdd(node(`n${i}`, { cpu: '4', memory: '32Gi' }));
    return h;
  }

  it('places a driver only with room held for its minimum executors', async () => {
    const h = cluster();
    for (let i = 0; i < 10; i++) h.scheduler.onPodAdd(driver(`app${i}`));
    await drain(h);
    expect(h.binder.bound.size).toBe(3);
    const waiting = h.events.events.filter((e) => e.reason === 'FailedScheduling');
    expect(waiting).toHaveLength(7);
    // The held room counts like requests: the cluster is full for drivers too.
    expect(new Set(waiting.map((e) => e.message))).toEqual(new Set(['0/3 nodes are available: 3 Insufficient cpu.']));
    h.scheduler.close();
  });

  it('says so when a driver fits but its minimum executors do not', async () => {
    const h = harness({ settings: { gang: { minWorkers: 2, workerRequests: { cpu: 2000, memory: 2 ** 30 } } } });
    h.scheduler.onNodeAdd(node('n0', { cpu: '4' }));
    h.scheduler.onPodAdd(driver('big'));
    await drain(h);
    expect(h.binder.bound.size).toBe(0);
    expect(h.events.of('default/big-driver', 'FailedScheduling')[0]?.message).toBe(
      '0/1 nodes are available: gang big needs room for 2 more worker(s) of cpu 2, memory 1Gi beside its leader, and only 1 fit.',
    );
    expect(h.scheduler.cache.node('n0')!.requested['cpu'] ?? 0).toBe(0);
    expect(h.scheduler.cache.node('n0')!.reservedTotal).toEqual({});
    h.scheduler.close();
  });

  /** Plays Spark for ten apps: running drivers get two executors; apps whose executors ran finish. Returns the apps done. */
  async function tenApps(h: Harness): Promise<number> {
    const drivers = new Map<string, SchedPod>();
    for (let i = 0; i < 10; i++) {
      const d = driver(`app${i}`);
      drivers.set(`app${i}`, d);
      h.scheduler.onPodAdd(d);
    }
    const done = new Set<string>();
    const started = new Set<string>();
    for (let round = 0; round < 20 && done.size < 10; round++) {
      await drain(h);
      for (const [app, d] of drivers) {
        if (done.has(app) || !h.binder.bound.has(d.key)) continue;
        const execs = [executor(app, 1), executor(app, 2)];
        if (!started.has(app)) {
          started.add(app);
          for (const e of execs) h.scheduler.onPodAdd(e);
          continue;
        }
        if (!execs.every((e) => h.binder.bound.has(e.key))) continue;
        for (const e of execs) {
          const r = running(h, e);
          h.scheduler.onPodUpdate(r, { ...r, phase: 'Succeeded' });
        }
        h.scheduler.onPodDelete(running(h, d));
        done.add(app);
      }
      // Bound and held room never exceed a node's cpu.
      for (const n of h.scheduler.cache.nodes()) expect((n.requested['cpu'] ?? 0) + (n.reservedTotal['cpu'] ?? 0)).toBeLessThanOrEqual(4000);
      h.clock.advance(1_000);
    }
    return done.size;
  }

  it('completes all ten apps, three at a time, as executors take the room held for them', async () => {
    const h = cluster();
    expect(await tenApps(h)).toBe(10);
    h.scheduler.close();
  });

  it('deadlocks the same ten apps without the gang plugin (what the reservation prevents)', async () => {
    const h = cluster({ settings: { disabledPlugins: ['Gang'] } });
    expect(await tenApps(h)).toBe(0);
    h.scheduler.close();
  });

  it('gives the room back when the executors do not come within the reservation timeout', async () => {
    const h = cluster({ settings: { gang: { minWorkers: 2, workerRequests: { cpu: 1500, memory: 2 ** 30 }, reservationTimeoutMs: 30_000 } } });
    for (let i = 0; i < 4; i++) h.scheduler.onPodAdd(driver(`app${i}`));
    await drain(h);
    expect(h.binder.bound.size).toBe(3);
    expect(h.scheduler.reservations.list()).toHaveLength(3);
    h.clock.advance(30_000);
    await drain(h);
    expect(h.scheduler.reservations.list().length).toBeGreaterThan(0); // app3 got its turn and holds room now
    expect(h.binder.bound.has('default/app3-driver')).toBe(true);
    h.scheduler.close();
  });

  it('does not hold a Spark app with fewer executors than the default minimum (only a PodGroup states one)', async () => {
    const h = cluster();
    h.scheduler.onPodAdd(driver('small'));
    await drain(h);
    h.scheduler.onPodAdd(executor('small', 1));
    await drain(h);
    expect(h.binder.bound.has('default/small-exec-1')).toBe(true);
    expect(h.scheduler.gang.isComplete('default/small')).toBe(true);
    // The room held for the second executor the defaults expected goes back.
    expect(h.scheduler.reservations.list()).toEqual([]);
    h.scheduler.close();
  });

  it('lets executors prefer and use the room held for their own app', async () => {
    const h = cluster();
    h.scheduler.onPodAdd(driver('solo'));
    await drain(h);
    const held = h.scheduler.reservations.list()[0]!;
    expect(held.slots).toHaveLength(2);
    h.scheduler.onPodAdd(executor('solo', 1));
    h.scheduler.onPodAdd(executor('solo', 2));
    await drain(h);
    expect(h.binder.bound.get('default/solo-exec-1')).toBe(held.slots[0]!.node);
    expect(h.binder.bound.get('default/solo-exec-2')).toBe(held.slots[1]!.node);
    expect(h.scheduler.reservations.list()).toHaveLength(0);
    expect(h.scheduler.gang.isComplete('default/solo')).toBe(true);
    h.scheduler.close();
  });

  it('holds the default executors in batch resources on nodes that publish them, as the webhook will store them', async () => {
    // A node full of online requests (1 of 2 cpu left after the driver) with 8 batch cores idle in
    // fact: executors held in plain cpu would not fit; as batch work they do.
    const h = harness({ settings: { gang: { minWorkers: 2, workerRequests: { cpu: 1000, memory: 1408 * 2 ** 20 } } } });
    h.scheduler.onNodeAdd(node('n0', { cpu: '2', extra: { 'kubernetes.io/batch-cpu': '8000', 'kubernetes.io/batch-memory': String(16 * 2 ** 30) } }));
    h.scheduler.onPodAdd(driver('spark'));
    await drain(h);
    expect(h.binder.bound.get('default/spark-driver')).toBe('n0');
    const held = h.scheduler.reservations.list()[0]!;
    expect(held.slots.map((s) => s.amounts)).toEqual([
      { 'kubernetes.io/batch-cpu': 1000, 'kubernetes.io/batch-memory': 1408 * 2 ** 20 },
      { 'kubernetes.io/batch-cpu': 1000, 'kubernetes.io/batch-memory': 1408 * 2 ** 20 },
    ]);
    // The executors as the webhook stored them take that room.
    for (const i of [1, 2]) h.scheduler.onPodAdd(pod(`spark-exec-${i}`, { requests: { 'kubernetes.io/batch-cpu': '1000', 'kubernetes.io/batch-memory': String(1408 * 2 ** 20) }, labels: { 'spark-role': 'executor', 'spark-app-selector': 'spark' } }));
    await drain(h);
    expect(h.binder.bound.get('default/spark-exec-1')).toBe('n0');
    expect(h.binder.bound.get('default/spark-exec-2')).toBe('n0');
    expect(h.scheduler.gang.isComplete('default/spark')).toBe(true);
    h.scheduler.close();
  });

  it('holds plain cpu and memory on nodes without batch capacity (no batch controller there)', async () => {
    const h = harness({ settings: { gang: { minWorkers: 2, workerRequests: { cpu: 1000, memory: 1408 * 2 ** 20 } } } });
    h.scheduler.onNodeAdd(node('n0', { cpu: '4' }));
    h.scheduler.onPodAdd(driver('plain'));
    await drain(h);
    expect(h.binder.bound.get('default/plain-driver')).toBe('n0');
    expect(h.scheduler.reservations.list()[0]!.slots.map((s) => s.amounts)).toEqual([
      { cpu: 1000, memory: 1408 * 2 ** 20 },
      { cpu: 1000, memory: 1408 * 2 ** 20 },
    ]);
    h.scheduler.close();
  });
});
