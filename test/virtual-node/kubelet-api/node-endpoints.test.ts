// The node-level endpoints of the virtual node's kubelet API: /pods, /stats/summary and
// /metrics/resource, built from the host pods and their mirrors' metrics in the member cluster;
// and /healthz, which needs no credentials.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, type CertificateKeyPair, type RawObject } from '../../../kube/index.js';
import type { Summary } from '../../../virtual-node/kubelet-api/index.js';
import { waitFor } from '../../helpers/wait.js';
import { expectStatus } from '../../sim/e2e/helpers.js';
import { grant, NODE, startFixture, type Fixture } from './fixture.js';

let f: Fixture;
let scraper: CertificateKeyPair;
let web: RawObject;
let duo: RawObject;

beforeAll(async () => {
  f = await startFixture();
  // What metrics-server and a node-inspecting admin are granted on the host.
  await grant(f.host, 'node-reader', { kind: 'User', name: 'system:metrics-server' }, ['nodes/stats', 'nodes/metrics', 'nodes/proxy'], ['get', 'create']);
  scraper = f.clientCa.issue({ commonName: 'system:metrics-server', usage: 'client' });
  web = await f.addPlacedPod('web');
  duo = await f.addPlacedPod('duo', { containers: ['main', 'sidecar'] });
  await f.addUnplacedPod('waiting');
  // A host pod on a node this endpoint does not serve.
  f.backend.pods.set('default/elsewhere', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'elsewhere', namespace: 'default', uid: 'e' }, spec: { nodeName: 'other-node', containers: [{ name: 'app' }] } });
});

afterAll(async () => {
  await f?.stop();
});

/** Parses Prometheus text into `name{labels}` → [value, timestamp]. */
function parseProm(text: string): Map<string, [number, number | undefined]> {
  const out = new Map<string, [number, number | undefined]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+(?:\{[^}]*\})?) (\S+)(?: (\d+))?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    out.set(m[1]!, [Number(m[2]), m[3] !== undefined ? Number(m[3]) : undefined]);
  }
  return out;
}

describe('GET /healthz', () => {
  it('answers ok without credentials', async () => {
    const r = await f.get('/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok');
  });
});

describe('GET /pods', () => {
  it("lists the host pods bound to the node, placed or not, as a PodList", async () => {
    const r = await f.get('/pods', { cert: scraper });
    expect(r.status).toBe(200);
    expect(r.json?.['kind']).toBe('PodList');
    expect(r.json?.['apiVersion']).toBe('v1');
    const items = r.json?.['items'] as RawObject[];
    expect(items.map((p) => p.metadata?.name).sort()).toEqual(['duo', 'waiting', 'web']);
    const got = items.find((p) => p.metadata?.name === 'web')!;
    expect(got.metadata?.uid).toBe(web.metadata?.uid);
    expect((got['spec'] as { nodeName?: string }).nodeName).toBe(NODE);
  });
});

describe('GET /stats/summary', () => {
  it("reports each placed pod under its host name and uid, with the mirror's CPU and memory per container", async () => {
    const summary = await waitFor('stats for both placed pods', async () => {
      const r = await f.get('/stats/summary', { cert: scraper });
      const s = r.json as unknown as Summary;
      return r.status === 200 && s.pods.length === 2 ? s : undefined;
    });
    expect(summary.node.nodeName).toBe(NODE);
    expect(Date.parse(summary.node.startTime)).toBeGreaterThan(0);
    const byName = new Map(summary.pods.map((p) => [p.podRef.name, p]));
    expect(byName.get('web')?.podRef).toEqual({ name: 'web', namespace: 'default', uid: web.metadata?.uid });
    expect(byName.get('duo')?.podRef.uid).toBe(duo.metadata?.uid);
    expect(byName.get('duo')?.containers.map((c) => c.name).sort()).toEqual(['main', 'sidecar']);

    for (const pod of summary.pods) {
      for (const c of pod.containers) {
        expect(c.cpu?.usageNanoCores).toBeGreaterThan(0);
        expect(c.memory?.workingSetBytes).toBeGreaterThan(0);
        expect(c.cpu?.usageCoreNanoSeconds).toBeGreaterThanOrEqual(0);
      }
      // A pod is the sum of its containers.
      expect(pod.cpu?.usageNanoCores).toBe(pod.containers.reduce((s, c) => s + (c.cpu?.usageNanoCores ?? 0), 0));
      expect(pod.memory?.workingSetBytes).toBe(pod.containers.reduce((s, c) => s + (c.memory?.workingSetBytes ?? 0), 0));
    }
    // The virtual node's use is its pods' use.
    expect(summary.node.cpu?.usageNanoCores).toBe(summary.pods.reduce((s, p) => s + (p.cpu?.usageNanoCores ?? 0), 0));
    expect(summary.node.memory?.workingSetBytes).toBe(summary.pods.reduce((s, p) => s + (p.memory?.workingSetBytes ?? 0), 0));
  });

  it("agrees with the member's metrics.k8s.io for the mirror", async () => {
    const r = await f.get('/stats/summary', { cert: scraper });
    const pod = (r.json as unknown as Summary).pods.find((p) => p.podRef.name === 'web')!;
    const m = await f.member.requestJson<{ containers: Array<{ name: string; usage: { cpu: string; memory: string } }> }>({ path: '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-mirror' });
    const cpuMilli = Number(m.containers[0]!.usage.cpu.replace(/m$/, ''));
    const memKi = Number(m.containers[0]!.usage.memory.replace(/Ki$/, ''));
    // The sim's usage moves along a curve; both reads are within a second of each other.
    expect(pod.containers[0]!.cpu!.usageNanoCores! / 1e6).toBeCloseTo(cpuMilli, -2);
    expect(pod.containers[0]!.memory!.workingSetBytes! / 1024).toBeCloseTo(memKi, -4);
  });

  it('keeps cumulative CPU counting up from one scrape to the next', async () => {
    const first = (await f.get('/stats/summary', { cert: scraper })).json as unknown as Summary;
    await new Promise((r) => setTimeout(r, 300));
    const second = (await f.get('/stats/summary', { cert: scraper })).json as unknown as Summary;
    const cum = (s: Summary): number => s.pods.find((p) => p.podRef.name === 'web')!.cpu!.usageCoreNanoSeconds!;
    expect(cum(second)).toBeGreaterThan(cum(first));
    expect(second.node.cpu!.usageCoreNanoSeconds!).toBeGreaterThan(first.node.cpu!.usageCoreNanoSeconds!);
    expect(Date.parse(second.node.cpu!.time)).toBeGreaterThan(Date.parse(first.node.cpu!.time));
  });
});

