// @kubernetes/client-node against the sim, unmodified: paginated lists, watches
// (resume, bookmarks, timeouts, 410), the informer, optimistic concurrency, binding,
// eviction, leases, metrics, namespace deletion and finalizers, CRDs.

import {
  ApiException,
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  makeInformer,
  Metrics,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1ConfigMap,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podManifest, sleep, startTestSim, waitFor, type TestSim } from './helpers.js';

let t: TestSim;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  // The scheduler is off: this file binds pods itself.
  t = await startTestSim({ clusters: ['host', 'east'], nodes: 2, scheduler: false, startDelayMs: 100, terminationDelayMs: 100, bookmarkIntervalMs: 200 });
  kc = new KubeConfig();
  kc.loadFromString(t.sim.kubeconfig);
  kc.setCurrentContext('east');
  core = kc.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await t?.stop();
});

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) {
      const body = typeof e.body === 'string' ? (JSON.parse(e.body) as Record<string, unknown>) : (e.body as Record<string, unknown>);
      return { code: e.code, body, headers: e.headers };
    }
    throw e;
  }
  throw new Error('expected the call to fail');
}

async function createNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
}

interface WatchEvent {
  type: string;
  object: Record<string, unknown> & { metadata?: { name?: string; resourceVersion?: string } };
}

/** Opens a watch and collects its events until it ends; `abort` stops it. */
async function openWatch(path: string, query: Record<string, string | number | boolean | undefined>): Promise<{ events: WatchEvent[]; ended: Promise<unknown>; abort(): void }> {
  const events: WatchEvent[] = [];
  let resolveEnd!: (v: unknown) => void;
  const ended = new Promise((r) => (resolveEnd = r));
  const ctl = await new Watch(kc).watch(
    path,
    query,
    (type, object) => events.push({ type, object: object as WatchEvent['object'] }),
    (err) => resolveEnd(err ?? 'closed'),
  );
  return { events, ended, abort: () => ctl.abort() };
}

describe('LIST with limit/continue', () => {
  const ns = 'paging';
  beforeAll(async () => {
    await createNamespace(ns);
    for (let i = 0; i < 25; i++) {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `cm-${String(i).padStart(2, '0')}`, labels: { i: String(i % 2) } }, data: { i: String(i) } } });
    }
  });

  it('pages through a consistent snapshot while writes happen', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: ns, limit: 10 });
    expect(first.items.map((c) => c.metadata?.name)).toEqual(Array.from({ length: 10 }, (_, i) => `cm-${String(i).padStart(2, '0')}`));
    expect(first.metadata?._continue).toBeTruthy();
    expect(first.metadata?.remainingItemCount).toBe(15);
    const snapshotRv = first.metadata?.resourceVersion;
    // Writes between pages: a new object, a deletion and an update of a later item.
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm-99' } } });
    await core.deleteNamespacedConfigMap({ name: 'cm-20', namespace: ns });
    await core.patchNamespacedConfigMap(
      { name: 'cm-15', namespace: ns, body: { data: { i: 'changed' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const names = first.items.map((c) => c.metadata!.name!);
    let cont = first.metadata?._continue;
    let seen15: V1ConfigMap | undefined;
    while (cont) {
      const page = await core.listNamespacedConfigMap({ namespace: ns, limit: 10, _continue: cont });
      expect(page.metadata?.resourceVersion).toBe(snapshotRv);
      for (const c of page.items) {
        names.push(c.metadata!.name!);
        if (c.metadata?.name === 'cm-15') seen15 = c;
      }
      cont = page.metadata?._continue;
    }
    // The snapshot: all 25 originals (cm-20 included), not cm-99, cm-15 unchanged.
    expect(names).toHaveLength(25);
    expect(names).toContain('cm-20');
    expect(names).not.toContain('cm-99');
    expect(seen15?.data).toEqual({ i: '15' });
    const fresh = await core.listNamespacedConfigMap({ namespace: ns });
    expect(fresh.items).toHaveLength(25);
    expect(fresh.items.map((c) => c.metadata?.name)).toContain('cm-99');
  });

  it('pages with a label selector', async () => {
    const names: string[] = [];
    let cont: string | undefined;
    do {
      const page = await core.listNamespacedConfigMap({ namespace: ns, limit: 4, labelSelector: 'i=1', ...(cont ? { _continue: cont } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(4);
      names.push(...page.items.map((c) => c.metadata!.name!));
      cont = page.metadata?._continue;
    } while (cont);
    expect(names.sort()).toEqual(['cm-01', 'cm-03', 'cm-05', 'cm-07', 'cm-09', 'cm-11', 'cm-13', 'cm-15', 'cm-17', 'cm-19', 'cm-21', 'cm-23']);
  });

  it('an expired continue token gets 410 Expired after compaction', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: ns, limit: 5 });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after-first-page' } } });
    t.sim.cluster('east').compact();
    const err = await apiError(core.listNamespacedConfigMap({ namespace: ns, limit: 5, _continue: first.metadata!._continue! }));
    expect(err.code).toBe(410);
    expect(err.body['reason']).toBe('Expired');
    expect(err.body['kind']).toBe('Status');
    // A fresh list still works.
    expect((await core.listNamespacedConfigMap({ namespace: ns, limit: 5 })).items).toHaveLength(5);
  });
});

