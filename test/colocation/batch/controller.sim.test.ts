// The batch capacity controller against a simulated cluster, fed by the metrics.k8s.io source:
// what a user sees on the Node (kubernetes.io/batch-cpu and batch-memory in capacity and
// allocatable, the tidepool.dev/batch-breakdown annotation) follows the formula as online load
// changes, holds small changes back, drops to 0 when the load data goes stale, honours the
// ColocationPolicy (and its node pools), leaves virtual nodes alone, and writes only as leader.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BATCH_BREAKDOWN_ANNOTATION, BATCH_CPU, BATCH_MEMORY } from '../../../api/index.js';
import { registerBatchRoutes, startBatchController, startPolicySource, type BatchController, type BatchControllerOptions, type ColocationPolicyWatch, type PublishedBreakdown } from '../../../colocation/batch/index.js';
import { LoadStore, startMetricsApiSource, type MetricsApiSource } from '../../../colocation/load/index.js';
import type { KubeClient } from '../../../kube/index.js';
import { startSim, type Sim } from '../../../sim/index.js';
import { systemUsage } from '../../../sim/usage.js';
import { hasKubectl, Kubectl } from '../../helpers/kubectl.js';
import { waitFor } from '../../helpers/wait.js';
import { createUsagePod, deletePod, simClient } from '../load/sim-helpers.js';

const GI = 2 ** 30;
const N0 = 'c-node-0';
const N1 = 'c-node-1';
const ALLOC = { cpu: 8000, memory: 50 * GI };
const SYSTEM = systemUsage(ALLOC.cpu, ALLOC.memory);
const RESERVED = { cpu: 100, memory: GI };
const CP = '/apis/tidepool.dev/v1alpha1/colocationpolicies';

/** The policy the tests run under: short window and staleness bound so the tests run in seconds. */
const POLICY = {
  apiVersion: 'tidepool.dev/v1alpha1',
  kind: 'ColocationPolicy',
  metadata: { name: 'default' },
  spec: {
    thresholds: { reclaimPercent: { cpu: 60, memory: 70 } },
    usageWindowSeconds: 3,
    staleAfterSeconds: 3,
    nodePools: [{ name: 'small', nodeSelector: { 'kubernetes.io/hostname': N1 }, thresholds: { reclaimPercent: { cpu: 30 } } }],
  },
};

/** The formula with the test's numbers, written out independently of the code under test. */
function expectedBatch(percent: { cpu: number; memory: number }, online: { cpu: number; memory: number }): { cpu: number; memory: number } {
  return {
    cpu: Math.max(0, Math.floor((ALLOC.cpu * percent.cpu) / 100 - online.cpu - SYSTEM.cpuMilli - RESERVED.cpu)),
    memory: Math.max(0, Math.floor((ALLOC.memory * percent.memory) / 100 - online.memory - SYSTEM.memoryBytes - RESERVED.memory)),
  };
}

let sim: Sim;
let client: KubeClient;
let store: LoadStore;
let source: MetricsApiSource | undefined;
let policies: ColocationPolicyWatch;
const running: BatchController[] = [];

interface NodeView {
  cpu: number | undefined;
  memory: number | undefined;
  capacityCpu: number | undefined;
  breakdown: PublishedBreakdown | undefined;
}

async function nodeView(name: string): Promise<NodeView> {
  const n = await client.requestJson<{ metadata: { annotations?: Record<string, string> }; status?: { allocatable?: Record<string, string>; capacity?: Record<string, string> } }>({ path: `/api/v1/nodes/${name}` });
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const ann = n.metadata.annotations?.[BATCH_BREAKDOWN_ANNOTATION];
  return {
    cpu: num(n.status?.allocatable?.[BATCH_CPU]),
    memory: num(n.status?.allocatable?.[BATCH_MEMORY]),
    capacityCpu: num(n.status?.capacity?.[BATCH_CPU]),
    breakdown: ann === undefined ? undefined : (JSON.parse(ann) as PublishedBreakdown),
  };
}

/**
 * The node's view once its figures and their breakdown agree: the controller writes the status
 * first and the annotation that explains it second, so a read between the two writes sees new
 * figures beside the old breakdown (or none yet).
 */
