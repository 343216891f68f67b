// The scheduler as a component against a simulated cluster: informers, bindings through
// pods/binding, Events, the PodScheduled condition, load from metrics.k8s.io, and kubectl as the
// client. The sim's default scheduler stays on: it must leave tidepool-scheduler's pods alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { LoadStore, startMetricsApiSource, type MetricsApiSource } from '../../../colocation/load/index.js';
import { startScheduler, type RunningScheduler } from '../../../colocation/scheduler/index.js';
import { KubeClient } from '../../../kube/index.js';
import { startSim, type Sim } from '../../../sim/index.js';
import { Kubectl, hasKubectl } from '../../helpers/kubectl.js';
import { waitFor } from '../../helpers/wait.js';
import { rawPod } from './fixtures.js';

let sim: Sim;
let client: KubeClient;
let running: RunningScheduler;
let kubectl: Kubectl;
let loadSource: MetricsApiSource;
const registry = new Registry();
/** Every request the scheduler's client sent: "METHOD path". */
const sent: string[] = [];

beforeAll(async () => {
  sim = await startSim({ clusters: ['co'], nodes: 3, nodeShape: { cpu: '4', memory: '16Gi', pods: 110 }, startDelayMs: 50, leaseIntervalMs: 0 });
  client = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig }, qps: 1000, burst: 1000, onRequest: (e) => sent.push(`${e.method} ${e.path}`) });
  const load = new LoadStore();
  loadSource = startMetricsApiSource({ client, store: load, intervalMs: 3_600_000 });
  running = await startScheduler({
    client,
    load,
    registry,
    logger: pino({ level: 'silent' }),
    leaderElection: { namespace: 'kube-system', leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 },
    listen: { host: '127.0.0.1', port: 0 },
    settings: { backoffInitialMs: 100, backoffMaxMs: 500 },
  });
  kubectl = new Kubectl(sim.kubeconfig);
  await waitFor('the scheduler to lead', () => running.ready() && running.isLeader(), 10_000);
});

afterAll(async () => {
  await running?.stop();
  await loadSource?.stop();
  client?.close();
  kubectl?.cleanup();
  await sim?.stop();
});

function podsRt() {
  return sim.cluster('co').registry.lookup('', 'v1', 'pods')!;
}

function storedPod(name: string, namespace = 'default'): Record<string, any> | undefined {
  const o = sim.cluster('co').store.get('/pods', `${namespace}/${name}`);
  return o ? JSON.parse(o.json) : undefined;
}

const SPARK_DRIVER = `
apiVersion: v1
kind: Pod
metadata:
  name: pi-driver
  labels:
    spark-app-selector: spark-7f3a
    spark-app-name: spark-pi
    spark-role: driver
spec:
  schedulerName: tidepool-scheduler
  restartPolicy: Never
  containers:
  - name: spark-kubernetes-driver
    image: apache/spark:3.5.1
    args: ["driver", "--class", "org.apache.spark.examples.SparkPi"]
    resources:
      requests: {cpu: "1", memory: 1408Mi}
      limits: {memory: 1408Mi}
`;

const sparkExecutor = (i: number) => `
apiVersion: v1
kind: Pod
metadata:
  name: pi-exec-${i}
  labels:
    spark-app-selector: spark-7f3a
    spark-app-name: spark-pi
    spark-role: executor
    spark-exec-id: "${i}"
spec:
  schedulerName: tidepool-scheduler
  restartPolicy: Never
  containers:
  - name: spark-kubernetes-executor
    image: apache/spark:3.5.1
    args: ["executor"]
    resources:
      requests: {cpu: "1", memory: 1408Mi}
      limits: {memory: 1408Mi}
`;

/** NAME -> NODE from `kubectl get pods -o wide`. */
async function nodesFromKubectl(): Promise<Map<string, string>> {
  const out = await kubectl.ok(['get', 'pods', '-o', 'wide', '--no-headers']);
  const m = new Map<string, string>();
  for (const line of out.trim().split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 7) m.set(cols[0]!, cols[6]!);
  }
  return m;
}

