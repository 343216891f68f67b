// Trace workloads on running simulated clusters: online services whose demand follows the day
// curve, simulated time that runs faster than real time for the kubelets and the scheduler,
// Spark- and Flink-shaped apps whose pods run their planned time and finish, and what the
// sampler makes of it.
import { afterEach, describe, expect, it } from 'vitest';
import { SimCluster, startSim, seedOnlineServices, AppRunner, UtilizationSampler, type AppPlan, type Sim } from '../../sim/index.js';
import { createCertificateAuthority } from '../../kube/index.js';
import { waitFor } from '../helpers/wait.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const GI = 1024 ** 3;

type Obj = Record<string, unknown>;

let sim: Sim | undefined;
let cluster: SimCluster | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  await cluster?.stop();
  cluster = undefined;
});

function podsIn(c: SimCluster, ns: string): Obj[] {
  const podsRt = c.api.registry.lookup('', 'v1', 'pods')!;
  return c.api.list(podsRt, ns).items.map((o) => c.api.parse(o) as unknown as Obj);
}

function phaseOf(p: Obj): string {
  return String((p['status'] as Obj | undefined)?.['phase'] ?? '');
}

function app(id: string, kind: AppPlan['kind'], workers: number, arriveAfterMs: number, workerDurationMs: number, cpuMilli = 2000): AppPlan {
  return {
    id,
    kind,
    arriveAfterMs,
    leader: { cpuMilli: 1000, memoryBytes: GI, usageCpuMilli: 300 },
    workers,
    worker: { cpuMilli, memoryBytes: 2 * GI },
    workerDurationMs,
  };
}

describe('online services on the day curve', () => {
  it('average 25 % of the node over a day, low at night and high at noon', async () => {
    // A clock the test moves by hand: the kubelet reports demand for whatever time it says.
    let now = Date.UTC(2025, 0, 1);
    const midnight = now;
    const curve = { dayLengthMs: DAY, low: 0.5, high: 1 };
    cluster = new SimCluster({ name: 'day', ca: createCertificateAuthority('day-ca'), nodes: 2, clock: { now: () => now }, fleet: { startDelayMs: 0, leaseIntervalMs: 0, curve } });
    await cluster.start();
    expect(seedOnlineServices(cluster, curve)).toBe(8);
    await waitFor('the services running', () => podsIn(cluster!, 'online-services').every((p) => phaseOf(p) === 'Running'));

    const onlineShare = (): number => {
      const d = cluster!.fleet.cpuDemand();
      return d.reduce((a, n) => a + n.onlineCpuMilli, 0) / d.reduce((a, n) => a + n.cpuMilli, 0);
    };
    let sum = 0;
    const steps = 24 * 60;
    for (let i = 0; i < steps; i++) {
      now = midnight + i * MINUTE;
      sum += onlineShare();
    }
    expect(sum / steps).toBeCloseTo(0.25, 2);
    now = midnight;
    const night = onlineShare();
    now = midnight + 12 * HOUR;
    const noon = onlineShare();
    // 0.25 × 0.5 / 0.75 and 0.25 × 1 / 0.75, each within the ±10 % noise.
    expect(night).toBeGreaterThan(0.1667 * 0.9);
    expect(night).toBeLessThan(0.1667 * 1.1);
    expect(noon).toBeGreaterThan(0.3333 * 0.9);
    expect(noon).toBeLessThan(0.3333 * 1.1);
    // Requests stay at 85 % of the node whatever the time: 4 pods of 3400m on 16 cores.
    const requests = podsIn(cluster, 'online-services').map((p) => ((p['spec'] as Obj)['containers'] as Obj[])[0]!['resources']);
    expect(requests).toContainEqual({ requests: { cpu: '3400m', memory: '8Gi' } });
  });

  it('refuses a spec that cannot be, naming the field', async () => {
    cluster = new SimCluster({ name: 'bad', ca: createCertificateAuthority('bad-ca'), nodes: 1 });
    const curve = { dayLengthMs: DAY, low: 0.5, high: 1 };
    expect(() => seedOnlineServices(cluster!, curve, { cpuRequestShare: 1.5 })).toThrow(/cpuRequestShare must be a share from 0 to 1/);
    expect(() => seedOnlineServices(cluster!, curve, { averageCpuShare: 0.9, cpuRequestShare: 0.5 })).toThrow(/averageCpuShare \(0.9\) cannot exceed cpuRequestShare/);
    expect(() => seedOnlineServices(cluster!, curve, { podsPerNode: 0 })).toThrow(/podsPerNode/);
  });
});

