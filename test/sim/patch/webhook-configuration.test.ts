// kubectl apply of a changed MutatingWebhookConfiguration: its webhooks list merges by name.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KubeClient } from '../../../kube/index.js';
import { startSim, type Sim } from '../../../sim/index.js';

let sim: Sim;
let c: KubeClient;

beforeAll(async () => {
  sim = await startSim({ clusters: ['host'], nodes: 0 });
  c = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: 'host' }, qps: 100, burst: 100 });
});

afterAll(async () => {
  c?.close();
  await sim?.stop();
});

const hook = (name: string, timeoutSeconds: number) => ({
  name,
  clientConfig: { url: `https://127.0.0.1:9/${name}` },
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  failurePolicy: 'Ignore',
  timeoutSeconds,
});

it('a strategic merge patch of webhooks changes the named entry and keeps the others', async () => {
  const path = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
  await c.request({ method: 'POST', path, body: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'two' }, webhooks: [hook('a.tidepool.dev', 5), hook('b.tidepool.dev', 5)] } });
  await c.request({ method: 'PATCH', path: `${path}/two`, contentType: 'application/strategic-merge-patch+json', body: { webhooks: [{ name: 'b.tidepool.dev', timeoutSeconds: 7 }] } });
  const got = await c.requestJson<{ webhooks: Array<{ name: string; timeoutSeconds: number }> }>({ path: `${path}/two` });
  expect(got.webhooks.map((w) => [w.name, w.timeoutSeconds])).toEqual([
    ['a.tidepool.dev', 5],
    ['b.tidepool.dev', 7],
  ]);
});
