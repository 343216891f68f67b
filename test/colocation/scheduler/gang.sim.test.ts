// Ten Spark apps racing for room for three, on the sim: drivers are bound only with room held
// for their minimum executors, so every app completes and no executor waits forever. Half the
// apps name a PodGroup (the test installs the CRD); half carry only Spark's labels. The test
// plays Spark: a running driver gets its executors, finished executors end the app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startScheduler, type RunningScheduler } from '../../../colocation/scheduler/index.js';
import { KubeClient } from '../../../kube/index.js';
import { startSim, type Sim } from '../../../sim/index.js';
import { waitFor } from '../../helpers/wait.js';
import { FakeLoad, rawPod } from './fixtures.js';
import { POD_GROUP_CRD, podGroup } from './podgroup-crd.js';

let sim: Sim;
let client: KubeClient;
let running: RunningScheduler;

const NODE_CPU = 4_000;

beforeAll(async () => {
  sim = await startSim({ clusters: ['gang'], nodes: 3, nodeShape: { cpu: '4', memory: '16Gi', pods: 110 }, startDelayMs: 50, terminationDelayMs: 50, leaseIntervalMs: 0 });
  client = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig }, qps: 1000, burst: 1000 });
  await client.request({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: POD_GROUP_CRD });
  await waitFor('the PodGroup API', () => client.request({ path: '/apis/scheduling.x-k8s.io/v1alpha1' }).then(() => true), 10_000);
  running = await startScheduler({
    client,
    load: new FakeLoad(),
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    leaderElection: false,
    settings: {
      backoffInitialMs: 100,
      backoffMaxMs: 1_000,
      gang: { minWorkers: 2, workerRequests: { cpu: 1500, memory: 2 ** 30 }, reservationTimeoutMs: 60_000, permitTimeoutMs: 30_000 },
      scheduledEvents: false,
    },
  });
  await waitFor('the scheduler ready', () => running.ready(), 10_000);
});

afterAll(async () => {
  await running?.stop();
  client?.close();
  await sim?.stop();
});

interface PodView {
  name: string;
  node: string;
  phase: string;
  cpu: number;
  role: string;
}

function pods(): PodView[] {
  const out: PodView[] = [];
  for (const o of sim.cluster('gang').store.values('/pods', 'default')) {
    const p = JSON.parse(o.json);
    const req: string = p.spec.containers[0].resources?.requests?.cpu ?? '0';
    out.push({ name: p.metadata.name, node: p.spec.nodeName ?? '', phase: p.status?.phase ?? 'Pending', cpu: req.endsWith('m') ? Number(req.slice(0, -1)) : Number(req) * 1000, role: p.metadata.labels?.['spark-role'] ?? '' });
  }
  return out;
}

function sparkPod(app: string, role: 'driver' | 'executor', name: string, cpu: string, withPodGroup: boolean) {
  const p = rawPod(name, {
    cpu,
    memory: '1Gi',
    labels: { 'spark-app-selector': app, 'spark-role': role, ...(withPodGroup ? { 'scheduling.x-k8s.io/pod-group': app } : {}) },
    annotations: role === 'executor' ? { 'sim.tidepool.dev/duration': '1s' } : {},
  }) as Record<string, any>;
  delete p['metadata'].uid;
  delete p['metadata'].resourceVersion;
  delete p['metadata'].creationTimestamp;
  delete p['status'];
  p['spec'].restartPolicy = 'Never';
  return p;
}

async function create(body: object): Promise<void> {
  await client.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body });
}