describe('WATCH', () => {
  const ns = 'watching';
  beforeAll(async () => {
    await createNamespace(ns);
  });

  it('resumes from a resourceVersion and sees only later changes, in order', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' } } });
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const rv = list.metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a1' } } });
    await core.patchNamespacedConfigMap({ name: 'a1', namespace: ns, body: { data: { x: '1' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ name: 'a1', namespace: ns });
    const w = await openWatch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: rv });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a2' } } });
    await waitFor('four events', () => w.events.length >= 4);
    w.abort();
    expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(['ADDED a1', 'MODIFIED a1', 'DELETED a1', 'ADDED a2']);
    const rvs = w.events.map((e) => Number(e.object.metadata?.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    expect(rvs[0]).toBeGreaterThan(Number(rv));
  });

  it('without a resourceVersion starts with the current objects as ADDED', async () => {
    const names = (await core.listNamespacedConfigMap({ namespace: ns })).items.map((c) => c.metadata!.name!).sort();
    expect(names).toEqual(expect.arrayContaining(['a2', 'before']));
    const w = await openWatch(`/api/v1/namespaces/${ns}/configmaps`, {});
    await waitFor('initial events', () => w.events.length >= names.length);
    await sleep(100);
    w.abort();
    expect(w.events.every((e) => e.type === 'ADDED')).toBe(true);
    expect(w.events.map((e) => e.object.metadata?.name).sort()).toEqual(names);
  });

  it('sends BOOKMARKs when asked, carrying a current resourceVersion', async () => {
    const rv = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    const w = await openWatch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: rv, allowWatchBookmarks: true });
    await waitFor('a bookmark', () => w.events.some((e) => e.type === 'BOOKMARK'), 5000);
    w.abort();
    const b = w.events.find((e) => e.type === 'BOOKMARK')!;
    expect(b.object['kind']).toBe('ConfigMap');
    expect(Number(b.object.metadata?.resourceVersion)).toBeGreaterThanOrEqual(Number(rv));
  });

  it('sends no BOOKMARKs unless asked', async () => {
    const rv = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    const w = await openWatch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: rv });
    await sleep(600);
    w.abort();
    expect(w.events.filter((e) => e.type === 'BOOKMARK')).toEqual([]);
  });

  it('ends the stream after timeoutSeconds', async () => {
    const rv = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    const w = await openWatch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: rv, timeoutSeconds: 1 });
    const how = await Promise.race([w.ended, sleep(5000).then(() => 'still open')]);
    expect(how).toBe('closed');
  });

  it('a watch from before a compaction gets an ERROR event with a 410 Status', async () => {
    const rv = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c1' } } });
    t.sim.cluster('east').compact();
    const w = await openWatch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: rv });
    await Promise.race([w.ended, sleep(5000)]);
    expect(w.events).toHaveLength(1);
    expect(w.events[0]!.type).toBe('ERROR');
    expect(w.events[0]!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('a watch from the current resourceVersion still works after compaction', async () => {
    t.sim.cluster('east').compact();
    const rv = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    const w = await openWatch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: rv });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c2' } } });
    await waitFor('ADDED c2', () => w.events.some((e) => e.type === 'ADDED' && e.object.metadata?.name === 'c2'));
    w.abort();
    expect(w.events.some((e) => e.type === 'ERROR')).toBe(false);
  });

  it('filters by label selector, turning label changes into ADDED/DELETED', async () => {
    const rv = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    const w = await openWatch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: rv, labelSelector: 'team=blue' });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 's1' } } });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await core.patchNamespacedConfigMap({ name: 's1', namespace: ns, body: { metadata: { labels: { team: 'blue' } } } }, merge);
    await core.patchNamespacedConfigMap({ name: 's1', namespace: ns, body: { data: { k: 'v' } } }, merge);
    await core.patchNamespacedConfigMap({ name: 's1', namespace: ns, body: { metadata: { labels: { team: 'red' } } } }, merge);
    await waitFor('three events', () => w.events.length >= 3);
    await sleep(100);
    w.abort();
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });
});

