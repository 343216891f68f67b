// Offline eviction against a simulated cluster fed by metrics.k8s.io: a node whose usage stays
// above the eviction threshold sheds offline pods through the Eviction API — lowest priority
// first, then cheapest to lose (Spark executor with a shuffle service, without one, other batch
// work, a Flink taskmanager last) — only as many as the excess needs; a PodDisruptionBudget's
// refusal (429) moves on to the next pod; each decision is an Event and a metric; and the node
// carries the annotation that keeps offline pods from being sent straight back.
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COLOCATION_SETTINGS } from '../../../api/index.js';
import { OFFLINE_EVICTED_UNTIL_ANNOTATION, isOfflineBackoff, SPARK_SHUFFLE_SERVICE_ANNOTATION } from '../../../api/eviction.js';
import { staticPolicySource } from '../../../colocation/batch/index.js';
import { apiEvictor, startEvictionController, type EvictionController, type PodEvictor } from '../../../colocation/eviction/index.js';
import { LoadStore, startMetricsApiSource, type MetricsApiSource } from '../../../colocation/load/index.js';
import type { KubeClient } from '../../../kube/index.js';
import { startSim, type Sim } from '../../../sim/index.js';
import { waitFor } from '../../helpers/wait.js';
import { createUsagePod, simClient, type UsagePod } from '../load/sim-helpers.js';

const NODE = 'e-node-0';
const FLINK = { type: 'flink-native-kubernetes', component: 'taskmanager', app: 'wordcount' };
const SPARK = { 'spark-role': 'executor', 'spark-app-selector': 'spark-1' };
// Eviction at 80 % of 8 CPUs = 6400m; the default offline load threshold (65 %) keeps the gap.
const POLICY = staticPolicySource({ ...structuredClone(DEFAULT_COLOCATION_SETTINGS), nodePools: [] }, 'default');

let sim: Sim;
let client: KubeClient;
let store: LoadStore;
let source: MetricsApiSource;

/** Offline pods, each using 1 CPU and requesting 1000 batch millicores: what evicting one gives back. */
function offline(name: string, extra: Partial<UsagePod> = {}): UsagePod {
  return { name, node: NODE, cpuUsage: '1', memoryUsage: '256Mi', requests: { 'kubernetes.io/batch-cpu': '1000', 'kubernetes.io/batch-memory': '256Mi' }, ...extra };
}

async function podExists(name: string): Promise<boolean> {
  try {
    const p = await client.requestJson<{ metadata: { deletionTimestamp?: string } }>({ path: `/api/v1/namespaces/default/pods/${name}` });
    return p.metadata.deletionTimestamp === undefined;
  } catch {
    return false;
  }
}

async function events(reason: string): Promise<Array<{ involvedObject: { name: string }; message: string; type: string }>> {
  const list = await client.requestJson<{ items: Array<{ reason: string; involvedObject: { name: string }; message: string; type: string }> }>({ path: '/api/v1/namespaces/default/events' });
  return list.items.filter((e) => e.reason === reason);
}

beforeAll(async () => {
  sim = await startSim({ clusters: ['e'], nodes: 1, nodeShape: { cpu: '8', memory: '16Gi', pods: 110 }, scheduler: false, startDelayMs: 0, terminationDelayMs: 50 });
  client = simClient(sim, 'e');
  await client.request({ method: 'POST', path: '/apis/scheduling.k8s.io/v1/priorityclasses', body: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'batch-low' }, value: -10 } });
  store = new LoadStore();
  source = startMetricsApiSource({ client, store, intervalMs: 200 });
});

afterAll(async () => {
  await source?.stop();
  client?.close();
  await sim?.stop();
});