describe.skipIf(!hasKubectl)('scheduler on the sim, with kubectl as the client', () => {
  it('binds a spark-submit-shaped driver, then its executors, and kubectl get pods -o wide shows their nodes', async () => {
    await kubectl.ok(['apply', '-f', kubectl.writeFile('driver.yaml', SPARK_DRIVER)]);
    const driverNode = await waitFor('the driver on a node', async () => {
      const n = (await nodesFromKubectl()).get('pi-driver');
      return n && n !== '<none>' ? n : undefined;
    }, 15_000);
    expect(driverNode).toMatch(/^co-node-\d$/);
    await kubectl.ok(['apply', '-f', kubectl.writeFile('execs.yaml', `${sparkExecutor(1)}\n---\n${sparkExecutor(2)}`)]);
    const nodes = await waitFor('both executors on nodes', async () => {
      const m = await nodesFromKubectl();
      const a = m.get('pi-exec-1');
      const b = m.get('pi-exec-2');
      return a && b && a !== '<none>' && b !== '<none>' ? [a, b] : undefined;
    }, 15_000);
    for (const n of nodes) expect(n).toMatch(/^co-node-\d$/);
    await waitFor('the Scheduled event', async () => {
      const ev = JSON.parse(await kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=pi-exec-1', '-o', 'json'])) as { items: Array<{ reason: string; message: string; source?: { component?: string } }> };
      return ev.items.find((e) => e.reason === 'Scheduled' && e.message === `Successfully assigned default/pi-exec-1 to ${nodes[0]}` && e.source?.component === 'tidepool-scheduler');
    }, 10_000);
  });

  it('explains an unschedulable pod with a FailedScheduling event and the PodScheduled condition', async () => {
    await kubectl.ok(['apply', '-f', kubectl.writeFile('huge.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: huge}
spec:
  schedulerName: tidepool-scheduler
  containers: [{name: main, image: busybox, resources: {requests: {cpu: "64"}}}]
`)]);
    const message = '0/3 nodes are available: 3 Insufficient cpu.';
    await waitFor('the FailedScheduling event', async () => {
      const ev = JSON.parse(await kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=huge,reason=FailedScheduling', '-o', 'json'])) as { items: Array<{ type: string; message: string }> };
      return ev.items.find((e) => e.type === 'Warning' && e.message === message);
    }, 10_000);
    const cond = await waitFor('the PodScheduled condition', () => (storedPod('huge')?.status?.conditions as Array<Record<string, string>> | undefined)?.find((c) => c['type'] === 'PodScheduled'), 10_000);
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    expect(storedPod('huge')?.spec?.nodeName).toBeUndefined();
    // Tried again after pods come and go, with the same verdict: the condition is not rewritten.
    const attempts = async () => (await running.scheduler.metrics.attempts.get()).values.find((v) => v.labels['result'] === 'unschedulable')?.value ?? 0;
    const before = await attempts();
    for (let i = 0; i < 3; i++) {
      sim.cluster('co').api.create(podsRt(), 'default', rawPod(`churn-${i}`, { cpu: '10m', nodeName: 'co-node-1', schedulerName: 'default-scheduler' }) as any);
      sim.cluster('co').api.delete(podsRt(), 'default', `churn-${i}`, { gracePeriodSeconds: 0 });
      await waitFor('another attempt', async () => (await attempts()) > before + i, 10_000);
    }
    expect(sent.filter((s) => s === 'PATCH /api/v1/namespaces/default/pods/huge/status')).toHaveLength(1);
  });

  it('gives a malformed pod an Event, parks it, and keeps scheduling', async () => {
    // The API server refuses a bad quantity today; an object stored by an older one (or written
    // around validation) can still carry one. Written straight into the sim's storage here.
    const bad = rawPod('legacy', { cpu: '1' });
    (bad['spec'] as any).containers[0].resources.requests.memory = '1.5.0Gi';
    delete (bad['metadata'] as any).uid;
    delete (bad['metadata'] as any).resourceVersion;
    const c = sim.cluster('co');
    c.store.put('/pods', { ...(bad as any), metadata: { ...(bad as any).metadata, uid: 'legacy-uid', creationTimestamp: new Date().toISOString() } });
    await waitFor('the event about the malformed pod', async () => {
      const ev = JSON.parse(await kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=legacy,reason=FailedScheduling', '-o', 'json'])) as { items: Array<{ message: string }> };
      return ev.items.find((e) => /^pod cannot be scheduled as written: invalid quantity "1\.5\.0Gi"/.test(e.message));
    }, 10_000);
    c.api.create(podsRt(), 'default', rawPod('after-legacy', { cpu: '100m' }) as any);
    await waitFor('the next pod bound', () => storedPod('after-legacy')?.spec?.nodeName, 10_000);
    expect(storedPod('legacy')?.spec?.nodeName).toBeUndefined();
  });

  it('keeps offline pods off the node metrics.k8s.io reports busy', async () => {
    const c = sim.cluster('co');
    // An online pod that burns 3.5 of co-node-0's 4 cores (bound there directly).
    c.api.create(podsRt(), 'default', {
      ...(rawPod('burner', { cpu: '500m', nodeName: 'co-node-0', schedulerName: 'default-scheduler' }) as any),
      metadata: { name: 'burner', annotations: { 'sim.tidepool.dev/cpu-usage': '3500m' } },
    });
    await waitFor('the burner running', () => storedPod('burner')?.status?.phase === 'Running', 10_000);
    await loadSource.poll();
    const hostname = { 'kubernetes.io/hostname': 'co-node-0' };
    c.api.create(podsRt(), 'default', rawPod('batch-pinned', { cpu: '100m', labels: { 'tidepool.dev/qos': 'offline' }, nodeSelector: hostname }) as any);
    c.api.create(podsRt(), 'default', rawPod('web-pinned', { cpu: '100m', nodeSelector: hostname }) as any);
    await waitFor('the online pod bound to the busy node', () => storedPod('web-pinned')?.spec?.nodeName === 'co-node-0', 10_000);
    const why = await waitFor('the offline pod refused', () => (storedPod('batch-pinned')?.status?.conditions as Array<Record<string, string>> | undefined)?.find((c) => c['type'] === 'PodScheduled')?.['message'], 10_000);
    expect(why).toBe("0/3 nodes are available: 1 node(s) had cpu usage at or above the offline load threshold, 2 node(s) didn't match Pod's node affinity/selector.");
    for (let i = 0; i < 4; i++) c.api.create(podsRt(), 'default', rawPod(`batch-${i}`, { cpu: '100m', labels: { 'tidepool.dev/qos': 'offline' } }) as any);
    const placed = await waitFor('the free-to-go offline pods bound', () => {
      const nodes = [0, 1, 2, 3].map((i) => storedPod(`batch-${i}`)?.spec?.nodeName as string | undefined);
      return nodes.every(Boolean) ? nodes : undefined;
    }, 10_000);
    expect(placed).not.toContain('co-node-0');
  });

  it('serves /healthz, /readyz and its metrics', async () => {
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${running.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toMatch(/^ok: 3 nodes, leading$/);
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(text).toMatch(/tidepool_scheduler_pods_scheduled_total\{class="offline"\} [1-9]/);
    expect(text).toMatch(/tidepool_scheduler_scheduling_attempt_duration_seconds_bucket/);
    expect(text).toMatch(/tidepool_scheduler_queue_pods\{queue="unschedulable",class="online"\} [1-9]/);
  });
});