describe('informer', () => {
  it('makeInformer lists, watches, and recovers from a forced 410 by relisting', async () => {
    const ns = 'informed';
    await createNamespace(ns);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'i0' } } });
    let lists = 0;
    const informer = makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: ns });
    });
    const added: string[] = [];
    const deleted: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => added.push(o.metadata!.name!));
    informer.on('delete', (o) => deleted.push(o.metadata!.name!));
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await waitFor('i0 in cache', () => informer.get('i0', ns));
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'i1' } } });
      await waitFor('i1 in cache', () => informer.get('i1', ns));
      expect(lists).toBe(1);
      // A write the informer does not see moves the cluster past its resourceVersion;
      // compaction then makes its resume point too old, and the dropped stream resumes into a 410.
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'elsewhere' } } });
      const east = t.sim.cluster('east');
      east.compact();
      expect(east.dropWatches()).toBeGreaterThanOrEqual(1);
      await waitFor('a relist after the 410', () => lists >= 2, 10_000);
      await core.deleteNamespacedConfigMap({ name: 'i0', namespace: ns });
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'i2' } } });
      await waitFor('i2 in cache and i0 gone', () => informer.get('i2', ns) !== undefined && informer.get('i0', ns) === undefined, 10_000);
      expect(added).toEqual(expect.arrayContaining(['i0', 'i1', 'i2']));
      expect(deleted).toEqual(['i0']);
      expect(errors).toEqual([]);
      expect(informer.list(ns).map((c) => c.metadata!.name).sort()).toEqual(['i1', 'i2']);
    } finally {
      await informer.stop();
    }
  });
});

describe('object semantics', () => {
  it('409 Conflict on an update with a stale resourceVersion', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'occ' }, data: { v: '1' } } });
    const stale = structuredClone(cm);
    cm.data = { v: '2' };
    const updated = await core.replaceNamespacedConfigMap({ name: 'occ', namespace: 'default', body: cm });
    expect(Number(updated.metadata!.resourceVersion)).toBeGreaterThan(Number(stale.metadata!.resourceVersion));
    stale.data = { v: 'stale' };
    const err = await apiError(core.replaceNamespacedConfigMap({ name: 'occ', namespace: 'default', body: stale }));
    expect(err.code).toBe(409);
    expect(err.body['reason']).toBe('Conflict');
    expect((await core.readNamespacedConfigMap({ name: 'occ', namespace: 'default' })).data).toEqual({ v: '2' });
  });

  it('409 AlreadyExists on a duplicate create', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dup' } } });
    const err = await apiError(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dup' } } }));
    expect(err.code).toBe(409);
    expect(err.body['reason']).toBe('AlreadyExists');
    expect(err.body['details']).toMatchObject({ name: 'dup', kind: 'configmaps' });
  });

  it('generateName makes a unique name', async () => {
    const a = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'gen-' } } });
    const b = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'gen-' } } });
    expect(a.metadata!.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(a.metadata!.name).not.toBe(b.metadata!.name);
    expect(a.metadata!.uid).not.toBe(b.metadata!.uid);
  });
});