describe('simulated time', () => {
  it('runs pod durations, API timestamps and the clock timeScale times faster than real time', async () => {
    const startAt = Date.UTC(2025, 0, 1);
    sim = await startSim({ clusters: ['fast'], nodes: 1, timeScale: 600, startAt });
    expect(sim.clock.scale).toBe(600);
    const c = sim.cluster('fast');
    const podsRt = c.api.registry.lookup('', 'v1', 'pods')!;
    c.api.create(podsRt, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ten-minutes', annotations: { 'sim.tidepool.dev/duration': '10m' } },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }] },
    });
    // Ten simulated minutes are one real second at 600×.
    const done = await waitFor('the pod to finish', () => podsIn(c, 'default').find((p) => p['metadata'] && phaseOf(p) === 'Succeeded'), 15_000);
    const status = done['status'] as Obj;
    const terminated = (((status['containerStatuses'] as Obj[])[0]!['state'] as Obj)['terminated'] as Obj);
    const ran = Date.parse(String(terminated['finishedAt'])) - Date.parse(String(terminated['startedAt']));
    expect(ran).toBeGreaterThanOrEqual(10 * MINUTE - 1000);
    expect(ran).toBeLessThan(20 * MINUTE);
    const created = Date.parse(String((done['metadata'] as Obj)['creationTimestamp']));
    expect(created).toBeGreaterThanOrEqual(startAt - 1000);
    expect(created).toBeLessThan(startAt + HOUR);
  });

  it('refuses a time scale it cannot run', async () => {
    await expect(startSim({ clusters: ['x'], timeScale: -1 })).rejects.toThrow(/startSim: timeScale must be a number from 1 to 100000/);
  });
});

describe('AppRunner', () => {
  it('plays Spark and Flink apps: leaders, then workers with the Spark/Flink labels, which finish and are cleaned up', async () => {
    sim = await startSim({ clusters: ['apps'], nodes: 2, timeScale: 600, startDelayMs: 1000, terminationDelayMs: 1000, leaseIntervalMs: 0 });
    const c = sim.cluster('apps');
    const seen = new Map<string, Obj>();
    const podsRt = c.api.registry.lookup('', 'v1', 'pods')!;
    const off = c.api.store.subscribe('/pods', (ev, written) => {
      if (ev.type === 'ADDED') seen.set(ev.object.name, structuredClone(written) as unknown as Obj);
    });
    const runner = new AppRunner({ cluster: c, plan: [app('spark-000000', 'spark', 3, 0, 5 * MINUTE), app('flink-000001', 'flink', 2, 2 * MINUTE, 5 * MINUTE)], keepFinished: false });
    try {
      runner.start();
      await waitFor('both apps done', () => runner.snapshot().completed === 2, 20_000);
      const s = runner.snapshot();
      expect(s).toMatchObject({ arrived: 2, completed: 2, stuck: 0, failed: 0, workersCreated: 5, workersStarted: 5, workersSucceeded: 5, workersLost: 0, leadersWaiting: 0, errors: [] });
      expect(s.workerWaitsMs).toHaveLength(5);
      expect(s.leaderWaitsMs).toHaveLength(2);
      // Every wait includes the kubelet's simulated one-second start delay, nothing unbounded.
      for (const w of [...s.workerWaitsMs, ...s.leaderWaitsMs]) {
        expect(w).toBeGreaterThanOrEqual(900);
        expect(w).toBeLessThan(10 * MINUTE);
      }
      expect(s.pendingWorkerAgesMs).toEqual([]);
      const labels = (name: string): Record<string, string> => ((seen.get(name)!['metadata'] as Obj)['labels'] as Record<string, string>);
      expect(labels('spark-000000-driver')).toMatchObject({ 'spark-role': 'driver', 'spark-app-selector': 'spark-000000' });
      expect(labels('spark-000000-exec-3')).toMatchObject({ 'spark-role': 'executor', 'spark-app-selector': 'spark-000000' });
      expect(labels('flink-000001-jobmanager')).toMatchObject({ type: 'flink-native-kubernetes', app: 'flink-000001', component: 'jobmanager' });
      expect(labels('flink-000001-taskmanager-1-2')).toMatchObject({ type: 'flink-native-kubernetes', app: 'flink-000001', component: 'taskmanager' });
      // Finished apps leave nothing behind.
      await waitFor('the cleanup', () => c.api.list(podsRt, 'batch').items.length === 0);
    } finally {
      runner.stop();
      off();
    }
  }, 30_000);

  it('asks again for a worker that was evicted, and the app still completes', async () => {
    sim = await startSim({ clusters: ['evict'], nodes: 1, timeScale: 600, startDelayMs: 1000, terminationDelayMs: 1000, leaseIntervalMs: 0 });
    const c = sim.cluster('evict');
    const podsRt = c.api.registry.lookup('', 'v1', 'pods')!;
    const runner = new AppRunner({ cluster: c, plan: [app('spark-000000', 'spark', 2, 0, 20 * MINUTE)] });
    try {
      runner.start();
      await waitFor('both executors running', () => runner.snapshot().workersStarted === 2, 15_000);
      c.api.delete(podsRt, 'batch', 'spark-000000-exec-1', { gracePeriodSeconds: 0 });
      await waitFor('a replacement executor', () => c.api.tryGet(podsRt, 'batch', 'spark-000000-exec-3') !== undefined, 10_000);
      await waitFor('the app done', () => runner.snapshot().completed === 1, 20_000);
      expect(runner.snapshot()).toMatchObject({ workersLost: 1, workersCreated: 3, workersSucceeded: 2, stuck: 0 });
    } finally {
      runner.stop();
    }
  }, 40_000);

  it('counts an app as stuck when its leader runs with none of its workers ever starting', async () => {
    // 4-core nodes: the driver fits, executors of 8 cores never will.
    sim = await startSim({ clusters: ['stuck'], nodes: 1, nodeShape: { cpu: '4', memory: '16Gi', pods: 110 }, timeScale: 600, startDelayMs: 0, leaseIntervalMs: 0 });
    const c = sim.cluster('stuck');
    const runner = new AppRunner({ cluster: c, plan: [app('spark-000000', 'spark', 2, 0, 10 * MINUTE, 8000)], stuckAfterMs: 10 * MINUTE });
    try {
      runner.start();
      await waitFor('the stuck app', () => runner.snapshot().stuck === 1, 15_000);
      const s = runner.snapshot();
      expect(s.completed).toBe(0);
      expect(s.workersStarted).toBe(0);
      expect(s.pendingWorkerAgesMs).toHaveLength(2);
      expect(Math.min(...s.pendingWorkerAgesMs)).toBeGreaterThanOrEqual(9 * MINUTE);
    } finally {
      runner.stop();
    }
  }, 30_000);
});

