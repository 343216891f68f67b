// startScheduler as a component: leader election between two replicas on the sim (only the
// leader binds; a follower takes over when the leader stops), and options checked at start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { SchedulerConfigError, resolveSettings, startScheduler, type RunningScheduler } from '../../../colocation/scheduler/index.js';
import { KubeClient } from '../../../kube/index.js';
import { startSim, type Sim } from '../../../sim/index.js';
import { waitFor } from '../../helpers/wait.js';
import { FakeLoad, rawPod } from './fixtures.js';

let sim: Sim;
const clients: KubeClient[] = [];

beforeAll(async () => {
  sim = await startSim({ clusters: ['le'], nodes: 2, leaseIntervalMs: 0 });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await sim?.stop();
});

function replica(identity: string): Promise<RunningScheduler> {
  const client = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig }, qps: 500, burst: 500 });
  clients.push(client);
  return startScheduler({
    client,
    load: new FakeLoad(),
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    leaderElection: { identity, leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 },
  });
}

function nodeOf(name: string): string | undefined {
  const o = sim.cluster('le').store.get('/pods', `default/${name}`);
  return o ? JSON.parse(o.json).spec.nodeName : undefined;
}

function createPod(name: string): void {
  const c = sim.cluster('le');
  c.api.create(c.registry.lookup('', 'v1', 'pods')!, 'default', rawPod(name, { cpu: '100m' }) as never);
}

describe('startScheduler', () => {
  it('schedules only on the elected replica, and a follower takes over when the leader stops', async () => {
    const a = await replica('replica-a');
    let b: RunningScheduler | undefined;
    try {
      await waitFor('replica-a to lead', () => a.isLeader(), 10_000);
      b = await replica('replica-b');
      await waitFor('replica-b synced', () => b!.ready(), 10_000);
      expect(b.isLeader()).toBe(false);
      createPod('first');
      await waitFor('first bound', () => nodeOf('first'), 10_000);
      const lease = JSON.parse((await clients[0]!.request({ path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/tidepool-scheduler' })).body);
      expect(lease.spec.holderIdentity).toBe('replica-a');
      await a.stop();
      await waitFor('replica-b to lead', () => b!.isLeader(), 10_000);
      createPod('second');
      await waitFor('second bound by the new leader', () => nodeOf('second'), 10_000);
      const bound = (await b.scheduler.metrics.scheduled.get()).values.reduce((sum, v) => sum + v.value, 0);
      expect(bound).toBe(1);
    } finally {
      await a.stop();
      await b?.stop();
    }
  });

  it('refuses bad settings at start, naming the flag', async () => {
    expect(() => resolveSettings({ percentageOfNodesToScore: 150 })).toThrow(/--percentage-of-nodes-to-score: must be a number from 0 to 100, got 150/);
    expect(() => resolveSettings({ offlinePlacement: 'scatter' as never })).toThrow(/--offline-placement: must be "spread" or "pack", got "scatter"/);
    expect(() => resolveSettings({ backoffInitialMs: 5_000, backoffMaxMs: 1_000 })).toThrow(/--backoff-max-ms: must be a number from 5000 to 3600000, got 1000/);
    expect(() => resolveSettings({ gang: { minWorkers: -1 } })).toThrow(/--gang-min-workers/);
    expect(() => resolveSettings({ estimation: { cpuFactor: 2 } })).toThrow(/--estimate-cpu-factor/);
    const client = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig } });
    clients.push(client);
    const base = { client, load: new FakeLoad(), registry: new Registry(), logger: pino({ level: 'silent' }), leaderElection: false as const };
    await expect(startScheduler({ ...base, listen: { host: '127.0.0.1', port: 70_000 } })).rejects.toThrow(SchedulerConfigError);
    await expect(startScheduler({ ...base, schedulerName: 'Not A Name' })).rejects.toThrow(/--scheduler-name: must be a DNS subdomain/);
    await expect(startScheduler({ ...base, settings: { maxInFlightBindings: 0 } })).rejects.toThrow(/--max-in-flight-bindings: must be a whole number from 1 to 100000, got 0/);
  });

  it('stops on its signal', async () => {
    const client = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig } });
    clients.push(client);
    const ac = new AbortController();
    const r = await startScheduler({ client, load: new FakeLoad(), registry: new Registry(), logger: pino({ level: 'silent' }), leaderElection: false, signal: ac.signal, listen: { host: '127.0.0.1', port: 0 } });
    await waitFor('ready', () => r.ready(), 10_000);
    ac.abort();
    await r.stopped;
    await expect(fetch(`${r.url}/healthz`)).rejects.toThrow();
  });
});