describe('pods: binding and eviction', () => {
  it('binds a pod through pods/binding; a second binding is a 409', async () => {
    const pod = await core.createNamespacedPod({ namespace: 'default', body: podManifest('bind-me') as V1Pod });
    expect(pod.status?.phase).toBe('Pending');
    await core.createNamespacedPodBinding({
      name: 'bind-me',
      namespace: 'default',
      body: { metadata: { name: 'bind-me' }, target: { apiVersion: 'v1', kind: 'Node', name: 'east-node-1' } },
    });
    const bound = await core.readNamespacedPod({ name: 'bind-me', namespace: 'default' });
    expect(bound.spec?.nodeName).toBe('east-node-1');
    expect(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    await waitFor('Running', async () => (await core.readNamespacedPod({ name: 'bind-me', namespace: 'default' })).status?.phase === 'Running');
    const err = await apiError(
      core.createNamespacedPodBinding({ name: 'bind-me', namespace: 'default', body: { metadata: { name: 'bind-me' }, target: { kind: 'Node', name: 'east-node-0' } } }),
    );
    expect(err.code).toBe(409);
  });

  it('evicts a pod through policy/v1 Eviction: it terminates, then is gone', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: podManifest('evict-me') as V1Pod });
    await core.createNamespacedPodBinding({ name: 'evict-me', namespace: 'default', body: { metadata: { name: 'evict-me' }, target: { kind: 'Node', name: 'east-node-0' } } });
    await waitFor('Running', async () => (await core.readNamespacedPod({ name: 'evict-me', namespace: 'default' })).status?.phase === 'Running');
    await core.createNamespacedPodEviction({
      name: 'evict-me',
      namespace: 'default',
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evict-me', namespace: 'default' } },
    });
    await waitFor('gone', async () => (await apiError(core.readNamespacedPod({ name: 'evict-me', namespace: 'default' }))).code === 404);
    const err = await apiError(
      core.createNamespacedPodEviction({ name: 'evict-me', namespace: 'default', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evict-me' } } }),
    );
    expect(err.code).toBe(404);
  });
});

describe('leases', () => {
  it('creates and renews a Lease; a stale renew conflicts', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    const now = (): Date => new Date();
    const created = await leases.createNamespacedLease({
      namespace: 'kube-system',
      body: { metadata: { name: 'my-controller' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: now(), renewTime: now() } },
    });
    expect(created.spec?.holderIdentity).toBe('me');
    const first = created.spec!.renewTime!;
    await sleep(20);
    created.spec!.renewTime = now();
    const renewed = await leases.replaceNamespacedLease({ name: 'my-controller', namespace: 'kube-system', body: created });
    expect(new Date(renewed.spec!.renewTime!).getTime()).toBeGreaterThan(new Date(first).getTime());
    // Another candidate holding the old copy loses.
    created.spec!.holderIdentity = 'other';
    const err = await apiError(leases.replaceNamespacedLease({ name: 'my-controller', namespace: 'kube-system', body: created }));
    expect(err.code).toBe(409);
    const read = await leases.readNamespacedLease({ name: 'my-controller', namespace: 'kube-system' });
    expect(read.spec?.holderIdentity).toBe('me');
  });

  it('simulated kubelets renew their node Leases', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    const list = await leases.listNamespacedLease({ namespace: 'kube-node-lease' });
    expect(list.items.map((l) => l.metadata?.name).sort()).toEqual(['east-node-0', 'east-node-1']);
    expect(list.items.every((l) => l.spec?.holderIdentity === l.metadata?.name && l.spec?.renewTime)).toBe(true);
  });
});

describe('metrics.k8s.io', () => {
  it('serves NodeMetrics and PodMetrics from simulated usage', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: podManifest('busy', { annotations: { 'sim.tidepool.dev/cpu-usage': '750m', 'sim.tidepool.dev/memory-usage': '200Mi' } }) as V1Pod,
    });
    await core.createNamespacedPodBinding({ name: 'busy', namespace: 'default', body: { metadata: { name: 'busy' }, target: { kind: 'Node', name: 'east-node-0' } } });
    await waitFor('Running', async () => (await core.readNamespacedPod({ name: 'busy', namespace: 'default' })).status?.phase === 'Running');
    const metrics = new Metrics(kc);
    const pods = await metrics.getPodMetrics('default');
    const busy = pods.items.find((p) => p.metadata.name === 'busy');
    expect(busy?.containers[0]?.usage).toEqual({ cpu: '750m', memory: `${200 * 1024}Ki` });
    const nodes = await metrics.getNodeMetrics();
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['east-node-0', 'east-node-1']);
    const n0 = nodes.items.find((n) => n.metadata.name === 'east-node-0')!;
    const n1 = nodes.items.find((n) => n.metadata.name === 'east-node-1')!;
    const milli = (q: string): number => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
    // Node usage = system overhead + pod usage; node 0 carries the busy pod.
    expect(milli(n0.usage.cpu)).toBeGreaterThanOrEqual(750);
    expect(milli(n0.usage.cpu)).toBeGreaterThan(milli(n1.usage.cpu));
  });
});