describe('offline eviction', () => {
  it('evicts offline pods in order until the excess is covered, tells why, and keeps offline pods away from the node', async () => {
    await createUsagePod(client, { name: 'web', node: NODE, cpuUsage: '3', memoryUsage: '2Gi', qos: 'online' });
    await createUsagePod(client, offline('flink-tm', { labels: FLINK }));
    await createUsagePod(client, offline('exec-no-shuffle', { labels: SPARK }));
    await createUsagePod(client, offline('exec-shuffle', { labels: SPARK, annotations: { [SPARK_SHUFFLE_SERVICE_ANNOTATION]: 'true' } }));
    await createUsagePod(client, offline('batch-job', { qos: 'offline' }));
    await createUsagePod(client, offline('batch-low', { qos: 'offline', priorityClassName: 'batch-low' }));
    // All six running: 260m system + 3 online + 5 offline = 8.26 CPUs, reported as the node's 8.
    await waitFor('the node under load', () => store.latest(NODE)?.cpu === 8000, 10_000);

    const registry = new Registry();
    // A stand-in for a PodDisruptionBudget on the Flink taskmanager (the sim has none): its
    // eviction is refused as the API server refuses one, with the result of a 429.
    const blocked: string[] = [];
    const real = apiEvictor(client);
    const evictor: PodEvictor = { evict: async (pod, signal) => (pod.name === 'exec-shuffle' ? (blocked.push(pod.name), 'blocked') : real.evict(pod, signal)) };
    let c: EvictionController | undefined;
    try {
      c = startEvictionController({ client, load: store, policies: POLICY, evictor, sustainMs: 1_000, cooldownMs: 60_000, backoffMs: 120_000, leaderElection: false, registry });
      await waitFor('the caches', () => c!.ready());
      expect(c.candidates(NODE).map((p) => p.name)).toEqual(['batch-low', 'exec-shuffle', 'exec-no-shuffle', 'batch-job', 'flink-tm']);
      expect(c.candidates(NODE).map((p) => p.workload)).toEqual(['batch', 'spark-executor-shuffle-service', 'spark-executor', 'batch', 'flink-taskmanager']);

      // Excess: 8000m − 6400m = 1600m; each offline pod gives back 1000m: two go.
      await waitFor('two evictions', async () => !(await podExists('batch-low')) && !(await podExists('exec-no-shuffle')), 15_000);
      expect(blocked).toEqual(['exec-shuffle']);
      expect(await podExists('exec-shuffle')).toBe(true);
      expect(await podExists('batch-job')).toBe(true);
      expect(await podExists('flink-tm')).toBe(true);

      const node = await waitFor('the back-off annotation', async () => {
        const n = await client.requestJson<{ metadata: { annotations?: Record<string, string> } }>({ path: `/api/v1/nodes/${NODE}` });
        return n.metadata.annotations?.[OFFLINE_EVICTED_UNTIL_ANNOTATION] !== undefined ? n : undefined;
      });
      expect(isOfflineBackoff(node.metadata.annotations, Date.now())).toBe(true);
      expect(isOfflineBackoff(node.metadata.annotations, Date.now() + 121_000)).toBe(false);

      const evicted = await waitFor('the eviction Events', async () => {
        const e = await events('EvictedForOnlineLoad');
        return e.length === 2 ? e : undefined;
      });
      expect(evicted.map((e) => e.involvedObject.name).sort()).toEqual(['batch-low', 'exec-no-shuffle']);
      expect(evicted[0]!.message).toMatch(/node e-node-0 cpu usage 8 stayed above the eviction threshold 6400m \(80 % of allocatable\) for 1 s/);
      const refused = await waitFor('the blocked Event', async () => (await events('EvictionBlocked')).find((e) => e.involvedObject.name === 'exec-shuffle'));
      expect(refused.message).toMatch(/PodDisruptionBudget/);
      const metrics = await registry.metrics();
      expect(metrics).toMatch(/tidepool_eviction_pods_total\{resource="cpu",result="evicted"\} 2/);
      expect(metrics).toMatch(/tidepool_eviction_pods_total\{resource="cpu",result="blocked"\} 1/);
      expect(metrics).toMatch(/tidepool_eviction_rounds_total\{resource="cpu"\} 1/);
    } finally {
      await c?.stop();
    }
  });

  it('maps the API server\'s answers: 429 (a PodDisruptionBudget) is blocked, a missing pod is gone', async () => {
    await createUsagePod(client, offline('guarded', { qos: 'offline' }));
    const uid = (await client.requestJson<{ metadata: { uid: string } }>({ path: '/api/v1/namespaces/default/pods/guarded' })).metadata.uid;
    const evictor = apiEvictor(client);
    const cluster = sim.cluster('e');
    cluster.setFaults({ errorRate: 1, errorCode: 429, retryAfterSeconds: 0 });
    try {
      expect(await evictor.evict({ namespace: 'default', name: 'guarded', uid })).toBe('blocked');
    } finally {
      cluster.clearFaults();
    }
    expect(await podExists('guarded')).toBe(true);
    expect(await evictor.evict({ namespace: 'default', name: 'no-such-pod', uid: 'x' })).toBe('gone');
    expect(await evictor.evict({ namespace: 'default', name: 'guarded', uid: 'another-uid' })).toBe('gone');
    expect(await evictor.evict({ namespace: 'default', name: 'guarded', uid })).toBe('evicted');
    await waitFor('the evicted pod to go', async () => !(await podExists('guarded')));
  });
});
