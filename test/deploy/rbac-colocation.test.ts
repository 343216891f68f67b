// The colocation parts as deploy/ runs them — `tidepool scheduler`, `tidepool webhook` and
// `tidepool batch-controller`, each from its Deployment's args and as its own ServiceAccount — on
// one simulated cluster while every request each makes is recorded: the batch controller
// publishes batch capacity, reports the ColocationPolicy's status and evicts offline pods from a
// loaded node; the scheduler binds offline executors, watches PodGroups and explains a pod that
// fits nowhere; the webhook reviews an executor the API server sends it. Each one's RBAC must
// match what it used, both ways, and each must export the dashboard's metrics of its part.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, selfSignedServingCertificate } from '../../kube/index.js';
import { CPU_USAGE_ANNOTATION, renderKubeconfig } from '../../sim/index.js';
import { POD_GROUP_CRD } from '../colocation/scheduler/podgroup-crd.js';
import { Kubectl, hasKubectl } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/wait.js';
import { startTestSim, type TestSim } from '../sim/e2e/helpers.js';
import { startComponent, type ComponentProcess } from './component-process.js';
import { missingFromExport } from './dashboard.js';
import { argsOf, find, identityObjects, render, toYaml, type K8sObject } from './kustomize.js';
import { audit, grantsOf, recordRequests, type Recording } from './rbac-audit.js';

const NS = 'tidepool-system';
const PARTS = ['scheduler', 'webhook', 'batch-controller'] as const;
type Part = (typeof PARTS)[number];

let t: TestSim;
let dir: string;
let kubectl: Kubectl;
let admin: KubeClient;
let objects: K8sObject[];
const procs = new Map<Part, ComponentProcess>();
const recs = new Map<Part, Recording>();
const listen = new Map<Part, string>();
const metrics = new Map<Part, string>();

const POLICY = `apiVersion: tidepool.dev/v1alpha1
kind: ColocationPolicy
metadata: { name: default }
spec:
  thresholds:
    reclaimPercent: { cpu: 50, memory: 60 }
    offlineLoadPercent: { cpu: 60, memory: 80 }
    evictionPercent: { cpu: 80, memory: 90 }
  usageWindowSeconds: 10
`;

function executor(i: number, usage: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `exec-${i}`, namespace: 'spark', labels: { 'spark-role': 'executor', 'spark-app-selector': 'app-1', 'tidepool.dev/qos': 'offline' }, annotations: { [CPU_USAGE_ANNOTATION]: usage } },
    spec: {
      schedulerName: 'tidepool-scheduler',
      priorityClassName: 'tidepool-offline',
      containers: [{ name: 'exec', image: 'spark', resources: { requests: { 'kubernetes.io/batch-cpu': '1000', 'kubernetes.io/batch-memory': '1Gi' }, limits: { 'kubernetes.io/batch-memory': '1Gi' } } }],
    },
  };
}

function postReview(port: number, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/mutate-pods', method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }, rejectUnauthorized: false, timeout: 10_000 },
      (res) => {
        let out = '';
        res.on('data', (d: Buffer) => (out += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(out) as Record<string, unknown> }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('AdmissionReview timed out')));
    req.on('error', reject);
    req.end(text);
  });
}