describe('namespaces and finalizers', () => {
  it('a deleted namespace is Terminating, its content is deleted, then it is gone', async () => {
    await createNamespace('doomed');
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'x' } } });
    await core.createNamespacedPod({ namespace: 'doomed', body: podManifest('p') as V1Pod });
    await core.createNamespacedPodBinding({ name: 'p', namespace: 'doomed', body: { metadata: { name: 'p' }, target: { kind: 'Node', name: 'east-node-0' } } });
    // An object with a finalizer keeps the namespace Terminating until the finalizer goes.
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    await core.deleteNamespace({ name: 'doomed' });
    const ns = await core.readNamespace({ name: 'doomed' });
    expect(ns.status?.phase).toBe('Terminating');
    expect(ns.metadata?.deletionTimestamp).toBeTruthy();
    const err = await apiError(core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'late' } } }));
    expect(err.code).toBe(403);
    // The namespace controller deletes the content; the held object waits for its finalizer.
    await waitFor('content deleted', async () => {
      const cms = (await core.listNamespacedConfigMap({ namespace: 'doomed' })).items;
      const pods = (await core.listNamespacedPod({ namespace: 'doomed' })).items;
      return pods.length === 0 && cms.length === 1 && cms[0]!.metadata?.name === 'held' && cms[0]!.metadata?.deletionTimestamp !== undefined;
    }, 15_000);
    await sleep(300);
    expect((await core.readNamespace({ name: 'doomed' })).status?.phase).toBe('Terminating');
    await core.patchNamespacedConfigMap({ name: 'held', namespace: 'doomed', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    await waitFor('namespace gone', async () => (await apiError(core.readNamespace({ name: 'doomed' }))).code === 404, 15_000);
    expect((await core.listNamespacedConfigMap({ namespace: 'doomed' })).items).toEqual([]);
    expect((await core.listNamespacedPod({ namespace: 'doomed' })).items).toEqual([]);
  });

  it('a finalizer holds deletion until it is removed', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    const del = await core.deleteNamespacedConfigMap({ name: 'held', namespace: 'default' });
    expect(del).toBeTruthy();
    const still = await core.readNamespacedConfigMap({ name: 'held', namespace: 'default' });
    expect(still.metadata?.deletionTimestamp).toBeTruthy();
    expect(still.metadata?.finalizers).toEqual(['example.com/hold']);
    // Updates other than removing the finalizer are still allowed while terminating.
    await core.patchNamespacedConfigMap({ name: 'held', namespace: 'default', body: { data: { k: 'v' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.patchNamespacedConfigMap({ name: 'held', namespace: 'default', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    expect((await apiError(core.readNamespacedConfigMap({ name: 'held', namespace: 'default' }))).code).toBe(404);
  });
});

describe('events', () => {
  it('events.k8s.io/v1 and core/v1 are two views of the same Events, with their own field selectors', async () => {
    const ev = kc.makeApiClient(EventsV1Api);
    await ev.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'placed.1' },
        eventTime: new Date(),
        reportingController: 'tidepool.dev/virtual-node',
        reportingInstance: 'vn-1',
        action: 'Place',
        reason: 'Placed',
        type: 'Normal',
        note: 'placed into east',
        regarding: { kind: 'Pod', namespace: 'default', name: 'some-pod', apiVersion: 'v1' },
      },
    });
    const coreView = await core.readNamespacedEvent({ name: 'placed.1', namespace: 'default' });
    expect(coreView.apiVersion).toBe('v1');
    expect((await ev.readNamespacedEvent({ name: 'placed.1', namespace: 'default' })).apiVersion).toBe('events.k8s.io/v1');
    expect(coreView).toMatchObject({ reason: 'Placed', message: 'placed into east', involvedObject: { name: 'some-pod', kind: 'Pod' } });
    const byRegarding = await ev.listNamespacedEvent({ namespace: 'default', fieldSelector: 'regarding.name=some-pod,reportingController=tidepool.dev/virtual-node' });
    expect(byRegarding.items.map((e) => e.metadata?.name)).toEqual(['placed.1']);
    const byInvolved = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=some-pod,reason=Placed' });
    expect(byInvolved.items.map((e) => e.metadata?.name)).toEqual(['placed.1']);
    expect((await ev.listNamespacedEvent({ namespace: 'default', fieldSelector: 'regarding.name=other' })).items).toEqual([]);
  });
});

