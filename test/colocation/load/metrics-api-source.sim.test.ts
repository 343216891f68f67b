// The metrics.k8s.io source against a simulated cluster: per-node samples whose online share is
// the online pods' usage (classified by api's qosClassOf), whose system share is what no pod
// uses, that follow load as pods come and go, and that stop (and so age) while the API is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadStore, startMetricsApiSource, type MetricsApiSource } from '../../../colocation/load/index.js';
import type { KubeClient } from '../../../kube/index.js';
import { startSim, type Sim } from '../../../sim/index.js';
import { systemUsage } from '../../../sim/usage.js';
import { waitFor } from '../../helpers/wait.js';
import { createUsagePod, deletePod, simClient } from './sim-helpers.js';

const GI = 2 ** 30;
const N0 = 'c-node-0';
const N1 = 'c-node-1';
// 2 % of 50Gi is exactly 1Gi: the simulated system memory is a whole number of KiB.
const SHAPE = { cpu: '8', memory: '50Gi', pods: 110 };
const SYSTEM = systemUsage(8000, 50 * GI);

let sim: Sim;
let client: KubeClient;
let store: LoadStore;
let source: MetricsApiSource;

beforeAll(async () => {
  sim = await startSim({ clusters: ['c'], nodes: 2, nodeShape: SHAPE, scheduler: false, startDelayMs: 0 });
  client = simClient(sim, 'c');
  store = new LoadStore();
  await createUsagePod(client, { name: 'web', node: N0, cpuUsage: '1500m', memoryUsage: '4Gi', qos: 'online' });
  // No qos label: api's classifier makes a Spark executor offline.
  await createUsagePod(client, { name: 'exec-1', node: N0, cpuUsage: '2', memoryUsage: '2Gi', labels: { 'spark-role': 'executor' } });
  source = startMetricsApiSource({ client, store, intervalMs: 200 });
});

afterAll(async () => {
  await source?.stop();
  client?.close();
  await sim?.stop();
});

describe('metrics.k8s.io load source', () => {
  it('reports each node: whole usage, online pods only as online, and the rest of what no pod uses as system', async () => {
    const s = await waitFor('a sample of node 0 with both pods running', () => {
      const l = store.latest(N0);
      return l && l.cpu === SYSTEM.cpuMilli + 3500 ? l : undefined;
    });
    expect(s).toMatchObject({
      source: 'metrics-api',
      cpu: SYSTEM.cpuMilli + 1500 + 2000,
      memory: SYSTEM.memoryBytes + 6 * GI,
      onlineCpu: 1500,
      onlineMemory: 4 * GI,
      systemCpu: SYSTEM.cpuMilli,
      systemMemory: SYSTEM.memoryBytes,
    });
    expect(store.latest(N1)).toMatchObject({ cpu: SYSTEM.cpuMilli, onlineCpu: 0, systemCpu: SYSTEM.cpuMilli });
    expect(Math.abs(Date.now() - s.sampledAt)).toBeLessThan(5_000);
  });

  it('follows the load as online pods come and go, and the window peak remembers the busier past', async () => {
    await createUsagePod(client, { name: 'web-2', node: N0, cpuUsage: '3', memoryUsage: '1Gi', qos: 'online' });
    await waitFor('online usage 4500m', () => store.latest(N0)?.onlineCpu === 4500, 10_000);
    await deletePod(client, 'web-2');
    await waitFor('online usage back to 1500m', () => store.latest(N0)?.onlineCpu === 1500, 10_000);
    expect(store.peak(N0, 60_000)).toMatchObject({ onlineCpu: 4500, onlineMemory: 5 * GI });
  });

  it('stops adding samples while the API server is down, so the data ages; and resumes after', async () => {
    const c = sim.cluster('c');
    await c.outage(true);
    try {
      await waitFor('the poll error', () => source.lastError, 10_000);
      const before = store.latest(N0)!.sampledAt;
      await new Promise((r) => setTimeout(r, 1200));
      expect(store.latest(N0)!.sampledAt).toBe(before);
      expect(store.ageMs(N0)).toBeGreaterThanOrEqual(1000);
    } finally {
      await c.outage(false);
    }
    await waitFor('fresh samples again', () => source.lastError === undefined && (store.ageMs(N0) ?? Infinity) < 1500, 15_000);
  });
});