async function settledView(name: string): Promise<NodeView | undefined> {
  const v = await nodeView(name);
  return v.breakdown !== undefined && v.breakdown.result.cpu === v.cpu && v.breakdown.result.memory === v.memory ? v : undefined;
}

function start(extra: Partial<BatchControllerOptions> = {}): BatchController {
  const c = startBatchController({ client, load: store, policies, reserved: RESERVED, leaderElection: false, policySyncTimeoutMs: 5_000, ...extra });
  running.push(c);
  return c;
}

function startSource(): void {
  source = startMetricsApiSource({ client, store, intervalMs: 200 });
}

beforeAll(async () => {
  sim = await startSim({ clusters: ['c'], nodes: 2, nodeShape: { cpu: '8', memory: '50Gi', pods: 110 }, scheduler: false, startDelayMs: 0 });
  client = simClient(sim, 'c');
  const crd = parseYaml(readFileSync(new URL('../../../deploy/crds/colocationpolicy.yaml', import.meta.url), 'utf8')) as object;
  await client.request({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: crd });
  await waitFor('the ColocationPolicy resource to be served', async () => (await client.request({ path: CP })).status === 200, 15_000);
  await client.request({ method: 'POST', path: CP, body: POLICY });
  policies = startPolicySource({ client });
  await waitFor('the policy in effect', () => policies.inEffect().name === 'default', 10_000);
  store = new LoadStore();
  await createUsagePod(client, { name: 'web', node: N0, cpuUsage: '1500m', memoryUsage: '4Gi', qos: 'online' });
  await createUsagePod(client, { name: 'exec-1', node: N0, cpuUsage: '2', memoryUsage: '2Gi', qos: 'offline' });
  startSource();
  await waitFor('load samples with both pods', () => store.latest(N0)?.onlineCpu === 1500 && store.latest(N0)!.cpu === SYSTEM.cpuMilli + 3500, 10_000);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  if (!source) startSource();
});

afterAll(async () => {
  await source?.stop();
  await policies?.stop();
  client?.close();
  await sim?.stop();
});