describe('GET /metrics/resource', () => {
  it('serves the kubelet resource metrics metrics-server reads, with timestamps', async () => {
    const r = await f.get('/metrics/resource', { cert: scraper });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('# TYPE container_cpu_usage_seconds_total counter\n');
    expect(r.body).toContain('# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes\n');
    const samples = parseProm(r.body);
    const ctr = samples.get('container_cpu_usage_seconds_total{container="app",namespace="default",pod="web"}');
    expect(ctr).toBeDefined();
    expect(ctr![0]).toBeGreaterThanOrEqual(0);
    expect(ctr![1]).toBeGreaterThan(Date.now() - 60_000);
    expect(samples.get('container_memory_working_set_bytes{container="sidecar",namespace="default",pod="duo"}')?.[0]).toBeGreaterThan(0);
    expect(samples.get('pod_memory_working_set_bytes{namespace="default",pod="web"}')?.[0]).toBeGreaterThan(0);
    expect(samples.get('container_start_time_seconds{container="app",namespace="default",pod="web"}')?.[0]).toBeGreaterThan(1e9);
    expect(samples.get('node_cpu_usage_seconds_total')?.[0]).toBeGreaterThanOrEqual(0);
    expect(samples.get('node_memory_working_set_bytes')?.[0]).toBeGreaterThan(0);
    expect(samples.get('scrape_error')?.[0]).toBe(0);
    expect(samples.get('resource_scrape_error')?.[0]).toBe(0);
    // Pods with no mirror, and pods of nodes not served, have no series.
    expect([...samples.keys()].some((k) => k.includes('pod="waiting"') || k.includes('pod="elsewhere"'))).toBe(false);
  });

  it('sets scrape_error and still reports the pods it could read when a member cannot be reached', async () => {
    const unreachable = new KubeClient({
      config: { kind: 'inline', text: f.t.sim.kubeconfig.replace(/server: https:\/\/127\.0\.0\.1:\d+/g, 'server: https://127.0.0.1:1'), context: 'member' },
      cluster: 'gone',
      maxAttempts: 1,
      timeoutMs: 2_000,
    });
    try {
      f.backend.pods.set('default/lost', { ...web, metadata: { name: 'lost', namespace: 'default', uid: 'lost-uid' } });
      f.backend.mirrors.set('default/lost', { cluster: 'gone', client: unreachable, namespace: 'default', name: 'lost-mirror' });
      const r = await f.get('/metrics/resource', { cert: scraper });
      expect(r.status).toBe(200);
      const samples = parseProm(r.body);
      expect(samples.get('scrape_error')?.[0]).toBe(1);
      expect(samples.get('resource_scrape_error')?.[0]).toBe(1);
      expect(samples.has('pod_cpu_usage_seconds_total{namespace="default",pod="web"}')).toBe(true);
      expect([...samples.keys()].some((k) => k.includes('pod="lost"'))).toBe(false);
    } finally {
      f.backend.pods.delete('default/lost');
      f.backend.mirrors.delete('default/lost');
      unreachable.close();
    }
  });
});

describe('paths and methods', () => {
  it('answers an unknown path with a 404 Status, after authentication', async () => {
    expectStatus(await f.get('/no/such/thing', { cert: scraper }), 404, 'NotFound');
    expectStatus(await f.get('/no/such/thing'), 401, 'Unauthorized');
  });

  it('answers exec without an upgrade with a 400 Status', async () => {
    const s = expectStatus(await f.get('/exec/default/web/app?command=ls&output=1', { cert: scraper, method: 'POST' }), 400, 'BadRequest');
    expect(s['message']).toMatch(/Upgrade request required/);
    expectStatus(await f.get('/exec/default/web/app?output=1', { cert: scraper, method: 'POST' }), 400, 'BadRequest');
    expectStatus(await f.get('/exec/default/web/app?command=ls', { cert: scraper, method: 'POST' }), 400, 'BadRequest');
    expectStatus(await f.get('/portForward/default/web?port=99999', { cert: scraper, method: 'POST' }), 400, 'BadRequest');
  });
});
