// Colocation end to end, as a cluster admin and a Spark user meet it: `tidepool colocation
// --register-webhook` (a process) against a simulated member cluster whose default scheduler
// still runs, kubectl as the only client. The ColocationPolicy applied with kubectl sets the
// batch capacity the nodes show; a spark-submit-shaped app (driver + executors labelled as Spark
// labels them) comes out with its executors turned into batch work bound by tidepool-scheduler
// and its driver left online for the default scheduler, all Running. Then one edit of the same
// policy both stops offline placement (the scheduler's load filter) and evicts running executors
// (offline eviction). SIGTERM ends the process with exit code 0.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { REPO_ROOT, startCli, type CliProcess } from '../helpers/cli-process.js';
import { hasKubectl, Kubectl } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/wait.js';
import { startTestSim, type TestSim } from '../sim/e2e/helpers.js';

const CTX = ['--context', 'east'];
const NODES = ['east-node-0', 'east-node-1'];

let t: TestSim;
let kubectl: Kubectl;
let colocation: CliProcess;
let listen: string;
let webhookPort: number;

interface PodYaml {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string; schedulerName: string; priorityClassName?: string; priority?: number; containers: Array<{ resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }> };
  status: { phase?: string };
}

interface EventYaml {
  reason: string;
  message: string;
  involvedObject: { name: string };
  source?: { component?: string };
}

async function pod(name: string): Promise<PodYaml> {
  return YAML.parse(await kubectl.ok([...CTX, 'get', 'pod', '-n', 'spark', name, '-o', 'yaml'])) as PodYaml;
}

async function events(): Promise<EventYaml[]> {
  return (JSON.parse(await kubectl.ok([...CTX, 'get', 'events', '-n', 'spark', '-o', 'json'])) as { items: EventYaml[] }).items;
}

async function nodeBatchCpu(node: string): Promise<string> {
  return kubectl.ok([...CTX, 'get', 'node', node, '-o', 'jsonpath={.status.allocatable.kubernetes\\.io/batch-cpu}']);
}

/** The policy the admin applies: half of each node's cpu may be lent to batch work. */
const POLICY = `apiVersion: tidepool.dev/v1alpha1
kind: ColocationPolicy
metadata:
  name: default
spec:
  thresholds:
    reclaimPercent: {cpu: 50, memory: 60}
`;

/** The driver as spark-submit creates it (online work: losing it loses the job). */
const DRIVER = `apiVersion: v1
kind: Pod
metadata:
  name: pagerank-driver
  namespace: spark
  labels: {spark-role: driver, spark-app-selector: spark-4f1c2e, spark-app-name: pagerank, spark-version: 3.5.1}
spec:
  restartPolicy: Never
  containers:
  - name: spark-kubernetes-driver
    image: apache/spark:3.5.1
    args: [driver, --class, org.apache.spark.examples.SparkPageRank]
    resources:
      requests: {cpu: "1", memory: 1408Mi}
      limits: {memory: 1408Mi}
`;

/** An executor as the driver creates it: Spark's labels and the app's selector, nothing Tidepool-specific. */
function executor(i: number): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: pagerank-exec-${i}
  namespace: spark
  labels: {spark-role: executor, spark-app-selector: spark-4f1c2e, spark-app-name: pagerank, spark-exec-id: "${i}"}
spec:
  restartPolicy: Never
  containers:
  - name: spark-kubernetes-executor
    image: apache/spark:3.5.1
    args: [executor]
    resources:
      requests: {cpu: "1", memory: 1408Mi}
      limits: {memory: 1408Mi}
