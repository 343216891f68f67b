// The kube-scheduler extender API over HTTP on loopback, answering from the same plugins and the
// cache the informers keep from a simulated cluster; bind writes pods/binding there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startScheduler, type RunningScheduler } from '../../../colocation/scheduler/index.js';
import { KubeClient } from '../../../kube/index.js';
import { startSim, type Sim } from '../../../sim/index.js';
import { waitFor } from '../../helpers/wait.js';
import { FakeLoad, rawPod } from './fixtures.js';

let sim: Sim;
let client: KubeClient;
let running: RunningScheduler;
const load = new FakeLoad();
const BATCH_CPU = 'kubernetes.io/batch-cpu';

beforeAll(async () => {
  sim = await startSim({ clusters: ['ext'], nodes: 3, nodeShape: { cpu: '8', memory: '32Gi', pods: 110 }, leaseIntervalMs: 0 });
  client = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig }, qps: 1000, burst: 1000 });
  // ext-node-0 offers batch capacity; ext-node-2 is tainted.
  await client.request({
    method: 'PATCH',
    path: '/api/v1/nodes/ext-node-0/status',
    body: { status: { allocatable: { [BATCH_CPU]: '4000', 'kubernetes.io/batch-memory': '8Gi' }, capacity: { [BATCH_CPU]: '4000', 'kubernetes.io/batch-memory': '8Gi' } } },
    contentType: 'application/merge-patch+json',
  });
  await client.request({ method: 'PATCH', path: '/api/v1/nodes/ext-node-2', body: { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } }, contentType: 'application/merge-patch+json' });
  running = await startScheduler({ client, load, registry: new Registry(), logger: pino({ level: 'silent' }), leaderElection: false, listen: { host: '127.0.0.1', port: 0 } });
  await waitFor('caches synced with the patched nodes', () => running.ready() && running.scheduler.cache.node('ext-node-0')?.node?.allocatable[BATCH_CPU] === 4000 && (running.scheduler.cache.node('ext-node-2')?.node?.taints.length ?? 0) > 0, 10_000);
});

afterAll(async () => {
  await running?.stop();
  client?.close();
  await sim?.stop();
});

async function post(verb: string, body: unknown, raw = false): Promise<{ status: number; json: any }> {
  const res = await fetch(`${running.url}/scheduler/${verb}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

const nodeNames = ['ext-node-0', 'ext-node-1', 'ext-node-2'];
const batchPod = rawPod('etl', { requests: { [BATCH_CPU]: '1000' }, schedulerName: 'default-scheduler' });

describe('kube-scheduler extender API', () => {
  it("filters NodeNames with kube-scheduler's result shape and wording", async () => {
    const { status, json } = await post('filter', { Pod: batchPod, Nodes: null, NodeNames: nodeNames });
    expect(status).toBe(200);
    expect(json).toEqual({
      Nodes: null,
      NodeNames: ['ext-node-0'],
      FailedNodes: { 'ext-node-1': `Insufficient ${BATCH_CPU}` },
      FailedAndUnresolvableNodes: { 'ext-node-2': 'node(s) had untolerated taint {dedicated: db}' },
      Error: '',
    });
  });

  it('filters full Node objects and answers with the ones that pass', async () => {
    const list = JSON.parse((await client.request({ path: '/api/v1/nodes' })).body) as { items: Array<{ metadata: { name: string } }> };
    const { json } = await post('filter', { Pod: batchPod, Nodes: { items: list.items } });
    expect(json.NodeNames).toBeNull();
    expect(json.Nodes.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['ext-node-0']);
    expect(Object.keys(json.FailedNodes)).toEqual(['ext-node-1']);
  });

  it('prioritizes on 0..10, lower for the node with more measured load', async () => {
    load.set('ext-node-0', 7_000, 4 * 2 ** 30, Date.now());
    load.set('ext-node-1', 500, 2 * 2 ** 30, Date.now());
    const web = rawPod('web', { cpu: '500m', memory: '512Mi', schedulerName: 'default-scheduler' });
    const { status, json } = await post('prioritize', { Pod: web, NodeNames: ['ext-node-0', 'ext-node-1'] });
    expect(status).toBe(200);
    expect(json).toHaveLength(2);
    const [busy, idle] = json as Array<{ Host: string; Score: number }>;
    expect(busy!.Host).toBe('ext-node-0');
    expect(idle!.Host).toBe('ext-node-1');
    for (const s of json as Array<{ Score: number }>) expect(Number.isInteger(s.Score) && s.Score >= 0 && s.Score <= 10).toBe(true);
    expect(idle!.Score).toBeGreaterThan(busy!.Score);
  });

  it('binds through pods/binding and reports a refused binding in Error', async () => {
    const c = sim.cluster('ext');
    const rt = c.registry.lookup('', 'v1', 'pods')!;
    // A scheduler name nobody serves: only the extender's bind places it.
    c.api.create(rt, 'default', rawPod('delegated', { cpu: '100m', schedulerName: 'kube-scheduler-with-extender' }) as never);
    const uid = JSON.parse(c.store.get('/pods', 'default/delegated')!.json).metadata.uid as string;
    const args = { PodName: 'delegated', PodNamespace: 'default', PodUID: uid, Node: 'ext-node-1' };
    expect((await post('bind', args)).json).toEqual({ Error: '' });
    expect(JSON.parse(c.store.get('/pods', 'default/delegated')!.json).spec.nodeName).toBe('ext-node-1');
    const again = await post('bind', args);
    expect(again.status).toBe(200);
    expect(again.json.Error).toMatch(/409 Conflict: Operation cannot be fulfilled on pods\/binding "delegated": pod delegated is already assigned to node "ext-node-1"/);
  });

  it('answers malformed requests with 400 and a Kubernetes Status', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['filter', { NodeNames: ['a'] }, 'ExtenderArgs.Pod must be a Pod with metadata.name'],
      ['filter', { Pod: batchPod }, 'ExtenderArgs needs Nodes ({"items": [...]}) or NodeNames ([...])'],
      ['prioritize', { Pod: batchPod, NodeNames: 'ext-node-0' }, 'ExtenderArgs.NodeNames must be a list of node names'],
      ['filter', { Pod: batchPod, Nodes: { items: [{ metadata: {} }] } }, 'ExtenderArgs.Nodes.items[0] must be a Node with metadata.name'],
      ['bind', { PodName: 'x', Node: 'n' }, 'ExtenderBindingArgs.PodNamespace is required'],
    ];
    for (const [verb, body, message] of cases) {
      const { status, json } = await post(verb, body);
      expect(status).toBe(400);
      expect(json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400, message });
    }
    const notJson = await post('filter', '{"Pod": ', true);
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
    const missing = await fetch(`${running.url}/scheduler/preempt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
  });
});