describe('CRDs and custom resources', () => {
  it('serves a CRD generically, with a status subresource', async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'gadgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } }, status: { type: 'object', properties: { phase: { type: 'string' } } } } } },
            },
          ],
        },
      },
    });
    const crd = await ext.readCustomResourceDefinition({ name: 'gadgets.example.com' });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    const co = kc.makeApiClient(CustomObjectsApi);
    const g = { group: 'example.com', version: 'v1', namespace: 'default', plural: 'gadgets' };
    const created = (await co.createNamespacedCustomObject({ ...g, body: { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { size: 1 }, status: { phase: 'ignored' } } })) as Record<string, unknown> & {
      metadata: { generation: number };
    };
    expect(created['status']).toBeUndefined();
    expect(created.metadata.generation).toBe(1);
    // Status through the subresource; the main resource ignores status changes.
    await co.patchNamespacedCustomObjectStatus({ ...g, name: 'g1', body: { status: { phase: 'Ready' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await co.patchNamespacedCustomObject({ ...g, name: 'g1', body: { spec: { size: 2 }, status: { phase: 'Hacked' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const got = (await co.getNamespacedCustomObject({ ...g, name: 'g1' })) as { spec: { size: number }; status: { phase: string }; metadata: { generation: number } };
    expect(got.spec.size).toBe(2);
    expect(got.status.phase).toBe('Ready');
    expect(got.metadata.generation).toBe(2);
    const list = (await co.listNamespacedCustomObject(g)) as { kind: string; items: unknown[] };
    expect(list.kind).toBe('GadgetList');
    expect(list.items).toHaveLength(1);
    // Deleting the CRD removes its resources.
    await ext.deleteCustomResourceDefinition({ name: 'gadgets.example.com' });
    await waitFor('gadgets no longer served', async () => (await apiError(co.listNamespacedCustomObject(g))).code === 404);
  });
  it('serves a custom resource in every served version, converting apiVersion', async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const schema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'things.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'things', singular: 'thing', kind: 'Thing' },
          versions: [
            { name: 'v1', served: true, storage: true, schema },
            { name: 'v1beta1', served: true, storage: false, schema },
          ],
        },
      },
    });
    const co = kc.makeApiClient(CustomObjectsApi);
    const at = (version: string): { group: string; version: string; namespace: string; plural: string } => ({ group: 'example.com', version, namespace: 'default', plural: 'things' });
    await co.createNamespacedCustomObject({ ...at('v1beta1'), body: { apiVersion: 'example.com/v1beta1', kind: 'Thing', metadata: { name: 't1' }, spec: { a: 1 } } });
    const v1 = (await co.getNamespacedCustomObject({ ...at('v1'), name: 't1' })) as { apiVersion: string };
    const beta = (await co.getNamespacedCustomObject({ ...at('v1beta1'), name: 't1' })) as { apiVersion: string };
    expect(v1.apiVersion).toBe('example.com/v1');
    expect(beta.apiVersion).toBe('example.com/v1beta1');
    const list = (await co.listNamespacedCustomObject(at('v1'))) as { apiVersion: string; items: Array<{ apiVersion: string }> };
    expect(list.apiVersion).toBe('example.com/v1');
    expect(list.items.map((i) => i.apiVersion)).toEqual(['example.com/v1']);
    await ext.deleteCustomResourceDefinition({ name: 'things.example.com' });
  });
});