describe('batch capacity controller', () => {
  it('publishes allocatable × reclaim − peak online usage − system usage − reserved on each node, in capacity and allocatable, with its breakdown', async () => {
    const c = start();
    const want0 = expectedBatch({ cpu: 60, memory: 70 }, { cpu: 1500, memory: 4 * GI });
    const want1 = expectedBatch({ cpu: 30, memory: 70 }, { cpu: 0, memory: 0 });
    const v0 = await waitFor('node 0 figures', async () => {
      const v = await settledView(N0);
      return v?.cpu === want0.cpu && v.memory === want0.memory ? v : undefined;
    });
    expect(v0.capacityCpu).toBe(want0.cpu);
    expect(v0.breakdown).toMatchObject({
      node: N0,
      allocatable: ALLOC,
      reclaimPercent: { cpu: 60, memory: 70 },
      onlineUsageMax: { cpu: 1500, memory: 4 * GI },
      systemUsage: { cpu: SYSTEM.cpuMilli, memory: SYSTEM.memoryBytes },
      reserved: RESERVED,
      result: want0,
      source: 'metrics-api',
      policy: 'default',
      pool: null,
      windowSeconds: 3,
    });
    expect(v0.breakdown!.dataAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(v0.breakdown!.degraded).toBeUndefined();
    // The offline executor's 2 CPUs are not online load: they do not shrink the batch capacity.
    const v1 = await waitFor('node 1 figures (pool "small")', async () => {
      const v = await settledView(N1);
      return v?.cpu === want1.cpu && v.memory === want1.memory && v.breakdown?.pool === 'small' ? v : undefined;
    });
    expect(v1.breakdown).toMatchObject({ pool: 'small', reclaimPercent: { cpu: 30, memory: 70 }, result: want1 });
    // The same figures are there to ask for (the capacity API's view).
    expect(c.breakdown(N0)).toMatchObject({ result: want0 });
    expect(c.published(N0)).toMatchObject({ cpu: want0.cpu, memory: want0.memory, explained: true });
  });

  it('explains a node over HTTP, and answers bad or unknown names with a Status', async () => {
    const c = start();
    const app = Fastify();
    registerBatchRoutes(app, c);
    try {
      await waitFor('the node cache', () => c.ready());
      expect((await app.inject('/readyz')).statusCode).toBe(200);
      const ok = await app.inject(`/api/v1/batch/nodes/${N0}`);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ breakdown: { node: N0, policy: 'default', reclaimPercent: { cpu: 60 } } });
      const missing = await app.inject('/api/v1/batch/nodes/no-such-node');
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
      const bad = await app.inject('/api/v1/batch/nodes/Not_A_Node');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/not a valid node name/);
    } finally {
      await app.close();
    }
  });

  it.skipIf(!hasKubectl)('shows the figures and the breakdown to kubectl', async () => {
    start();
    const want0 = expectedBatch({ cpu: 60, memory: 70 }, { cpu: 1500, memory: 4 * GI });
    await waitFor('node 0 figures', async () => (await nodeView(N0)).cpu === want0.cpu);
    const kubectl = new Kubectl(sim.kubeconfig);
    try {
      const out = await kubectl.ok(['get', 'node', N0, '-o', `jsonpath={.status.allocatable.kubernetes\\.io/batch-cpu}`]);
      expect(out).toBe(String(want0.cpu));
      const described = await kubectl.ok(['describe', 'node', N0]);
      expect(described).toMatch(new RegExp(`kubernetes.io/batch-cpu:\\s+${want0.cpu}`));
      expect(described).toContain('tidepool.dev/batch-breakdown');
    } finally {
      kubectl.cleanup();
    }
  });

  it('follows online load: a burst takes the capacity to 0 at once, and it comes back once the burst leaves the window', async () => {
    start();
    const calm = expectedBatch({ cpu: 60, memory: 70 }, { cpu: 1500, memory: 4 * GI });
    await waitFor('calm figures', async () => (await nodeView(N0)).cpu === calm.cpu);
    await createUsagePod(client, { name: 'burst', node: N0, cpuUsage: '3', memoryUsage: '1Gi', qos: 'online' });
    const busy = expectedBatch({ cpu: 60, memory: 70 }, { cpu: 4500, memory: 5 * GI });
    expect(busy.cpu).toBe(0);
    try {
      const v = await waitFor('figures under the burst', async () => {
        const x = await settledView(N0);
        return x?.cpu === busy.cpu && x.memory === busy.memory ? x : undefined;
      });
      expect(v.breakdown).toMatchObject({ onlineUsageMax: { cpu: 4500, memory: 5 * GI }, result: busy });
    } finally {
      await deletePod(client, 'burst');
    }
    const back = await waitFor('figures after the burst left the 3 s window', async () => {
      const x = await nodeView(N0);
      return x.cpu === calm.cpu ? x : undefined;
    }, 15_000);
    expect(back.memory).toBe(calm.memory);
  });

  it('holds back a change under 10 %, and writes it once the last write is older than the quiet limit', async () => {
    const registry = new Registry();
    const c = start({ registry, publish: { maxQuietMs: 60 * 60_000 } });
    const calm = expectedBatch({ cpu: 60, memory: 70 }, { cpu: 1500, memory: 4 * GI });
    await waitFor('calm figures', async () => (await nodeView(N0)).cpu === calm.cpu);
    await createUsagePod(client, { name: 'small', node: N0, cpuUsage: '100m', memoryUsage: '64Mi', qos: 'online' });
    try {
      const nudged = expectedBatch({ cpu: 60, memory: 70 }, { cpu: 1600, memory: 4 * GI + 64 * 2 ** 20 });
      expect((calm.cpu - nudged.cpu) / calm.cpu).toBeLessThan(0.1);
      await waitFor('the controller to compute the nudged figure', () => c.breakdown(N0)?.result.cpu === nudged.cpu);
      await waitFor('a held decision', async () => /tidepool_batch_publish_decisions_total\{rule="hysteresis"\} [1-9]/.test(await registry.metrics()));
      expect((await nodeView(N0)).cpu).toBe(calm.cpu);

      // Same controller settings but a short quiet limit: the small change is written as overdue.
      await Promise.all(running.splice(0).map((x) => x.stop()));
      const registry2 = new Registry();
      start({ registry: registry2, publish: { maxQuietMs: 1_000 } });
      const v = await waitFor('the overdue write', async () => {
        const x = await nodeView(N0);
        return x.cpu === nudged.cpu ? x : undefined;
      });
      expect(v.memory).toBe(nudged.memory);
      expect(await registry2.metrics()).toMatch(/tidepool_batch_publish_decisions_total\{rule="overdue"\} [1-9]/);
    } finally {
      await deletePod(client, 'small');
    }
    // Leave the node as the other tests expect it (the way back is a small change too).
    await waitFor('calm figures again', async () => (await nodeView(N0)).cpu === calm.cpu);
  });

  it('drops to 0 when the load data goes stale, says so in the breakdown, and recovers when data flows again', async () => {
    start();
    const calm = expectedBatch({ cpu: 60, memory: 70 }, { cpu: 1500, memory: 4 * GI });
    await waitFor('calm figures', async () => (await nodeView(N0)).cpu === calm.cpu);
    await source!.stop();
    source = undefined;
    // No event arrives once the source is silent: the controller must look again by itself.
    const v = await waitFor('the stale figures', async () => {
      const x = await settledView(N0);
      return x?.cpu === 0 && x.memory === 0 ? x : undefined;
    }, 15_000);
    expect(v.breakdown).toMatchObject({ degraded: 'stale-load-data', result: { cpu: 0, memory: 0 }, staleAfterSeconds: 3 });
    expect(v.breakdown!.dataAgeSeconds).toBeGreaterThan(3);
    startSource();
    await waitFor('figures back', async () => (await nodeView(N0)).cpu === calm.cpu, 15_000);
  });

  it('publishes 0 for a node with no load data at all, and leaves virtual nodes alone', async () => {
    await client.request({
      method: 'POST',
      path: '/api/v1/nodes',
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'dark-node', labels: { 'kubernetes.io/hostname': 'dark-node' } } },
    });
    await client.request({
      method: 'POST',
      path: '/api/v1/nodes',
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'virtual-pool', labels: { type: 'virtual-kubelet' } } },
    });
    try {
      const c = start();
      const dark = await waitFor('the dark node figures', async () => {
        const x = await settledView('dark-node');
        return x?.cpu === 0 ? x : undefined;
      });
      expect(dark.breakdown).toMatchObject({ degraded: 'no-load-data', dataAgeSeconds: null, source: null });
      // By the time the dark node is written, the virtual node has been looked at too.
      await waitFor('node 0 figures', async () => (await nodeView(N0)).cpu !== undefined);
      expect((await nodeView('virtual-pool')).cpu).toBeUndefined();
      expect(c.breakdown('virtual-pool')).toBeUndefined();
    } finally {
      for (const n of ['dark-node', 'virtual-pool']) await client.request({ method: 'DELETE', path: `/api/v1/nodes/${n}` });
    }
  });

  it('writes only while leading: of two replicas one leads, and the other takes over when it stops', async () => {
    const le = { namespace: 'kube-system', leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 200 };
    const regA = new Registry();
    const regB = new Registry();
    const a = start({ registry: regA, leaderElection: { ...le, identity: 'replica-a' } });
    const b = start({ registry: regB, leaderElection: { ...le, identity: 'replica-b' } });
    await waitFor('a leader', () => a.isLeader() || b.isLeader(), 10_000);
    expect(a.isLeader() && b.isLeader()).toBe(false);
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    await waitFor('both caches ready', () => a.ready() && b.ready());
    const [leaderReg, followerReg] = leader === a ? [regA, regB] : [regB, regA];
    // Any replica explains a node; only the leader decides and writes.
    expect(follower.breakdown(N0)?.result).toEqual(leader.breakdown(N0)?.result);
    await waitFor('the leader to decide about the nodes', async () => /tidepool_batch_publish_decisions_total\{rule="\w+"\} [1-9]/.test(await leaderReg.metrics()));
    expect(await followerReg.metrics()).not.toMatch(/tidepool_batch_publish_decisions_total\{/);
    expect(await followerReg.metrics()).toMatch(/tidepool_batch_leader 0/);
    await leader.stop();
    running.splice(running.indexOf(leader), 1);
    await waitFor('the follower to take over', () => follower.isLeader(), 10_000);
    const lease = await client.requestJson<{ spec: { holderIdentity: string } }>({ path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/tidepool-batch-controller' });
    expect(lease.spec.holderIdentity).toBe(follower === a ? 'replica-a' : 'replica-b');
  });
});
