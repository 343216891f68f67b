// The client factory against simulated API servers: kubeconfig contexts, in-cluster service
// account, retries (idempotent verbs only), 429 pauses and rate limits, metrics.
import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { startSim, type Sim } from '../../sim/index.js';
import { KubeApiError, KubeClient, KubeConfigError, verbOf, type KubeClientOptions, type RequestEvent } from '../../kube/index.js';
import { createPod } from './fixtures.js';

let sim: Sim;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-kube-client-'));
  sim = await startSim({ clusters: ['a', 'b', 'faulty', 'storm'], nodes: 1, scheduler: false, dir });
});

afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function client(context: string, extra: Partial<KubeClientOptions> = {}): { c: KubeClient; events: RequestEvent[] } {
  const events: RequestEvent[] = [];
  const c = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context }, onRequest: (e) => events.push(e), ...extra });
  return { c, events };
}

async function nodeNames(c: KubeClient): Promise<string[]> {
  const list = await c.requestJson<{ items: Array<{ metadata: { name: string } }> }>({ path: '/api/v1/nodes' });
  return list.items.map((n) => n.metadata.name);
}

describe('client factory', () => {
  it('picks the context asked for from a kubeconfig file', async () => {
    const a = new KubeClient({ config: { kind: 'file', path: sim.kubeconfigPath!, context: 'a' } });
    const b = new KubeClient({ config: { kind: 'file', path: sim.kubeconfigPath!, context: 'b' } });
    const current = new KubeClient({ config: { kind: 'file', path: sim.kubeconfigPath! } });
    try {
      expect(await nodeNames(a)).toEqual(['a-node-0']);
      expect(await nodeNames(b)).toEqual(['b-node-0']);
      expect(current.cluster).toBe('a'); // the file's current-context: the first cluster
      expect(b.server).toBe(sim.cluster('b').url);
    } finally {
      a.close();
      b.close();
      current.close();
    }
  });

  it('names the contexts it has when asked for one it does not', () => {
    expect(() => new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: 'nope' } })).toThrow(KubeConfigError);
    expect(() => new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: 'nope' } })).toThrow(/have: a, b, faulty, storm/);
    expect(() => new KubeClient({ config: { kind: 'file', path: join(dir, 'missing') } })).toThrow(/cannot load kubeconfig/);
  });

  it('authenticates in-cluster from a service account token, CA and namespace directory', async () => {
    const sa = join(dir, 'sa');
    mkdirSync(sa, { recursive: true });
    const kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    writeFileSync(join(sa, 'ca.crt'), Buffer.from(kc.getCluster('b')!.caData!, 'base64'));
    writeFileSync(join(sa, 'token'), sim.cluster('b').token);
    writeFileSync(join(sa, 'namespace'), 'tidepool-system\n');
    const url = new URL(sim.cluster('b').url);
    const c = new KubeClient({ config: { kind: 'in-cluster', dir: sa, host: url.hostname, port: url.port } });
    try {
      expect(c.namespace).toBe('tidepool-system');
      expect(await nodeNames(c)).toEqual(['b-node-0']);
    } finally {
      c.close();
    }
    // A wrong token is refused (and retried once with re-read credentials, no more).
    writeFileSync(join(sa, 'token'), 'wrong');
    const events: RequestEvent[] = [];
    const bad = new KubeClient({ config: { kind: 'in-cluster', dir: sa, host: url.hostname, port: url.port }, onRequest: (e) => events.push(e), retryInitialMs: 5 });
    try {
      await expect(nodeNames(bad)).rejects.toMatchObject({ code: 401 });
      expect(events.map((e) => e.code)).toEqual([401, 401]);
    } finally {
      bad.close();
    }
    expect(() => new KubeClient({ config: { kind: 'in-cluster', dir: join(dir, 'nothing'), host: '127.0.0.1' } })).toThrow(/no service account token/);
  });

  it('retries 5xx only for idempotent verbs, 429 for any verb, and never a 404', async () => {
    const { c, events } = client('faulty', { maxAttempts: 3, retryInitialMs: 5, retryMaxMs: 10 });
    const cluster = sim.cluster('faulty');
    createPod(cluster, 'x');
    const tries = async (fn: () => Promise<unknown>): Promise<number> => {
      events.length = 0;
      await fn().catch(() => undefined);
      return events.length;
    };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'y' }, spec: { containers: [{ name: 'a', image: 'i' }] } };
    try {
      cluster.setFaults({ errorRate: 1, errorCode: 500 });
      expect(await tries(() => c.request({ path: '/api/v1/namespaces/default/pods' }))).toBe(3);
      expect(await tries(() => c.request({ path: '/api/v1/namespaces/default/pods/x' }))).toBe(3);
      expect(await tries(() => c.request({ method: 'PUT', path: '/api/v1/namespaces/default/pods/x', body: pod }))).toBe(3);
      expect(await tries(() => c.request({ method: 'DELETE', path: '/api/v1/namespaces/default/pods/x' }))).toBe(3);
      expect(await tries(() => c.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod }))).toBe(1);
      expect(
        await tries(() =>
          c.request({ method: 'PATCH', path: '/api/v1/namespaces/default/pods/x', body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' }),
        ),
      ).toBe(1);
      // Typed APIs go through the same rules.
      const core = c.api(CoreV1Api);
      expect(await tries(() => core.createNamespacedPod({ namespace: 'default', body: pod }))).toBe(1);
      expect(await tries(() => core.listNamespacedPod({ namespace: 'default' }))).toBe(3);

      cluster.setFaults({ errorRate: 1, errorCode: 429, retryAfterSeconds: 0 });
      expect(await tries(() => c.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod }))).toBe(3);
      cluster.clearFaults();

      expect(await tries(() => c.request({ path: '/api/v1/namespaces/default/pods/missing' }))).toBe(1);
      await expect(c.request({ path: '/api/v1/namespaces/default/pods/missing' })).rejects.toBeInstanceOf(KubeApiError);
      expect(await tries(() => c.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod }))).toBe(1);
      expect(events[0]!.code).toBe(201);
    } finally {
      cluster.clearFaults();
      c.close();
    }
  });

  it('retries a GET when the server refuses connections, but not a POST', async () => {
    const { c, events } = client('faulty', { maxAttempts: 3, retryInitialMs: 5, retryMaxMs: 10 });
    const cluster = sim.cluster('faulty');
    await cluster.outage(true);
    try {
      await expect(c.request({ path: '/api/v1/nodes' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(events.map((e) => e.code)).toEqual(['error', 'error', 'error']);
      events.length = 0;
      await expect(c.request({ method: 'POST', path: '/api/v1/namespaces', body: { metadata: { name: 'n' } } })).rejects.toThrow();
      expect(events).toHaveLength(1);
    } finally {
      await cluster.outage(false);
      c.close();
    }
  });

  it("aborts every request of a caller's signal, and only those, with one listener on the signal however many there are", async () => {
    const { c } = client('a');
    // A watch read to its end never ends: these requests stay on the wire until aborted.
    const hang = (signal: AbortSignal) => c.request({ path: '/api/v1/namespaces/default/pods?watch=true', signal, timeoutMs: 60_000 });
    const run = new AbortController();
    const other = new AbortController();
    try {
      const mine = Array.from({ length: 20 }, () => hang(run.signal).then(() => 'done', (err: Error) => err.name));
      const theirs = hang(other.signal).then(() => 'done', (err: Error) => err.name);
      await new Promise((r) => setTimeout(r, 200));
      expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
      run.abort();
      expect(new Set(await Promise.all(mine))).toEqual(new Set(['AbortError']));
      const still = await Promise.race([theirs, new Promise((r) => setTimeout(() => r('pending'), 200))]);
      expect(still).toBe('pending');
      other.abort();
      expect(await theirs).toBe('AbortError');
      // A signal aborted before the request: it is not sent at all.
      await expect(hang(run.signal)).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      other.abort();
      c.close();
    }
  });

  it('cuts a request that has no answer within its deadline, with an error that says so', async () => {
    const { c, events } = client('a', { maxAttempts: 1 });
    try {
      const started = Date.now();
      await expect(c.request({ path: '/api/v1/namespaces/default/pods?watch=true', timeoutMs: 300 })).rejects.toThrow(
        'watch /api/v1/namespaces/default/pods on cluster a: no answer within 300 ms',
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(events.map((e) => e.code)).toEqual(['error']);
      // The pool is fine afterwards.
      expect(await nodeNames(c)).toHaveLength(1);
    } finally {
      c.close();
    }
  });

  it('records requests, latency, retries and rate-limiter waits per cluster, verb and code', async () => {
    const registry = new Registry();
    const c = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: 'a' }, cluster: 'east', registry, qps: 50, burst: 1 });
    try {
      await c.request({ path: '/api/v1/nodes' });
      await c.request({ path: '/api/v1/nodes/a-node-0' });
      await c.request({ path: '/api/v1/nodes/missing' }).catch(() => undefined);
      await Promise.all([1, 2, 3].map(() => c.request({ path: '/api/v1/namespaces' })));
      const requests = await registry.getSingleMetric('tidepool_kube_requests_total')!.get();
      const count = (verb: string, code: string) =>
        requests.values.find((v) => v.labels['cluster'] === 'east' && v.labels['verb'] === verb && v.labels['code'] === code)?.value ?? 0;
      expect(count('list', '200')).toBe(4);
      expect(count('get', '200')).toBe(1);
      expect(count('get', '404')).toBe(1);
      const latency = await registry.getSingleMetric('tidepool_kube_request_duration_seconds')!.get();
      const listCount = (latency.values as Array<{ metricName?: string; labels: Record<string, unknown>; value: number }>).find(
        (v) => v.metricName === 'tidepool_kube_request_duration_seconds_count' && v.labels['verb'] === 'list',
      );
      expect(listCount?.value).toBe(4);
      const wait = await registry.getSingleMetric('tidepool_kube_rate_limiter_wait_seconds')!.get();
      // Histogram values carry metricName (_sum, _count, _bucket); prom-client's type omits it.
      const waitValues = wait.values as Array<{ metricName?: string; value: number }>;
      const waitSum = waitValues.find((v) => v.metricName === 'tidepool_kube_rate_limiter_wait_seconds_sum')!.value;
      const waitCount = waitValues.find((v) => v.metricName === 'tidepool_kube_rate_limiter_wait_seconds_count')!.value;
      expect(waitCount).toBe(6);
      // burst 1 at 50 QPS: the three concurrent lists waited ~20 ms and ~40 ms for tokens.
      expect(waitSum).toBeGreaterThan(0.02);
    } finally {
      c.close();
    }
  });

  it('in a 429 storm, pauses every request for Retry-After and keeps under its QPS', async () => {
    const qps = 5;
    const burst = 3;
    const { c, events } = client('storm', { qps, burst, maxAttempts: 20, retryInitialMs: 10, retryMaxMs: 50 });
    const cluster = sim.cluster('storm');
    cluster.setFaults({ errorRate: 1, errorCode: 429, retryAfterSeconds: 1 });
    const calm = setTimeout(() => cluster.clearFaults(), 1_300);
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => c.request({ path: `/api/v1/namespaces/default/pods`, query: { i } })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      const throttled = events.filter((e) => e.code === 429);
      expect(throttled.length).toBeGreaterThan(0);
      // Nothing is sent during a pause: after a 429 answer, the next sends wait its Retry-After.
      for (const t of throttled) {
        const answeredAt = t.sentAt + t.durationMs;
        for (const e of events) {
          if (e.sentAt > answeredAt + 25) expect(e.sentAt).toBeGreaterThanOrEqual(answeredAt + 1000 - 25);
        }
      }
      // The token bucket bound: in any 1 s window at most burst + qps sends.
      const sends = events.map((e) => e.sentAt).sort((x, y) => x - y);
      for (const t of sends) expect(sends.filter((s) => s >= t && s < t + 1000).length).toBeLessThanOrEqual(burst + qps);
      expect(c.limiter.pausedUntil).toBeGreaterThan(0);
    } finally {
      clearTimeout(calm);
      cluster.clearFaults();
      c.close();
    }
  });
});

