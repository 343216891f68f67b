// The informer against simulated API servers on a bad day: outages, dropped watches, 410 Gone,
// expired continue tokens, malformed objects and throwing handlers.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { startSim, type Sim, type SimCluster } from '../../sim/index.js';
import { KubeClient, Informer, POD_FIELDS, indexBy, projectPod, type PodSummary } from '../../kube/index.js';
import { HandlerView, createPod, deletePod, podsRt, relabelPod, sameMap, serverPods } from './fixtures.js';
import { waitFor } from '../helpers/wait.js';

const CLUSTERS = ['down', 'drop', 'gone', 'expire', 'bad', 'sel', 'idle', 'life'];

let sim: Sim;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  sim = await startSim({ clusters: CLUSTERS, nodes: 0, scheduler: false, bookmarkIntervalMs: 200 });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  await sim?.stop();
});

function setup(cluster: string, opts: { pageSize?: number; labelSelector?: string; fieldSelector?: string; idleTimeoutMs?: number } = {}) {
  const registry = new Registry();
  const client = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: cluster }, registry, qps: 1000, burst: 1000, timeoutMs: 5_000 });
  const informer = new Informer<PodSummary>({
    client,
    resource: { version: 'v1', resource: 'pods' },
    project: projectPod,
    fields: POD_FIELDS,
    indexers: { namespace: indexBy.namespace, node: indexBy.node, app: indexBy.label('app') },
    backoff: { initialMs: 50, maxMs: 400 },
    idleTimeoutMs: 3_000,
    ...opts,
  });
  const view = new HandlerView<PodSummary>();
  informer.addHandlers(view);
  cleanups.push(async () => {
    await informer.stop();
    client.close();
  });
  const listRequests = async (): Promise<number> => {
    const m = await registry.getSingleMetric('tidepool_kube_requests_total')!.get();
    return m.values.filter((v) => v.labels['verb'] === 'list' && v.labels['code'] === '200').reduce((a, v) => a + v.value, 0);
  };
  return { client, informer, view, listRequests, c: sim.cluster(cluster) };
}

function converged(c: SimCluster, view: HandlerView<PodSummary>, informer: Informer<PodSummary>): boolean {
  const server = serverPods(c);
  const cache = new Map(informer.list().map((p) => [`${p.namespace}/${p.name}`, p.uid]));
  return sameMap(server, view.uids()) && sameMap(server, cache);
}