describe('gang scheduling on the sim', () => {
  it('holds a PodGroup member until its PodGroup exists and has minMember pods', async () => {
    const lone = sparkPod('solo', 'executor', 'solo-0', '100m', true);
    lone['metadata'].labels = { 'scheduling.x-k8s.io/pod-group': 'solo' };
    await create(lone);
    const reason = () => (JSON.parse(sim.cluster('gang').store.get('/pods', 'default/solo-0')!.json).status?.conditions as Array<Record<string, string>> | undefined)?.find((c) => c['type'] === 'PodScheduled')?.['message'];
    await waitFor('the missing PodGroup reported', () => reason() === '0/3 nodes are available: gang solo: PodGroup solo not found.', 10_000);
    await client.request({ method: 'POST', path: '/apis/scheduling.x-k8s.io/v1alpha1/namespaces/default/podgroups', body: podGroup('solo', 2, { cpu: '200m' }) });
    await waitFor('the member count reported', () => reason() === '0/3 nodes are available: gang solo has 1 pod(s), fewer than its minMember 2.', 10_000);
    const second = sparkPod('solo', 'executor', 'solo-1', '100m', true);
    second['metadata'].labels = { 'scheduling.x-k8s.io/pod-group': 'solo' };
    await create(second);
    await waitFor('both members bound', () => pods().filter((p) => p.name.startsWith('solo-') && p.node).length === 2, 10_000);
    for (const n of ['solo-0', 'solo-1']) await client.request({ method: 'DELETE', path: `/api/v1/namespaces/default/pods/${n}`, body: { gracePeriodSeconds: 0 } });
  });

  it('completes ten Spark apps racing for room for three, never binding a driver without room for its executors', async () => {
    const apps = Array.from({ length: 10 }, (_, i) => `app-${i}`);
    const withPodGroup = (app: string) => Number(app.split('-')[1]) < 5;
    for (const app of apps) {
      if (withPodGroup(app)) {
        await client.request({ method: 'POST', path: '/apis/scheduling.x-k8s.io/v1alpha1/namespaces/default/podgroups', body: podGroup(app, 3, { cpu: '4', memory: '3Gi' }) });
      }
    }
    for (const app of apps) await create(sparkPod(app, 'driver', `${app}-driver`, '1', withPodGroup(app)));

    const done = new Set<string>();
    const executorsMade = new Set<string>();
    const violations: string[] = [];
    let maxConcurrentDrivers = 0;
    await waitFor(
      'all ten apps to complete',
      async () => {
        const now = pods();
        const byName = new Map(now.map((p) => [p.name, p]));
        // Invariants: no node over its cpu; never more drivers running than apps that fit.
        const perNode = new Map<string, number>();
        for (const p of now) if (p.node && p.phase !== 'Succeeded' && p.phase !== 'Failed') perNode.set(p.node, (perNode.get(p.node) ?? 0) + p.cpu);
        for (const [n, cpu] of perNode) if (cpu > NODE_CPU) violations.push(`${n} holds ${cpu}m`);
        const drivers = now.filter((p) => p.role === 'driver' && p.node).length;
        maxConcurrentDrivers = Math.max(maxConcurrentDrivers, drivers);
        for (const app of apps) {
          if (done.has(app)) continue;
          const driver = byName.get(`${app}-driver`);
          if (driver?.phase !== 'Running') continue;
          const execs = [1, 2].map((i) => byName.get(`${app}-exec-${i}`));
          if (!executorsMade.has(app)) {
            executorsMade.add(app);
            for (const i of [1, 2]) await create(sparkPod(app, 'executor', `${app}-exec-${i}`, '1500m', withPodGroup(app)));
            continue;
          }
          if (execs.every((e) => e?.phase === 'Succeeded')) {
            await client.request({ method: 'DELETE', path: `/api/v1/namespaces/default/pods/${app}-driver`, body: { gracePeriodSeconds: 0 } });
            for (const i of [1, 2]) await client.request({ method: 'DELETE', path: `/api/v1/namespaces/default/pods/${app}-exec-${i}`, body: { gracePeriodSeconds: 0 } });
            done.add(app);
          }
        }
        return done.size === apps.length;
      },
      60_000,
      100,
    );
    expect(violations).toEqual([]);
    expect(maxConcurrentDrivers).toBeLessThanOrEqual(3);
    expect(running.scheduler.reservations.list()).toEqual([]);
  }, 90_000);
});