describe('verbOf', () => {
  it('names verbs as kube-apiserver does', () => {
    const v = (m: string, p: string) => verbOf(m, new URL(p, 'https://k'));
    expect(v('GET', '/api/v1/pods')).toBe('list');
    expect(v('GET', '/api/v1/namespaces/default/pods')).toBe('list');
    expect(v('GET', '/api/v1/namespaces/default/pods/x')).toBe('get');
    expect(v('GET', '/api/v1/namespaces/default/pods/x/log')).toBe('get');
    expect(v('GET', '/api/v1/namespaces')).toBe('list');
    expect(v('GET', '/api/v1/namespaces/default')).toBe('get');
    expect(v('GET', '/api/v1/namespaces/default/status')).toBe('get');
    expect(v('GET', '/api/v1/pods?watch=true')).toBe('watch');
    expect(v('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1')).toBe('get');
    expect(v('GET', '/apis/apps/v1/deployments')).toBe('list');
    expect(v('POST', '/api/v1/namespaces/default/pods')).toBe('create');
    expect(v('PUT', '/api/v1/namespaces/default/pods/x')).toBe('update');
    expect(v('PATCH', '/api/v1/namespaces/default/pods/x')).toBe('patch');
    expect(v('DELETE', '/api/v1/namespaces/default/pods/x')).toBe('delete');
    expect(v('DELETE', '/api/v1/namespaces/default/pods')).toBe('deletecollection');
  });
});