describe('informer against the sim', () => {
  it('recovers from a server outage without losing or duplicating deletes, and without relisting', async () => {
    const { informer, view, c } = setup('down');
    for (let i = 0; i < 30; i++) createPod(c, `p${i}`, { node: `n${i % 3}` });
    informer.start();
    expect(await informer.waitForSync({ timeoutMs: 10_000 })).toBe(true);
    expect(view.objects.size).toBe(30);

    await c.outage(true);
    for (let i = 0; i < 10; i++) deletePod(c, `p${i}`);
    for (let i = 30; i < 35; i++) createPod(c, `p${i}`);
    for (let i = 20; i < 25; i++) relabelPod(c, `p${i}`, { tier: 'gold' });
    // Let the informer notice: its reconnects fail and back off.
    await waitFor('failed reconnects during the outage', () => informer.stats.failures >= 2, 15_000, 20);
    await c.outage(false);

    await waitFor('informer to converge after the outage', () => converged(c, view, informer), 15_000, 20);
    expect(view.violations).toEqual([]);
    for (let i = 0; i < 10; i++) expect(view.deletes.get(`default/p${i}`)).toBe(1);
    expect(view.deletes.size).toBe(10);
    // The watch history covered the outage: resumed, never listed again.
    expect(informer.stats.lists).toBe(1);
  });

  it('resumes a dropped watch from the last resourceVersion without a new LIST', async () => {
    const { informer, view, listRequests, c } = setup('drop');
    for (let i = 0; i < 20; i++) createPod(c, `p${i}`);
    informer.start();
    await informer.waitForSync({ timeoutMs: 10_000 });
    const listsBefore = await listRequests();
    expect(listsBefore).toBeGreaterThan(0);

    for (let round = 0; round < 3; round++) {
      await waitFor('the watch to be open', () => c.watches.size > 0, 15_000, 20);
      const watchesBefore = informer.stats.watches;
      expect(c.dropWatches()).toBe(1);
      createPod(c, `after-drop-${round}`);
      deletePod(c, `p${round}`);
      await waitFor(`resume after drop ${round}`, () => informer.stats.watches > watchesBefore && converged(c, view, informer), 15_000, 20);
    }
    expect(await listRequests()).toBe(listsBefore);
    expect(informer.stats.lists).toBe(1);
    expect(view.violations).toEqual([]);
  });

  it('relists on 410 Gone and tells handlers exactly what changed, including a pod recreated under the same name', async () => {
    const { informer, view, c } = setup('gone');
    for (let i = 0; i < 25; i++) createPod(c, `p${i}`);
    informer.start();
    await informer.waitForSync({ timeoutMs: 10_000 });
    const oldUid = informer.getByName('default', 'p24')!.uid;

    await c.outage(true);
    for (let i = 0; i < 5; i++) deletePod(c, `p${i}`);
    for (let i = 5; i < 8; i++) relabelPod(c, `p${i}`, { changed: 'yes' });
    createPod(c, 'fresh');
    deletePod(c, 'p24');
    createPod(c, 'p24', { labels: { incarnation: '2' } });
    c.compact(); // the history the informer would resume from is gone
    await c.outage(false);

    await waitFor('relist after 410', () => informer.stats.gone >= 1 && converged(c, view, informer), 15_000, 20).catch((err: Error) => {
      throw new Error(`${err.message}: stats ${JSON.stringify(informer.stats)}, server ${serverPods(c).size}, cache ${informer.size}, violations ${view.violations.join('; ')}`);
    });
    expect(informer.stats.lists).toBe(2);
    expect(view.violations).toEqual([]);
    for (let i = 0; i < 5; i++) expect(view.deletes.get(`default/p${i}`)).toBe(1);
    // The recreated pod: its old incarnation deleted once, the new one added.
    expect(view.deletes.get('default/p24')).toBe(1);
    const p24 = informer.getByName('default', 'p24')!;
    expect(p24.uid).not.toBe(oldUid);
    expect(p24.uid).toBe(serverPods(c).get('default/p24'));
    expect(view.deletes.size).toBe(6);
  });

  it('restarts a paginated LIST from scratch when its continue token expires', async () => {
    const { informer, view, c } = setup('expire', { pageSize: 5 });
    for (let i = 0; i < 40; i++) createPod(c, `p${String(i).padStart(2, '0')}`);
    c.setFaults({ latencyMs: 150 });
    informer.start();
    await waitFor('the first page', () => informer.stats.listPages >= 1, 15_000, 20);
    createPod(c, 'during-list');
    c.compact(); // the snapshot the continue token points into is gone
    c.clearFaults();
    expect(await informer.waitForSync({ timeoutMs: 10_000 })).toBe(true);
    expect(informer.stats.gone).toBeGreaterThanOrEqual(1);
    expect(informer.stats.lists).toBeGreaterThanOrEqual(2);
    await waitFor('cache equals server after the restarted list', () => converged(c, view, informer), 15_000, 20);
    expect(view.violations).toEqual([]);
  });

  it('reports not synced while the server is down, tells late handlers what it has, and resyncs', async () => {
    const c = sim.cluster('life');
    createPod(c, 'p0');
    createPod(c, 'p1');
    await c.outage(true);
    const registry = new Registry();
    const client = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: 'life' }, registry, maxAttempts: 1 });
    const informer = new Informer<PodSummary>({ client, resource: { version: 'v1', resource: 'pods' }, project: projectPod, backoff: { initialMs: 20, maxMs: 100 }, resyncPeriodMs: 100 });
    cleanups.push(async () => {
      await informer.stop();
      client.close();
    });
    informer.start();
    expect(await informer.waitForSync({ timeoutMs: 300 })).toBe(false);
    expect(informer.hasSynced()).toBe(false);
    await c.outage(false);
    expect(await informer.waitForSync({ timeoutMs: 10_000 })).toBe(true);
    const late = new HandlerView<PodSummary>();
    informer.addHandlers(late);
    expect([...late.objects.keys()].sort()).toEqual(['default/p0', 'default/p1']);
    const resynced = new Set<string>();
    informer.addHandlers({ onResync: (_p, key) => resynced.add(key) });
    await waitFor('a periodic resync of both pods', () => resynced.size === 2, 15_000, 20);
    const aborted = new AbortController();
    aborted.abort();
    const fresh = new Informer<PodSummary>({ client, resource: { version: 'v1', resource: 'pods' } as const, project: projectPod });
    expect(await fresh.waitForSync({ signal: aborted.signal })).toBe(false);
  });

  it('cuts a watch that goes silent and resumes it, without relisting', async () => {
    const c = sim.cluster('idle');
    // No bookmarks: a quiet watch now looks exactly like one on a dead connection.
    c.watches.bookmarkIntervalMs = 60_000;
    const { informer, view } = setup('idle', { idleTimeoutMs: 300 });
    createPod(c, 'p0');
    informer.start();
    await informer.waitForSync({ timeoutMs: 10_000 });
    await waitFor('the idle watchdog to cut the watch twice', () => informer.stats.failures >= 2, 15_000, 20);
    createPod(c, 'p1');
    await waitFor('an event after the cuts', () => view.objects.has('default/p1'), 15_000, 20);
    expect(informer.stats.lists).toBe(1);
    expect(informer.stats.watches).toBeGreaterThanOrEqual(3);
  });

  it('survives malformed objects and throwing handlers, and keeps going', async () => {
    const { informer, view, c } = setup('bad');
    createPod(c, 'good-1');
    informer.start();
    await informer.waitForSync({ timeoutMs: 10_000 });

    const boom = { calls: 0 };
    informer.addHandlers({
      onAdd: (p) => {
        if (p.name === 'trigger') {
          boom.calls++;
          throw new Error('handler bug');
        }
      },
    });
    // Written to storage directly, past validation, as a buggy or newer server might send them.
    c.store.put('/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bad-quantity', namespace: 'default', uid: 'u-bad-1' },
      spec: { containers: [{ name: 'a', resources: { requests: { cpu: 'lots' } } }] },
    });
    c.store.put('/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bad-shape', namespace: 'default', uid: 'u-bad-2', labels: 'not-a-map' as unknown as Record<string, string> },
      spec: { containers: 'nope' },
      status: 7,
    });
    createPod(c, 'trigger');
    createPod(c, 'good-2');
    await waitFor('the pod after the malformed ones', () => view.objects.has('default/good-2'), 15_000, 20);
    expect(boom.calls).toBe(1);
    expect(informer.stats.handlerErrors).toBe(1);
    expect(informer.stats.malformed).toBeGreaterThanOrEqual(1);
    expect(view.objects.has('default/bad-quantity')).toBe(false);
    expect(view.objects.has('default/trigger')).toBe(true);
    // Other handlers still got the pod whose handler threw; the informer is still watching.
    createPod(c, 'good-3');
    await waitFor('a later pod', () => view.objects.has('default/good-3'), 15_000, 20);
    expect(view.violations).toEqual([]);
  });

  it('honours label and field selectors, and indexes by node, namespace and label', async () => {
    const c = sim.cluster('sel');
    c.api.create(c.registry.lookup('', 'v1', 'namespaces')!, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    for (let i = 0; i < 6; i++) createPod(c, `w${i}`, { node: `n${i % 2}`, labels: { app: i < 4 ? 'web' : 'db' } });
    for (let i = 0; i < 3; i++) createPod(c, `a${i}`, { namespace: 'team-a', node: 'n0', labels: { app: 'web' } });
    createPod(c, 'unscheduled', { labels: { app: 'web' } });
    const { informer, view } = setup('sel', { labelSelector: 'app=web', fieldSelector: 'spec.nodeName!=' });
    informer.start();
    await informer.waitForSync({ timeoutMs: 10_000 });
    expect(informer.keys().sort()).toEqual(['default/w0', 'default/w1', 'default/w2', 'default/w3', 'team-a/a0', 'team-a/a1', 'team-a/a2']);
    expect(informer.byIndex('node', 'n0').map((p) => p.name).sort()).toEqual(['a0', 'a1', 'a2', 'w0', 'w2']);
    expect(informer.byIndex('namespace', 'team-a')).toHaveLength(3);
    expect(informer.byIndex('app', 'db')).toHaveLength(0);

    // Leaving the selector is a delete for the informer; entering it is an add.
    relabelPod(c, 'w0', { app: 'db' });
    relabelPod(c, 'w4', { app: 'web' });
    await waitFor('selector moves', () => informer.getByName('default', 'w4') !== undefined && informer.getByName('default', 'w0') === undefined, 15_000, 20);
    expect(view.deletes.get('default/w0')).toBe(1);
    expect(informer.byIndex('node', 'n0').map((p) => p.name).sort()).toEqual(['a0', 'a1', 'a2', 'w2', 'w4']);
    expect(view.violations).toEqual([]);
    expect(podsRt(c).resource).toBe('pods');
  });
});
