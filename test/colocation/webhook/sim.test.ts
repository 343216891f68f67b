// End to end on the simulated cluster, as a user meets the webhook: kubectl applies the
// webhook's configuration (a Service with its Endpoints, caBundle from startWebhook) and then
// Spark, Flink and Koordinator pods; `kubectl get pod -o yaml` shows what the API server
// stored after calling the real webhook over HTTPS.
import pino from 'pino';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhook, type WebhookHandle } from '../../../colocation/webhook/index.js';
import { createKubeClient, type KubeClient } from '../../../kube/index.js';
import { hasKubectl, Kubectl } from '../../helpers/kubectl.js';
import { waitFor } from '../../helpers/wait.js';
import { startTestSim, type TestSim } from '../../sim/e2e/helpers.js';
import { call } from './helpers.js';

interface PodYaml {
  metadata: { labels?: Record<string, string> };
  spec: { schedulerName: string; priorityClassName?: string; priority?: number; containers: Array<{ resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }> };
  status?: { qosClass?: string };
}

let t: TestSim;
let kubectl: Kubectl;
let client: KubeClient;
let webhook: WebhookHandle;

function configuration(failurePolicy: 'Ignore' | 'Fail'): string {
  return YAML.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'tidepool-colocation' },
    webhooks: [
      {
        name: 'offline-pods.tidepool.dev',
        clientConfig: {
          service: { namespace: 'tidepool-system', name: 'tidepool-webhook', path: webhook.path },
          caBundle: Buffer.from(webhook.caPem).toString('base64'),
        },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'tidepool-system'] }] },
        failurePolicy,
        sideEffects: 'None',
        timeoutSeconds: 5,
        admissionReviewVersions: ['v1'],
      },
    ],
  });
}

async function getPod(ns: string, name: string): Promise<PodYaml> {
  return YAML.parse(await kubectl.ok(['get', 'pod', '-n', ns, name, '-o', 'yaml'])) as PodYaml;
}

const SETUP = `
apiVersion: v1
kind: Namespace
metadata: {name: tidepool-system}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: tidepool-offline}
value: -100
preemptionPolicy: Never
description: Offline batch work on reclaimed capacity.
---
apiVersion: v1
kind: Namespace
metadata: {name: spark}
`;

const SPARK = `
apiVersion: v1
kind: Pod
metadata:
  name: pagerank-exec-1
  namespace: spark
  labels: {spark-role: executor, spark-app-selector: spark-0001}
spec:
  containers:
  - name: spark-kubernetes-executor
    image: apache/spark:3.5.1
    resources:
      requests: {cpu: "1", memory: 4505Mi}
      limits: {memory: 4505Mi}
---
apiVersion: v1
kind: Pod
metadata:
  name: pagerank-driver
  namespace: spark
  labels: {spark-role: driver, spark-app-selector: spark-0001}
spec:
  containers:
  - name: spark-kubernetes-driver
    image: apache/spark:3.5.1
    resources:
      requests: {cpu: "1", memory: 1408Mi}
`;

beforeAll(async () => {
  if (!hasKubectl) return;
  t = await startTestSim({ clusters: ['host'], nodes: 1 });
  kubectl = new Kubectl(t.sim.kubeconfig);
  client = createKubeClient({ config: { kind: 'inline', text: t.sim.kubeconfig } });
  webhook = await startWebhook({
    host: '127.0.0.1',
    port: 0,
    hosts: ['tidepool-webhook.tidepool-system.svc', '127.0.0.1'],
    kubeClient: client,
    logger: pino({ level: 'silent' }),
  });
  await waitFor('the webhook to be ready', async () => (await call(webhook, 'GET', '/readyz')).status === 200);
  await kubectl.ok(['apply', '-f', kubectl.writeFile('setup.yaml', SETUP)]);
  const service = `
apiVersion: v1
kind: Service
metadata: {name: tidepool-webhook, namespace: tidepool-system}
spec:
  ports: [{name: https, port: 443, targetPort: 9443}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: tidepool-webhook, namespace: tidepool-system}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{name: https, port: ${webhook.port}}]
`;
  await kubectl.ok(['apply', '-f', kubectl.writeFile('service.yaml', service)]);
  await kubectl.ok(['apply', '-f', kubectl.writeFile('webhook.yaml', configuration('Ignore'))]);
});