describe('request targets', () => {
  const kubeconfig = (server: string): string =>
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: c, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]`,
      'users: [{ name: u, user: { token: t } }]',
      'contexts: [{ name: x, context: { cluster: c, user: u } }]',
      'current-context: x',
    ].join('\n');

  it('takes a plain path as it is and encodes the query as a URL would', () => {
    const c = new KubeClient({ config: { kind: 'inline', text: kubeconfig('https://127.0.0.1:6443') } });
    const u = c.url('/api/v1/namespaces/default/pods', { labelSelector: 'app in (a,b)', limit: 5, continue: undefined });
    expect(u.pathname).toBe('/api/v1/namespaces/default/pods');
    expect(u.search).toBe('?labelSelector=app+in+%28a%2Cb%29&limit=5');
    c.close();
  });

  it('normalizes what is not a plain path: spaces, dot segments, a query written into the path', () => {
    const c = new KubeClient({ config: { kind: 'inline', text: kubeconfig('https://127.0.0.1:6443') } });
    expect(c.url('/api/v1/namespaces/a b/pods').pathname).toBe('/api/v1/namespaces/a%20b/pods');
    expect(c.url('/api/v1/../v1/nodes').pathname).toBe('/api/v1/nodes');
    const q = c.url('/api/v1/pods?watch=true', { resourceVersion: '7' });
    expect([q.pathname, q.search]).toEqual(['/api/v1/pods', '?watch=true&resourceVersion=7']);
    expect(c.url('api/v1/nodes').pathname).toBe('/api/v1/nodes');
    c.close();
  });

  it('sends each request to the path its target names, on the server it is configured for', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const c = new KubeClient({ config: { kind: 'inline', text: kubeconfig(`http://127.0.0.1:${port}/k8s/c-1`) } });
    try {
      await c.request({ path: '/api/v1/nodes', query: { limit: 5, labelSelector: 'app in (a,b)' } });
      await c.request({ path: '/api/v1/namespaces/a b/pods' });
      await c.request({ path: '/api/v1/namespaces/x/%2e%2e/%2E%2E/nodes' });
      await c.request({ path: '//elsewhere/api' });
      // A stream goes through node:http, not the pool: the same target.
      const log = await c.stream({ path: '/api/v1/namespaces/default/pods/p/log', query: { follow: true } });
      log?.resume();
      expect(seen).toEqual([
        '/k8s/c-1/api/v1/nodes?limit=5&labelSelector=app+in+%28a%2Cb%29',
        '/k8s/c-1/api/v1/namespaces/a%20b/pods',
        '/k8s/c-1/api/v1/nodes',
        '/k8s/c-1//elsewhere/api',
        '/k8s/c-1/api/v1/namespaces/default/pods/p/log?follow=true',
      ]);
    } finally {
      c.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("keeps the server URL's own path prefix, as a proxy in front of the API server needs", () => {
    const c = new KubeClient({ config: { kind: 'inline', text: kubeconfig('https://127.0.0.1:6443/k8s/clusters/c-1/') } });
    expect(c.url('/api/v1/nodes').pathname).toBe('/k8s/clusters/c-1/api/v1/nodes');
    expect(c.url('/api/v1/namespaces/a b').pathname).toBe('/k8s/clusters/c-1/api/v1/namespaces/a%20b');
    c.close();
  });
});
