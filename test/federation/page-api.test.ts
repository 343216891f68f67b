// What the console reads besides the capacity document: the virtual nodes as the host cluster
// has them (GET /api/v1/virtual-nodes) and utilization over time split into online and offline
// use (GET /api/v1/history), against simulated clusters.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Federation, buildServer } from '../../federation/index.js';
import { podUsageSplit, type HistorySample } from '../../federation/federation.js';
import type { VirtualNodesDocument } from '../../federation/virtual-nodes.js';
import type { KubeClient } from '../../kube/index.js';
import { startSim, type Sim } from '../../sim/index.js';
import { waitFor } from '../helpers/wait.js';
import { clientFor, createPod, podBody } from './helpers.js';

describe('podUsageSplit: pod CPU by QoS class from a PodMetricsList', () => {
  it('counts offline by the tidepool.dev/qos label and Spark/Flink workers, the rest online', () => {
    const pm = (labels: Record<string, string>, ...cpu: string[]): object => ({ metadata: { labels }, containers: cpu.map((c) => ({ usage: { cpu: c } })) });
    const split = podUsageSplit({
      items: [
        pm({ 'tidepool.dev/qos': 'offline' }, '500m', '250m'),
        pm({ 'spark-role': 'executor' }, '1'),
        pm({ type: 'flink-native-kubernetes', component: 'taskmanager' }, '2000m'),
        pm({ 'spark-role': 'driver' }, '300m'),
        pm({ app: 'web' }, '1500m'),
        pm({}, 'not-a-quantity'),
      ] as never,
    });
    expect(split).toEqual({ offline: 750 + 1000 + 2000, online: 300 + 1500 });
    expect(podUsageSplit({})).toEqual({ online: 0, offline: 0 });
  });
});

let sim: Sim;
let fed: Federation;
let host: KubeClient;
let east: KubeClient;
let withHost: FastifyInstance;
let withoutHost: FastifyInstance;

beforeAll(async () => {
  sim = await startSim({ clusters: ['host', 'east'], nodes: 2, hostNodes: 1, startDelayMs: 20, nodeShape: { cpu: '8', memory: '32Gi', pods: 110 } });
  fed = new Federation({ readyTimeoutMs: 2_000, probeIntervalMs: 200, usageIntervalMs: 300, historyIntervalMs: 300 });
  fed.start();
  east = clientFor(sim, 'east');
  fed.addMemberWithClient('east', clientFor(sim, 'east'));
  host = clientFor(sim, 'host');
  withHost = buildServer({ federation: fed, hostCluster: host });
  withoutHost = buildServer({ federation: fed });
  await fed.member('east')!.waitForReady(10_000);
}, 30_000);

afterAll(async () => {
  await withHost?.close();
  await withoutHost?.close();
  await fed?.stop();
  host?.close();
  east?.close();
  await sim?.stop();
});

async function virtualNodes(app: FastifyInstance): Promise<VirtualNodesDocument> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/virtual-nodes' });
  expect(res.statusCode).toBe(200);
  return res.json<VirtualNodesDocument>();
}

async function history(): Promise<{ intervalMs: number; samples: HistorySample[] }> {
  return (await withHost.inject({ method: 'GET', url: '/api/v1/history' })).json();
}

function virtualNode(name: string, ready: boolean, labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { type: 'virtual-kubelet', ...labels } },
    status: {
      allocatable: { cpu: '12500m', memory: '40Gi', pods: '300', 'kubernetes.io/batch-cpu': '7000', 'kubernetes.io/batch-memory': '1073741824' },
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'NoMemberClusterReady', message: ready ? '1/1 member clusters ready (east)' : 'no member cluster is ready (east: not ready)' }],
    },
  };
}

describe('GET /api/v1/virtual-nodes', { timeout: 30_000 }, () => {
  it('without a host cluster says it is not connected and lists nothing', async () => {
    expect(await virtualNodes(withoutHost)).toEqual({ connected: false, nodes: [] });
  });

  it('lists only the host\'s virtual nodes, as they are: none before one registers', async () => {
    // The host has a real node; it is not a virtual node and is not listed.
    expect(await virtualNodes(withHost)).toEqual({ connected: true, nodes: [] });
  });

  it('shows a registered virtual node with its readiness, member and allocatable figures', async () => {
    await host.request({ method: 'POST', path: '/api/v1/nodes', body: virtualNode('tidepool-east', false, { 'tidepool.dev/virtual-node': 'true', 'tidepool.dev/member-cluster': 'east' }) });
    await host.request({ method: 'POST', path: '/api/v1/nodes', body: virtualNode('other-vk', true) });
    const doc = await waitFor('both virtual nodes listed', async () => {
      const d = await virtualNodes(withHost);
      return d.nodes.length === 2 ? d : undefined;
    });
    expect(doc.nodes.map((n) => n.name)).toEqual(['other-vk', 'tidepool-east']);
    const [other, ours] = doc.nodes;
    expect(ours).toMatchObject({
      ready: false,
      reason: 'NoMemberClusterReady',
      message: 'no member cluster is ready (east: not ready)',
      memberCluster: 'east',
      tidepool: true,
      allocatable: { cpu: 12_500, memory: 40 * 1024 ** 3, pods: 300, batchCpu: 7000, batchMemory: 1024 ** 3 },
    });
    expect(other).toMatchObject({ ready: true, memberCluster: null, tidepool: false });
  });

  it('keeps the last list and says why when the host cluster stops answering', async () => {
    sim.cluster('host').setFaults({ errorRate: 1, errorCode: 500 });
    try {
      const doc = await waitFor('the error to show', async () => {
        const d = await virtualNodes(withHost);
        return d.error ? d : undefined;
      });
      expect(doc.error).toMatch(/^cannot list the host cluster's nodes: /);
      expect(doc.nodes.map((n) => n.name)).toEqual(['other-vk', 'tidepool-east']);
    } finally {
      sim.cluster('host').clearFaults();
    }
    await waitFor('the error to clear', async () => (await virtualNodes(withHost)).error === undefined);
  });
});

describe('GET /api/v1/history: utilization over time', { timeout: 30_000 }, () => {
  it('says its sample period and splits each member\'s measured pod CPU into online and offline', async () => {
    expect((await history()).intervalMs).toBe(300);
    const nodes = sim.cluster('east').fleet.nodeNames();
    await createPod(east, 'default', podBody('web', '2', '1Gi', { nodeName: nodes[0]!, labels: { app: 'web' }, annotations: { 'sim.tidepool.dev/cpu-usage': '1200m' } }));
    await createPod(east, 'default', podBody('exec-1', '2', '1Gi', { nodeName: nodes[1]!, labels: { 'spark-role': 'executor' }, annotations: { 'sim.tidepool.dev/cpu-usage': '1700m' } }));
    await createPod(east, 'default', podBody('batch-1', '1', '1Gi', { nodeName: nodes[1]!, labels: { 'tidepool.dev/qos': 'offline' }, annotations: { 'sim.tidepool.dev/cpu-usage': '300m' } }));
    // Node usage (NodeMetrics, polled on its own period) also holds the nodes' own daemons:
    // once it has seen the pods, it is more than the pods together.
    const sample = await waitFor('a sample with the pods running', async () => {
      const last = (await history()).samples.at(-1)?.clusters['east'];
      return last && last.cpuOfflineUsage === 2000 && last.cpuUsage > 1200 + 2000 ? last : undefined;
    }, 15_000);
    expect(sample.cpuOnlineUsage).toBe(1200);
    expect(sample.cpuAllocatable).toBe(16_000);
  });
});