afterAll(async () => {
  await webhook?.close();
  client?.close();
  await t?.stop();
  kubectl?.cleanup();
});

describe.skipIf(!hasKubectl)('kubectl and the colocation webhook on the sim', () => {
  it('a Spark executor is stored with batch resources, the offline priority class and the colocation scheduler; its driver is not', async () => {
    await kubectl.ok(['apply', '-f', kubectl.writeFile('spark.yaml', SPARK)]);
    const exec = await getPod('spark', 'pagerank-exec-1');
    expect(exec.spec.schedulerName).toBe('tidepool-scheduler');
    expect(exec.spec.priorityClassName).toBe('tidepool-offline');
    expect(exec.spec.priority).toBe(-100);
    expect(exec.metadata.labels?.['tidepool.dev/qos']).toBe('offline');
    expect(exec.spec.containers[0]!.resources).toEqual({
      // The API server writes quantities canonically: the webhook's "1000" millicores reads 1k.
      requests: { 'kubernetes.io/batch-cpu': '1k', 'kubernetes.io/batch-memory': '4723834880' },
      limits: { 'kubernetes.io/batch-memory': '4723834880' },
    });
    expect(exec.status?.qosClass).toBe('BestEffort');

    const driver = await getPod('spark', 'pagerank-driver');
    expect(driver.spec.schedulerName).toBe('default-scheduler');
    expect(driver.spec.containers[0]!.resources?.requests).toEqual({ cpu: '1', memory: '1408Mi' });
  });

  it("kubectl shows the webhook's warnings", async () => {
    const pod = `
apiVersion: v1
kind: Pod
metadata: {name: nightly-report, namespace: spark, labels: {koordinator.sh/qosClass: BE}}
spec:
  schedulerName: koord-scheduler
  containers: [{name: report, image: busybox, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
`;
    const r = await kubectl.run(['apply', '-f', kubectl.writeFile('koord.yaml', pod)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Warning: tidepool: scheduler koord-scheduler replaced by tidepool-scheduler');
    expect((await getPod('spark', 'nightly-report')).spec.containers[0]!.resources?.requests).toEqual({ 'kubernetes.io/batch-cpu': '500', 'kubernetes.io/batch-memory': '1073741824' });
  });

  it('a namespace opted in makes its plain pods offline, the moment it exists', async () => {
    const manifest = `
apiVersion: v1
kind: Namespace
metadata: {name: etl, labels: {tidepool.dev/colocation: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: hourly, namespace: etl}
spec:
  containers: [{name: job, image: busybox, resources: {requests: {cpu: 250m}}}]
`;
    await kubectl.ok(['apply', '-f', kubectl.writeFile('etl.yaml', manifest)]);
    const pod = await getPod('etl', 'hourly');
    expect(pod.spec.schedulerName).toBe('tidepool-scheduler');
    expect(pod.spec.containers[0]!.resources?.requests).toEqual({ 'kubernetes.io/batch-cpu': '250' });
  });

  it('with the webhook down, failurePolicy Ignore admits pods unchanged and Fail refuses them in kube-apiserver\'s words', async () => {
    await webhook.close();
    const pod = (name: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: spark, labels: {spark-role: executor}}
spec:
  containers: [{name: e, image: busybox, resources: {requests: {cpu: "1"}}}]
`;
    await kubectl.ok(['apply', '-f', kubectl.writeFile('down-ignore.yaml', pod('while-down-ignore'))]);
    const admitted = await getPod('spark', 'while-down-ignore');
    expect(admitted.spec.schedulerName).toBe('default-scheduler');
    expect(admitted.spec.containers[0]!.resources?.requests).toEqual({ cpu: '1' });

    // replace, not apply: the sim's strategic merge does not know webhooks' merge key yet.
    await kubectl.ok(['replace', '-f', kubectl.writeFile('webhook-fail.yaml', configuration('Fail'))]);
    const refused = await kubectl.run(['apply', '-f', kubectl.writeFile('down-fail.yaml', pod('while-down-fail'))]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `Internal error occurred: failed calling webhook "offline-pods.tidepool.dev": failed to call webhook: Post "https://tidepool-webhook.tidepool-system.svc:443${webhook.path}?timeout=5s": dial tcp 127.0.0.1:${webhook.port}: connect: connection refused`,
    );
    expect((await kubectl.run(['get', 'pod', '-n', 'spark', 'while-down-fail'])).code).not.toBe(0);
  });
});
