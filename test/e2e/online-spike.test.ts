// Online load spikes where Spark executors run, in one `tidepool demo` process: a Spark app on
// the virtual node has its executors running as batch work in the member east; then a burst of
// online traffic lands on those nodes (a busy replica of an online service pinned to each, using
// 14 of the node's 16 cores). Colocation's offline eviction sees the load stay above the policy's
// threshold and evicts the executors, never the online pods; the virtual node fails their host
// pods, so Spark — the test plays its executor allocator — asks for new executors,
// which run on nodes without the spike; and the app completes.
//
// The wait is the demo's eviction (the load must stay above the threshold for 30 s), so the driver
// lives 65 simulated minutes at 60× (65 s): long enough for the eviction and the replacements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { CPU_USAGE, newProduct, phases, sparkExecutor, startDemo, submitDriver, SPARK_NAMESPACE, type PodJson, type Product } from './helpers.js';

const APP = 'sessions';
const ORIGINALS = [1, 2, 3];
const REPLACEMENTS = [4, 5, 6];
const ONLINE_NAMESPACE = 'online-services';

let p: Product;
let driverUid: string;
/** east's nodes the original executors ran on (each gets a spike). */
let spiked: string[] = [];

beforeAll(async () => {
  p = newProduct('spike');
  await startDemo(p, ['--clusters', 'host,east', '--nodes', '4', '--no-apps', '--time-scale', '60']);
  await p.kubectl.ok(['create', 'namespace', SPARK_NAMESPACE]);
}, 80_000);

afterAll(async () => {
  await p?.stop();
});

/** A replica of an online service that is suddenly busy: it requests 1 core and uses 14. */
function busyReplica(node: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `checkout-${node}`, namespace: ONLINE_NAMESPACE, labels: { app: 'checkout', 'tidepool.dev/qos': 'online' }, annotations: { [CPU_USAGE]: '14' } },
    spec: { nodeSelector: { 'kubernetes.io/hostname': node }, containers: [{ name: 'checkout', image: 'registry.example/checkout:2.3', resources: { requests: { cpu: '1', memory: '2Gi' } } }] },
  };
}

async function executor(name: string): Promise<PodJson> {
  return p.pod('host', name);
}

describe('online load spikes on the nodes of offline executors', { timeout: 100_000 }, () => {
  it('runs the app first: executors as batch work in east', async () => {
    driverUid = await submitDriver(p, APP, { node: 'tidepool', duration: '65m' });
    await waitFor('the driver Running', async () => (await executor(`${APP}-driver`)).status.phase === 'Running', 30_000, 500);
    // Executors that would outlive the test: they end only by eviction.
    await p.apply('host', ORIGINALS.map((i) => sparkExecutor(APP, i, driverUid, { node: 'tidepool', duration: '100h' })));
    const mirrors = await waitFor('the executors Running in east', async () => {
      const m = await p.mirrors('east');
      return ORIGINALS.every((i) => m.get(`${APP}-exec-${i}`)?.status.phase === 'Running') ? m : undefined;
    }, 30_000, 500);
    spiked = [...new Set(ORIGINALS.map((i) => mirrors.get(`${APP}-exec-${i}`)!.spec.nodeName!))].sort();
    expect(spiked.length).toBeLessThan(4);
    for (const i of ORIGINALS) expect(mirrors.get(`${APP}-exec-${i}`)!.spec.schedulerName).toBe('tidepool-scheduler');
  });

  it('evicts the executors from the busy nodes, leaves the online pods, and fails the host pods', async () => {
    await p.apply('east', spiked.map(busyReplica));
    const evicted = await waitFor('the executors evicted', async () => {
      const pods = await Promise.all(ORIGINALS.map((i) => executor(`${APP}-exec-${i}`)));
      return pods.every((x) => x.status.phase === 'Failed') ? pods : undefined;
    }, 75_000, 1_000);
    // The member's Eviction API marks the pod DisruptionTarget (EvictionByEvictionAPI) before deleting
    // it, as kube-apiserver does: the virtual node tells the eviction from a deletion. East's Events
    // below say why it went.
    for (const x of evicted) {
      expect(x.status.reason).toBe('Evicted');
      expect(x.status.message).toMatch(/^the mirror pod east\/spark\/\S+ was evicted/);
    }
    const events = (await p.events('east')).filter((e) => e.reason === 'EvictedForOnlineLoad');
    expect(events.length).toBeGreaterThanOrEqual(ORIGINALS.length);
    expect(events[0]!.message).toMatch(/cpu usage \S+ stayed above the eviction threshold \S+ \(80 % of allocatable\)/);
    // Online work is never evicted: the busy replicas and the driver run on.
    for (const node of spiked) expect((await p.pod('east', `checkout-${node}`, ONLINE_NAMESPACE)).status.phase).toBe('Running');
    expect((await executor(`${APP}-driver`)).status.phase).toBe('Running');
    // The busy nodes keep offline work away for a while.
    for (const node of spiked) expect(await p.kubectl.ok(['--context', 'east', 'get', 'node', node, '-o', 'jsonpath={.metadata.annotations.tidepool\\.dev/offline-evicted-until}'])).not.toBe('');
  });

  it('runs the executors Spark asks for instead on the other nodes, and the app completes', async () => {
    await p.apply('host', REPLACEMENTS.map((i) => sparkExecutor(APP, i, driverUid, { node: 'tidepool', duration: '3m' })));
    const mirrors = await waitFor('the new executors Running or done in east', async () => {
      const m = await p.mirrors('east');
      return REPLACEMENTS.every((i) => ['Running', 'Succeeded'].includes(m.get(`${APP}-exec-${i}`)?.status.phase ?? '')) ? m : undefined;
    }, 30_000, 500);
    for (const i of REPLACEMENTS) expect(spiked).not.toContain(mirrors.get(`${APP}-exec-${i}`)!.spec.nodeName);
    await waitFor('the new executors Succeeded', async () => (await Promise.all(REPLACEMENTS.map((i) => executor(`${APP}-exec-${i}`)))).every((x) => x.status.phase === 'Succeeded'), 30_000, 1_000);
    await waitFor('the driver Succeeded', async () => (await executor(`${APP}-driver`)).status.phase === 'Succeeded', 60_000, 1_000);
    expect(phases(await p.pods('host'))).toEqual({
      [`${APP}-driver`]: 'Succeeded',
      ...Object.fromEntries(ORIGINALS.map((i) => [`${APP}-exec-${i}`, 'Failed'])),
      ...Object.fromEntries(REPLACEMENTS.map((i) => [`${APP}-exec-${i}`, 'Succeeded'])),
    });
  });
});
