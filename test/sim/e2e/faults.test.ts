// Fault injection, from code and through the admin HTTP endpoint: latency, error
// rates (500, 429 + Retry-After), full outage, dropped watches and compaction. Each
// fault is observed the way a client sees it, then cleared.

import { ApiException, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimCluster } from '../../../sim/index.js';
import { accessFor, expectStatus, raw, sleep, startTestSim, waitFor, type ClusterAccess, type TestSim } from './helpers.js';

let t: TestSim;
let east: SimCluster;
let access: ClusterAccess;
let hostAccess: ClusterAccess;
let core: CoreV1Api;
let kc: KubeConfig;

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host', 'east'], nodes: 1, admin: true });
  east = t.sim.cluster('east');
  access = accessFor(t.sim.kubeconfig, 'east');
  hostAccess = accessFor(t.sim.kubeconfig, 'host');
  kc = new KubeConfig();
  kc.loadFromString(t.sim.kubeconfig);
  kc.setCurrentContext('east');
  core = kc.makeApiClient(CoreV1Api);
});

afterEach(async () => {
  east.clearFaults();
  await east.outage(false);
});

afterAll(async () => {
  await t?.stop();
});

/** Calls the admin endpoint with its bearer token. */
async function admin(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${t.sim.admin!.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token ?? t.sim.admin!.token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

/** Collects the events of a raw watch and tells when the stream ends. */
async function watchPods(namespace: string, query: Record<string, string> = {}): Promise<{ events: Array<{ type: string }>; ended: Promise<string> }> {
  const events: Array<{ type: string }> = [];
  let end!: (why: string) => void;
  const ended = new Promise<string>((r) => (end = r));
  await new Watch(kc).watch(`/api/v1/namespaces/${namespace}/pods`, query, (type) => events.push({ type }), (err) => end(err ? String(err) : 'closed'));
  return { events, ended };
}

describe('faults from code', () => {
  it('latency delays every API request by at least the setting', async () => {
    east.setFaults({ latencyMs: 300 });
    const { value, ms } = await timed(() => raw(access, 'GET', '/api/v1/namespaces'));
    expect(value.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(290);
    east.clearFaults();
    expect((await raw(access, 'GET', '/api/v1/namespaces')).status).toBe(200);
  });

  it('errorRate 1 with 500 fails every request with an InternalError Status; other clusters are unaffected', async () => {
    east.setFaults({ errorRate: 1, errorCode: 500 });
    for (let i = 0; i < 3; i++) expectStatus(await raw(access, 'GET', '/api/v1/pods'), 500, 'InternalError');
    expect((await raw(hostAccess, 'GET', '/api/v1/pods')).status).toBe(200);
    // Health endpoints stay up, like a real apiserver behind a failing storage layer.
    expect((await raw(access, 'GET', '/version')).status).toBe(200);
    east.clearFaults();
    expect((await raw(access, 'GET', '/api/v1/pods')).status).toBe(200);
  });

  it('errorRate with 429 sends TooManyRequests with Retry-After (header and details)', async () => {
    east.setFaults({ errorRate: 1, errorCode: 429, retryAfterSeconds: 7 });
    const r = await raw(access, 'GET', '/api/v1/pods');
    const s = expectStatus(r, 429, 'TooManyRequests');
    expect(r.headers['retry-after']).toBe('7');
    expect((s['details'] as { retryAfterSeconds: number }).retryAfterSeconds).toBe(7);
    // client-node surfaces it as an ApiException carrying the header.
    const err = await core.listNamespacedPod({ namespace: 'default' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(429);
    expect((err as ApiException<unknown>).headers['retry-after']).toBe('7');
  });

  it('a partial error rate fails some requests and serves the rest', async () => {
    east.setFaults({ errorRate: 0.5, errorCode: 500 });
    const codes = new Set<number>();
    for (let i = 0; i < 60 && codes.size < 2; i++) codes.add((await raw(access, 'GET', '/api/v1/namespaces')).status);
    expect([...codes].sort()).toEqual([200, 500]);
  });

  it('rejects bad settings', () => {
    expect(() => east.setFaults({ errorRate: 2 })).toThrow(/errorRate/);
    expect(() => east.setFaults({ errorCode: 503 as 500 })).toThrow(/errorCode/);
    expect(() => east.setFaults({ latencyMs: -1 })).toThrow(/latencyMs/);
    expect(() => east.setFaults({ bogus: 1 } as Record<string, unknown>)).toThrow(/unknown fault/);
    expect(east.faults()).toEqual({ latencyMs: 0, errorRate: 0, errorCode: 500, retryAfterSeconds: 1 });
  });

  it('an outage refuses connections and cuts open watches; afterwards the same URL serves the same state', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'survives' } } });
    const w = await watchPods('default');
    await east.outage(true);
    expect(east.listening).toBe(false);
    expect(await Promise.race([w.ended, sleep(3000).then(() => 'still open')])).not.toBe('still open');
    const refused = await raw(access, 'GET', '/api/v1/namespaces', { freshConnection: true }).then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(refused).toBe('ECONNREFUSED');
    // The other cluster is up.
    expect((await raw(hostAccess, 'GET', '/api/v1/namespaces')).status).toBe(200);
    await east.outage(false);
    expect(east.listening).toBe(true);
    const back = await raw(access, 'GET', '/api/v1/namespaces/default/configmaps/survives', { freshConnection: true });
    expect(back.status).toBe(200);
  });

  it('state changes made during an outage (by kubelets, in process) are visible afterwards', async () => {
    await east.outage(true);
    const rt = east.registry.lookup('', 'v1', 'configmaps')!;
    east.api.create(rt, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'made-while-down' } });
    await east.outage(false);
    expect((await raw(access, 'GET', '/api/v1/namespaces/default/configmaps/made-while-down', { freshConnection: true })).status).toBe(200);
  });

  it('dropWatches ends every open watch; a resumed watch sees what happened since', async () => {
    const rv = (await core.listNamespacedPod({ namespace: 'default' })).metadata!.resourceVersion!;
    const w1 = await watchPods('default', { resourceVersion: rv });
    const w2 = await watchPods('kube-system', { resourceVersion: rv });
    await waitFor('two watches registered', () => east.watches.size >= 2);
    expect(east.dropWatches()).toBeGreaterThanOrEqual(2);
    expect(await Promise.race([Promise.all([w1.ended, w2.ended]).then(() => 'ended'), sleep(3000).then(() => 'still open')])).toBe('ended');
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-drop' } } });
    // Resuming the configmap watch from the old resourceVersion replays the change.
    const events: string[] = [];
    const ctl = await new Watch(kc).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: rv }, (type, obj: { metadata: { name: string } }) => events.push(`${type} ${obj.metadata.name}`), () => undefined);
    await waitFor('replayed', () => events.includes('ADDED after-drop'));
    ctl.abort();
  });

  it('compact makes older resourceVersions answer 410 to LIST (Exact) and WATCH', async () => {
    const rv = (await core.listNamespacedPod({ namespace: 'default' })).metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'before-compact' } } });
    east.compact();
    const list = await raw(access, 'GET', `/api/v1/namespaces/default/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    expectStatus(list, 410, 'Expired');
    const w = await raw(access, 'GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
    expect(w.status).toBe(200);
    const line = JSON.parse(w.body.trim().split('\n')[0]!) as { type: string; object: Record<string, unknown> };
    expect(line.type).toBe('ERROR');
    expect(line.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });
});

describe('faults through the admin endpoint', () => {
  it('needs its bearer token', async () => {
    expect((await admin('GET', '/clusters', undefined, 'wrong')).status).toBe(401);
    const ok = await admin('GET', '/clusters');
    expect(ok.status).toBe(200);
    const clusters = ok.json['clusters'] as Array<{ name: string; down: boolean; nodes: number }>;
    expect(clusters.map((c) => c.name)).toEqual(['host', 'east']);
    expect(clusters.every((c) => !c.down && c.nodes === 1)).toBe(true);
  });

  it('PATCH and DELETE /clusters/:name/faults set and clear latency and error rates', async () => {
    const set = await admin('PATCH', '/clusters/east/faults', { errorRate: 1, errorCode: 429, retryAfterSeconds: 3 });
    expect(set.status).toBe(200);
    expect(set.json['faults']).toMatchObject({ errorRate: 1, errorCode: 429, retryAfterSeconds: 3 });
    const r = await raw(access, 'GET', '/api/v1/pods');
    expectStatus(r, 429, 'TooManyRequests');
    expect(r.headers['retry-after']).toBe('3');
    expect((await admin('PATCH', '/clusters/east/faults', { errorCode: 500 })).status).toBe(200);
    expectStatus(await raw(access, 'GET', '/api/v1/pods'), 500, 'InternalError');
    expect((await admin('DELETE', '/clusters/east/faults')).status).toBe(200);
    expect((await raw(access, 'GET', '/api/v1/pods')).status).toBe(200);
    expect((await admin('PATCH', '/clusters/east/faults', { latencyMs: 250 })).status).toBe(200);
    const { ms } = await timed(() => raw(access, 'GET', '/api/v1/pods'));
    expect(ms).toBeGreaterThanOrEqual(240);
  });

  it('rejects bad settings and unknown clusters with 400 / 404', async () => {
    expect((await admin('PATCH', '/clusters/east/faults', { errorRate: 'lots' })).status).toBe(400);
    expect((await admin('PATCH', '/clusters/nope/faults', { errorRate: 0 })).status).toBe(404);
    expect((await admin('POST', '/clusters/east/outage', { down: 'yes' })).status).toBe(400);
    expect((await admin('POST', '/clusters/east/nodes/nope/ready', { ready: false })).status).toBe(404);
    expect(east.faults().errorRate).toBe(0);
  });

  it('POST outage takes the cluster down and brings it back', async () => {
    expect((await admin('POST', '/clusters/east/outage', { down: true })).status).toBe(200);
    const refused = await raw(access, 'GET', '/api/v1/namespaces', { freshConnection: true }).then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(refused).toBe('ECONNREFUSED');
    const state = (await admin('GET', '/clusters')).json['clusters'] as Array<{ name: string; down: boolean }>;
    expect(state.find((c) => c.name === 'east')?.down).toBe(true);
    expect((await admin('POST', '/clusters/east/outage', { down: false })).status).toBe(200);
    expect((await raw(access, 'GET', '/api/v1/namespaces', { freshConnection: true })).status).toBe(200);
    // {"on": ...} is an alias.
    expect((await admin('POST', '/clusters/east/outage', { on: true })).status).toBe(200);
    expect(east.listening).toBe(false);
    expect((await admin('POST', '/clusters/east/outage', { on: false })).status).toBe(200);
    expect(east.listening).toBe(true);
  });

  it('POST drop-watches and compact act like the code calls', async () => {
    const rv = (await core.listNamespacedPod({ namespace: 'default' })).metadata!.resourceVersion!;
    const w = await watchPods('default', { resourceVersion: rv });
    await waitFor('watch registered', () => east.watches.size >= 1);
    const dropped = await admin('POST', '/clusters/east/drop-watches');
    expect(dropped.json['dropped']).toBeGreaterThanOrEqual(1);
    expect(await Promise.race([w.ended.then(() => 'ended'), sleep(3000).then(() => 'still open')])).toBe('ended');
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'pre-admin-compact' } } });
    const c = await admin('POST', '/clusters/east/compact');
    expect(c.status).toBe(200);
    expect(Number(c.json['compactedAt'])).toBeGreaterThan(Number(rv));
    const again = await raw(access, 'GET', `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    expect(again.body).toContain('"code":410');
  });

  it('POST nodes/:node/ready and scheduler switch node readiness and scheduling', async () => {
    expect((await admin('POST', '/clusters/east/nodes/east-node-0/ready', { ready: false })).status).toBe(200);
    const node = await core.readNode({ name: 'east-node-0' });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).not.toBe('True');
    expect((await admin('POST', '/clusters/east/nodes/east-node-0/ready', { ready: true })).status).toBe(200);
    expect((await core.readNode({ name: 'east-node-0' })).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect((await admin('POST', '/clusters/east/scheduler', { enabled: false })).status).toBe(200);
    expect(east.scheduler.isEnabled()).toBe(false);
    expect((await admin('POST', '/clusters/east/scheduler', { enabled: true })).status).toBe(200);
    expect(east.scheduler.isEnabled()).toBe(true);
  });
});