beforeAll(async () => {
  if (!hasKubectl) return;
  dir = mkdtempSync(join(tmpdir(), 'tidepool-deploy-coloc-'));
  t = await startTestSim({ clusters: ['c'], nodes: 2, nodeShape: { cpu: '8', memory: '32Gi', pods: 110 }, startDelayMs: 50 });
  kubectl = new Kubectl(t.sim.kubeconfig);
  admin = new KubeClient({ config: { kind: 'inline', text: t.sim.kubeconfig, context: 'c' }, timeoutMs: 10_000 });
  objects = await render('overlays/colocation');
  const priorityClasses = objects.filter((o) => o.kind === 'PriorityClass');
  await kubectl.ok(['apply', '--server-side', '-f', kubectl.writeFile('identity.yaml', toYaml([...identityObjects(objects), ...priorityClasses]))], { timeoutMs: 60_000 });
  await admin.request({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: POD_GROUP_CRD });
  await waitFor('ColocationPolicies and PodGroups served', async () => (await kubectl.run(['get', 'colocationpolicies,podgroups'])).code === 0, 20_000);
  await kubectl.ok(['apply', '-f', '-'], { input: POLICY });
  await kubectl.ok(['create', 'namespace', 'spark']);

  const cluster = t.sim.cluster('c');
  const tls = selfSignedServingCertificate(['127.0.0.1']);
  writeFileSync(join(dir, 'tls.crt'), tls.cert);
  writeFileSync(join(dir, 'tls.key'), tls.key);
  for (const part of PARTS) {
    const kubeconfig = join(dir, `${part}.kubeconfig`);
    writeFileSync(kubeconfig, renderKubeconfig([{ ...cluster.kubeconfigEntry(), token: cluster.issueToken(NS, `tidepool-${part}`, { expirationSeconds: 3600 }) }]));
    const args = [
      ...argsOf(
        find(objects, 'Deployment', `tidepool-${part}`, NS),
        {
          '--listen': '--listen=127.0.0.1:0',
          '--bind-address': '--bind-address=127.0.0.1',
          '--secure-port': '--secure-port=0',
          '--tls-cert-file': `--tls-cert-file=${join(dir, 'tls.crt')}`,
          '--tls-private-key-file': `--tls-private-key-file=${join(dir, 'tls.key')}`,
          '--lease-duration': '--lease-duration=5',
        },
        { POD_IP: '127.0.0.1' },
      ),
      // In the pod: the in-cluster ServiceAccount. Here: the same identity from a kubeconfig.
      `--kubeconfig=${kubeconfig}`,
      // Faster than in production, so the exercise fits in a test.
      ...(part === 'webhook' ? [] : ['--metrics-interval-seconds=1']),
      ...(part === 'batch-controller' ? ['--eviction-sustain-seconds=2', '--eviction-cooldown-seconds=5'] : []),
    ];
    recs.set(part, recordRequests(cluster, `system:serviceaccount:${NS}:tidepool-${part}`));
    procs.set(part, startComponent(args, { POD_NAME: `tidepool-${part}-0` }));
  }
  for (const part of PARTS) listen.set(part, (await procs.get(part)!.logLine('colocation started', 90_000))['listen'] as string);
}, 180_000);