describe('the default scheduler under a backlog (the trace baseline)', () => {
  it('places waiting pods of one shape as soon as room appears, though that shape was just refused', async () => {
    sim = await startSim({ clusters: ['backlog'], nodes: 1, nodeShape: { cpu: '4', memory: '16Gi', pods: 110 }, timeScale: 600, startDelayMs: 0, leaseIntervalMs: 0 });
    const c = sim.cluster('backlog');
    const podsRt = c.api.registry.lookup('', 'v1', 'pods')!;
    const pod = (name: string, cpu: string): Parameters<typeof c.api.create>[2] => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }] },
    });
    c.api.create(podsRt, 'default', pod('big', '3'));
    await waitFor('big bound', () => podsIn(c, 'default').some((p) => (p['spec'] as Obj)['nodeName']));
    for (let i = 0; i < 10; i++) c.api.create(podsRt, 'default', pod(`wait-${i}`, '2'));
    const bound = (): Obj[] => podsIn(c, 'default').filter((p) => String((p['metadata'] as Obj)['name']).startsWith('wait-') && (p['spec'] as Obj)['nodeName']);
    await waitFor('all ten refused', () =>
      podsIn(c, 'default').filter((p) => ((p['status'] as Obj)['conditions'] as Obj[] | undefined)?.some((x) => x['type'] === 'PodScheduled' && x['status'] === 'False')).length === 10,
    );
    expect(bound()).toHaveLength(0);
    c.api.delete(podsRt, 'default', 'big', { gracePeriodSeconds: 0 });
    // 4 cores free: two of the 2-core pods fit, no more.
    await waitFor('two placed', () => bound().length === 2, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(bound()).toHaveLength(2);
  });
});

describe('UtilizationSampler', () => {
  it('samples every node on the simulated clock: utilization from demand, nothing unmet on a node with room', async () => {
    sim = await startSim({ clusters: ['s1', 's2'], nodes: 2, timeScale: 600, startDelayMs: 0, leaseIntervalMs: 0, dayCurve: { dayLengthMs: DAY, low: 1, high: 1 } });
    const c = sim.cluster('s1');
    const podsRt = c.api.registry.lookup('', 'v1', 'pods')!;
    c.api.create(podsRt, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'busy', annotations: { 'sim.tidepool.dev/cpu-usage': '8' } },
      spec: { nodeName: 's1-node-0', containers: [{ name: 'c', image: 'busybox' }] },
    });
    await waitFor('the pod running', () => podsIn(c, 'default').some((p) => phaseOf(p) === 'Running'));
    const sampler = new UtilizationSampler({ clusters: [...sim.clusters.values()], intervalMs: MINUTE });
    sampler.start();
    try {
      // A simulated minute is 100 real ms: a few samples come quickly.
      await waitFor('three samples', () => sampler.summary().samples >= 3, 10_000);
    } finally {
      sampler.stop();
    }
    const s = sampler.summary();
    // 4 nodes of 16 cores; each takes 420m for the system; one also runs 8 cores.
    expect(s.utilization).toBeCloseTo((4 * 420 + 8000) / 64_000, 6);
    expect(s.systemShare).toBeCloseTo((4 * 420) / 64_000, 6);
    expect(s.onlineShare).toBeCloseTo(8000 / 64_000, 6);
    expect(s.offlineShare).toBe(0);
    expect(s.onlineUnmetSamples).toBe(0);
    expect(s.nodeSamples).toBe(4 * s.samples);
    expect(s.lastAt! - s.firstAt!).toBeGreaterThanOrEqual((s.samples - 1) * MINUTE - 1000);
  });
});