`;
}

beforeAll(async () => {
  if (!hasKubectl) return;
  // A host and a member cluster; the member keeps its default scheduler (for online pods).
  t = await startTestSim({ clusters: ['host', 'east'], hostNodes: 0, nodes: 2, nodeShape: { cpu: '8', memory: '32Gi', pods: 110 }, startDelayMs: 100 });
  kubectl = new Kubectl(t.sim.kubeconfig);
  await kubectl.ok([...CTX, 'apply', '-f', join(REPO_ROOT, 'deploy/crds/colocationpolicy.yaml')]);
  await waitFor('the ColocationPolicy resource served', async () => (await kubectl.run([...CTX, 'get', 'colocationpolicies'])).code === 0, 15_000);
  await kubectl.ok([...CTX, 'apply', '-f', '-'], { input: POLICY });
  colocation = await startCli(
    [
      'colocation', '--kubeconfig', t.sim.kubeconfigPath!, ...CTX,
      '--listen', '127.0.0.1:0', '--bind-address', '127.0.0.1', '--secure-port', '0', '--register-webhook',
      '--metrics-interval-seconds', '1', '--lease-duration', '5', '--eviction-sustain-seconds', '2', '--eviction-cooldown-seconds', '5',
    ],
    /"msg":"colocation started"/,
    60_000,
  );
  const started = JSON.parse(colocation.stdout().split('\n').find((l) => l.includes('"msg":"colocation started"'))!) as { listen: string; webhook: { port: number } };
  listen = started.listen;
  webhookPort = started.webhook.port;
}, 90_000);

afterAll(async () => {
  await colocation?.kill();
  await t?.stop();
  kubectl?.cleanup();
});

describe.skipIf(!hasKubectl)('tidepool colocation end to end with kubectl', () => {
  it('registers its webhook with the cluster: the configuration points at the process, trusted through caBundle', async () => {
    const mwc = YAML.parse(await kubectl.ok([...CTX, 'get', 'mutatingwebhookconfiguration', 'tidepool-colocation', '-o', 'yaml'])) as {
      webhooks: Array<{ name: string; clientConfig: { url: string; caBundle: string }; failurePolicy: string; sideEffects: string; timeoutSeconds: number; rules: unknown[]; namespaceSelector: unknown }>;
    };
    expect(mwc.webhooks).toHaveLength(1);
    const w = mwc.webhooks[0]!;
    expect(w.name).toBe('offline-pods.tidepool.dev');
    expect(w.clientConfig.url).toBe(`https://127.0.0.1:${webhookPort}/mutate-pods`);
    expect(Buffer.from(w.clientConfig.caBundle, 'base64').toString()).toContain('-----BEGIN CERTIFICATE-----');
    expect(w).toMatchObject({ failurePolicy: 'Ignore', sideEffects: 'None', timeoutSeconds: 5 });
    expect(w.rules).toEqual([{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
    expect(w.namespaceSelector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] });
    const classes = await kubectl.ok([...CTX, 'get', 'priorityclasses', 'tidepool-offline', 'tidepool-online', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.value} {end}']);
    expect(classes.trim()).toBe('tidepool-offline=-100 tidepool-online=1000');
  });

  it("the nodes show the batch capacity the ColocationPolicy allows, published by the batch controller", async () => {
    // 8 cpu × 50 % reclaimable − the node's own 260m system usage (no pods run yet).
    for (const node of NODES) await waitFor(`${node} batch-cpu`, async () => (await nodeBatchCpu(node)) === '3740', 30_000);
    const described = await kubectl.ok([...CTX, 'describe', 'node', NODES[0]!]);
    expect(described).toMatch(/kubernetes\.io\/batch-cpu:\s+3740/);
    // The annotation that explains the figures is the controller's second write (status first):
    // until it is there, the node may still carry the one written before any load data came.
    const breakdown = await waitFor('the batch breakdown of the figures', async () => {
      const text = await kubectl.ok([...CTX, 'get', 'node', NODES[0]!, '-o', 'jsonpath={.metadata.annotations.tidepool\\.dev/batch-breakdown}']);
      const b = text.trim() === '' ? undefined : (JSON.parse(text) as { policy: string; reclaimPercent: { cpu: number }; source: string; result: { cpu: number } });
      return b?.result.cpu === 3740 ? b : undefined;
    });
    expect(breakdown).toMatchObject({ policy: 'default', reclaimPercent: { cpu: 50 }, source: 'metrics-api' });
  });

  it('a Spark app applied with kubectl: executors turned into batch work and bound by tidepool-scheduler, the driver online, all Running', async () => {
    await kubectl.ok([...CTX, 'create', 'namespace', 'spark']);
    await kubectl.ok([...CTX, 'apply', '-f', '-'], { input: [DRIVER, executor(1), executor(2), executor(3)].join('---\n') });
    const names = ['pagerank-driver', 'pagerank-exec-1', 'pagerank-exec-2', 'pagerank-exec-3'];
    await waitFor('the app Running', async () => (await Promise.all(names.map(pod))).every((p) => p.status.phase === 'Running'), 45_000);

    for (const name of names.slice(1)) {
      const exec = await pod(name);
      expect(exec.spec.schedulerName).toBe('tidepool-scheduler');
      expect(exec.spec.priorityClassName).toBe('tidepool-offline');
      expect(exec.spec.priority).toBe(-100);
      expect(exec.metadata.labels).toMatchObject({ 'spark-role': 'executor', 'tidepool.dev/qos': 'offline' });
      // 1 cpu and 1408Mi moved to the batch resources (the API server prints 1000 millicores as 1k).
      expect(exec.spec.containers[0]!.resources).toEqual({
        requests: { 'kubernetes.io/batch-cpu': '1k', 'kubernetes.io/batch-memory': '1476395008' },
        limits: { 'kubernetes.io/batch-memory': '1476395008' },
      });
      expect(NODES).toContain(exec.spec.nodeName);
    }
    const driver = await pod('pagerank-driver');
    expect(driver.spec.schedulerName).toBe('default-scheduler');
    expect(driver.spec.priorityClassName).toBeUndefined();
    expect(driver.metadata.labels?.['tidepool.dev/qos']).toBeUndefined();
    expect(driver.spec.containers[0]!.resources).toEqual({ requests: { cpu: '1', memory: '1408Mi' }, limits: { memory: '1408Mi' } });
    expect(NODES).toContain(driver.spec.nodeName);

    // Who bound whom, in the Events kubectl shows.
    const scheduled = (await events()).filter((e) => e.reason === 'Scheduled');
    const binder = (name: string): string | undefined => scheduled.find((e) => e.involvedObject.name === name)?.source?.component;
    expect(names.map(binder)).toEqual(['default-scheduler', 'tidepool-scheduler', 'tidepool-scheduler', 'tidepool-scheduler']);
    const wide = await kubectl.ok([...CTX, 'get', 'pods', '-n', 'spark', '-o', 'wide']);
    for (const name of names) expect(wide).toMatch(new RegExp(`^${name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+\\S+\\s+east-node-[01]\\s`, 'm'));
  });

  it('one edit of the ColocationPolicy both keeps new executors off the loaded nodes and evicts running ones', async () => {
    // Offline placement stops at 3 % cpu usage (every node's own usage is above it), eviction
    // starts at 13 %: a node running an executor (1 cpu of 8 = 12.5 %, plus its own) is over it.
    await kubectl.ok([...CTX, 'patch', 'colocationpolicy', 'default', '--type', 'merge', '-p', '{"spec":{"thresholds":{"offlineLoadPercent":{"cpu":3},"evictionPercent":{"cpu":13}}}}']);
    const evicted = await waitFor('executors evicted for online load', async () => {
      const e = (await events()).filter((x) => x.reason === 'EvictedForOnlineLoad');
      return e.length > 0 ? e : undefined;
    }, 45_000);
    expect(evicted[0]!.involvedObject.name).toMatch(/^pagerank-exec-[123]$/);
    expect(evicted[0]!.message).toMatch(/cpu usage \S+ stayed above the eviction threshold \S+ \(13 % of allocatable\)/);

    await kubectl.ok([...CTX, 'apply', '-f', '-'], { input: executor(4) });
    const refused = await waitFor('the new executor refused by the load filter', async () => (await events()).find((e) => e.involvedObject.name === 'pagerank-exec-4' && e.reason === 'FailedScheduling'), 30_000);
    // Each node refuses it for load: over the threshold, or still backing off after the eviction
    // (the back-off is checked first, so a node that just shed executors says so).
    const m = /^0\/2 nodes are available: (.*)\.$/.exec(refused.message);
    expect(m, refused.message).not.toBeNull();
    let counted = 0;
    for (const part of m![1]!.split(', ')) {
      const r = /^(\d+) node\(s\) had (cpu usage at or above the offline load threshold|offline pods evicted for load recently)$/.exec(part);
      expect(r, part).not.toBeNull();
      counted += Number(r![1]);
    }
    expect(counted).toBe(2);
    expect((await pod('pagerank-exec-4')).spec.nodeName).toBeUndefined();
    // The driver is online work: neither threshold touches it.
    expect((await pod('pagerank-driver')).status.phase).toBe('Running');
  });

  it('SIGTERM stops it cleanly with exit code 0', async () => {
    colocation.child.kill('SIGTERM');
    const end = await Promise.race([colocation.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within 20 s of SIGTERM')), 20_000))]);
    expect(end).toEqual({ code: 0, signal: null });
    await expect(fetch(`${listen}/healthz`)).rejects.toThrow();
  });
});