afterAll(async () => {
  for (const p of procs.values()) await p.stop();
  for (const r of recs.values()) r.stop();
  admin?.close();
  kubectl?.cleanup();
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function eventReasons(name: string, namespace = 'spark'): Promise<string> {
  return kubectl.ok(['-n', namespace, 'get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={.items[*].reason}']);
}

describe.skipIf(!hasKubectl)('the colocation parts with the RBAC deploy/ gives them', () => {
  it('do their jobs, each as its own ServiceAccount', { timeout: 180_000 }, async () => {
    const nodes = t.sim.cluster('c').fleet.nodeNames();
    // Batch capacity on every node, and the policy's status.
    for (const n of nodes) {
      await waitFor(`${n} batch-cpu`, async () => (await kubectl.ok(['get', 'node', n, '-o', 'jsonpath={.status.allocatable.kubernetes\\.io/batch-cpu}'])) !== '', 60_000, 250);
    }
    await waitFor('the policy Valid', async () => (await kubectl.ok(['get', 'colocationpolicy', 'default', '-o', 'jsonpath={.status.conditions[?(@.type=="Valid")].status}'])) === 'True', 30_000, 250);

    // The webhook, called as the API server calls it.
    const webhookPort = (await procs.get('webhook')!.logLine('colocation started'))['webhook'] as { port: number };
    const review = await postReview(webhookPort.port, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u-1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        namespace: 'spark',
        operation: 'CREATE',
        userInfo: { username: 'spark-submit' },
        object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'exec-0', namespace: 'spark', labels: { 'spark-role': 'executor' } }, spec: { containers: [{ name: 'exec', image: 'spark', resources: { requests: { cpu: '1', memory: '1Gi' } } }] } },
      },
    });
    expect(review.status).toBe(200);
    expect((review.json['response'] as { allowed: boolean; patch?: string }).patch).toBeDefined();

    // Offline executors bound by tidepool-scheduler; a PodGroup it watches; a pod that fits nowhere.
    await kubectl.ok(['apply', '-f', '-'], { input: `apiVersion: scheduling.x-k8s.io/v1alpha1\nkind: PodGroup\nmetadata: { name: app-1, namespace: spark }\nspec: { minMember: 1 }\n` });
    for (const i of [1, 2]) await admin.request({ method: 'POST', path: '/api/v1/namespaces/spark/pods', body: executor(i, '3') });
    await waitFor('the executors Running', async () => (await kubectl.ok(['-n', 'spark', 'get', 'pods', 'exec-1', 'exec-2', '-o', 'jsonpath={.items[*].status.phase}'])) === 'Running Running', 60_000, 250);
    await admin.request({
      method: 'POST',
      path: '/api/v1/namespaces/spark/pods',
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'huge', namespace: 'spark' }, spec: { schedulerName: 'tidepool-scheduler', containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '64' } } }] } },
    });
    // Tried again after its backoff: the same Event again, which the recorder counts on the first one (a PATCH).
    await waitFor('FailedScheduling for the huge pod, seen twice', async () => Number(await kubectl.ok(['-n', 'spark', 'get', 'events', '--field-selector', 'involvedObject.name=huge,reason=FailedScheduling', '-o', 'jsonpath={.items[0].count}'])) >= 2, 60_000, 250);
    await waitFor('PodScheduled=False on the huge pod', async () => (await kubectl.ok(['-n', 'spark', 'get', 'pod', 'huge', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}'])) === 'False', 30_000, 250);

    // Online load rises on the executors' nodes: the policy's eviction threshold drops under it.
    await kubectl.ok(['patch', 'colocationpolicy', 'default', '--type', 'merge', '-p', '{"spec":{"thresholds":{"offlineLoadPercent":{"cpu":3},"evictionPercent":{"cpu":13}}}}']);
    await waitFor('an executor evicted', async () => (await eventReasons('exec-1')).includes('EvictedForOnlineLoad') || (await eventReasons('exec-2')).includes('EvictedForOnlineLoad'), 60_000, 250);

    for (const part of PARTS) metrics.set(part, await (await fetch(`${listen.get(part)!}/metrics`)).text());
    for (const p of procs.values()) await p.stop();
  });

  const EXCUSED: Record<Part, Record<string, string>> = {
    scheduler: {},
    webhook: {
      'get core/namespaces': 'a namespace created a moment before its first pod, not in the informer yet, is read directly (colocation/webhook/namespaces.ts); here the informer had it',
    },
    'batch-controller': {
      'patch core/events': 'an Event repeated within the recorder window is a PATCH of its count (kube/event-recorder.ts); this run\'s Events all differed',
    },
  };

  for (const part of PARTS) {
    it(`${part}: was refused nothing and holds no permission it did not use`, () => {
      const a = audit(recs.get(part)!.records, grantsOf(objects, NS, `tidepool-${part}`), EXCUSED[part]);
      expect({ missing: a.missing, unused: a.unused, staleExcuses: a.staleExcuses }, JSON.stringify(a.asked, null, 1)).toEqual({ missing: [], unused: [], staleExcuses: [] });
    });

    it(`${part}: exports the dashboard's metrics of its part`, () => {
      expect(metrics.get(part)).toContain('# TYPE tidepool_');
      expect(missingFromExport(part, metrics.get(part)!)).toEqual([]);
    });
  }
});
