// Federation against simulated member clusters: the figures match the clusters, virtual nodes
// are ignored, an outage takes a cluster's capacity out of the pool within the timeout and a
// resync brings it back with nothing placed lost, and 500 concurrent placements over HTTP
// never overbook a node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startSim, type Sim } from '../../sim/index.js';
import { Federation, buildServer, type CapacityDocument } from '../../federation/index.js';
import { DEFAULT_POLICY } from '../../federation/types.js';
import { federationInternals } from '../../federation/federation.js';
import { clientFor, createPod, podBody } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const GI = 1024 ** 3;
let sim: Sim;
let fed: Federation;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  sim = await startSim({ clusters: ['host', 'east', 'west', 'north'], nodes: 3, nodeShape: { cpu: '4', memory: '8Gi', pods: 110 }, terminationDelayMs: 0, startDelayMs: 0 });
  fed = new Federation({ readyTimeoutMs: 1_500, probeIntervalMs: 200, usageIntervalMs: 300, historyIntervalMs: 1_000 });
  fed.start();
  fed.addMemberWithClient('east', clientFor(sim, 'east'));
  fed.addMemberWithClient('west', clientFor(sim, 'west'), { ...DEFAULT_POLICY, headroom: { fraction: 0.25 } });
  fed.addMemberWithClient('north', clientFor(sim, 'north'), { ...DEFAULT_POLICY, taints: [{ key: 'tidepool.dev/gpu-only', effect: 'NoSchedule' }] });
  app = buildServer({ federation: fed });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  for (const n of ['east', 'west', 'north']) expect(await fed.member(n)!.waitForReady(10_000)).toBe(true);
});

afterAll(async () => {
  await app?.close();
  await fed?.stop();
  await sim?.stop();
});

async function capacity(): Promise<CapacityDocument> {
  const res = await fetch(`${base}/api/v1/capacity`);
  expect(res.status).toBe(200);
  return (await res.json()) as CapacityDocument;
}

describe('federation over simulated member clusters', () => {
  it('reports each cluster as the API server has it, with headroom taken off idle', async () => {
    const doc = await capacity();
    expect(doc.clusters.map((c) => c.name)).toEqual(['east', 'north', 'west']);
    const east = doc.clusters.find((c) => c.name === 'east')!;
    expect(east).toMatchObject({ ready: true, nodes: 3 });
    expect(east.cpu.allocatable).toBeGreaterThan(0);
    // Nothing runs yet: idle is all allocatable; the largest slot is one node.
    expect(east.cpu.idle).toBe(east.cpu.allocatable - east.cpu.requested);
    expect(east.cpu.largestSlot).toBe(east.cpu.allocatable / 3);
    const west = doc.clusters.find((c) => c.name === 'west')!;
    expect(west.cpu.idle).toBe(Math.floor((west.cpu.allocatable - west.cpu.requested) * 0.75));
    expect(doc.total.cpu.idle).toBe(doc.clusters.reduce((s, c) => s + c.cpu.idle, 0));
    // Every key the issue names, integers only.
    for (const r of [east.cpu, east.memory, doc.total.cpu, doc.total.memory]) {
      expect(Object.keys(r).sort()).toEqual(['allocatable', 'batch', 'idle', 'largestSlot', 'lent', 'requested', 'usage']);
      for (const v of Object.values(r)) expect(Number.isInteger(v)).toBe(true);
    }
    // Node usage comes from metrics.k8s.io.
    await waitFor('batch capacity from node metrics', async () => (await capacity()).clusters.every((c) => c.cpu.usage > 0 && c.cpu.batch > 0), 15_000);
  });

  it('follows pods in a member and never counts virtual nodes', async () => {
    const east = clientFor(sim, 'east');
    const before = (await capacity()).clusters.find((c) => c.name === 'east')!;
    await createPod(east, 'default', podBody('web-1', '1500m', '1Gi'));
    await waitFor('the pod to be counted', async () => (await capacity()).clusters.find((c) => c.name === 'east')!.cpu.requested === before.cpu.requested + 1500, 15_000);
    await east.request({
      method: 'POST',
      path: '/api/v1/nodes',
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'vk-other-tidepool', labels: { type: 'virtual-kubelet' } }, status: { allocatable: { cpu: '1000', memory: '4000Gi', pods: '10000' }, capacity: { cpu: '1000', memory: '4000Gi', pods: '10000' }, conditions: [{ type: 'Ready', status: 'True' }] } },
    });
    const after = await waitFor('the virtual node to be seen', async () => {
      const c = (await capacity()).clusters.find((x) => x.name === 'east')!;
      return c.virtualNodes?.includes('vk-other-tidepool') ? c : undefined;
    }, 15_000);
    expect(after.nodes).toBe(3);
    expect(after.cpu.allocatable).toBe(before.cpu.allocatable);
    east.close();
  });

  it('honours cluster taints and explains fragmentation over HTTP', async () => {
    const place = async (pod: Record<string, unknown>) => {
      const res = await fetch(`${base}/api/v1/placements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pod, dryRun: true }) });
      return { status: res.status, body: (await res.json()) as { ok: boolean; cluster?: string; reasons?: string[] } };
    };
    const big = await place(podBody('exec', '8', '1Gi'));
    expect(big.status).toBe(409);
    const doc = await capacity();
    const slot = (name: string) => doc.clusters.find((c) => c.name === name)!.cpu.largestSlot / 1000;
    expect(big.body.reasons).toEqual([
      `east: largest free slot ${slot('east')} CPU < 8 CPU requested`,
      'north: cluster taint tidepool.dev/gpu-only:NoSchedule is not tolerated',
      `west: largest free slot ${slot('west')} CPU < 8 CPU requested`,
    ]);
    const tolerating = { ...podBody('t', '500m', '256Mi'), spec: { ...(podBody('t', '500m', '256Mi')['spec'] as object), tolerations: [{ key: 'tidepool.dev/gpu-only', operator: 'Exists' }], nodeSelector: { 'topology.kubernetes.io/region': 'north' } } };
    expect((await place(tolerating)).body).toMatchObject({ ok: true, cluster: 'north' });
    const bad = await fetch(`${base}/api/v1/placements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pod: { metadata: { name: 'x' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: 'lots' } } }] } } }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('lots');
  });

  it('never overbooks a node under 500 concurrent placements', async () => {
    const westBefore = (await capacity()).clusters.find((c) => c.name === 'west')!;
    const results = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const res = await fetch(`${base}/api/v1/placements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pod: podBody(`burst-${i}`, '300m', '128Mi'), key: `burst/p-${i}` }) });
        return (await res.json()) as { ok: boolean; cluster?: string; node?: string };
      }),
    );
    const placed = results.filter((r) => r.ok);
    expect(placed.length).toBeGreaterThan(0);
    expect(placed.length).toBeLessThan(500);
    for (const c of federationInternals(fed).model.clusters()) {
      for (const n of c.nodes.values()) {
        expect(n.reqCpu, `${c.name}/${n.name}`).toBeLessThanOrEqual(n.allocCpu);
        expect(n.reqMem, `${c.name}/${n.name}`).toBeLessThanOrEqual(n.allocMem);
      }
    }
    // Headroom is honoured by the burst: west lends at most 75 % of what it had idle.
    const doc = await capacity();
    for (const c of doc.clusters) expect(c.cpu.idle).toBeGreaterThanOrEqual(0);
    const west = doc.clusters.find((c) => c.name === 'west')!;
    expect(west.cpu.lent).toBeGreaterThan(0);
    expect(west.cpu.allocatable - west.cpu.requested).toBeGreaterThanOrEqual(Math.ceil((westBefore.cpu.allocatable - westBefore.cpu.requested) * 0.25));
    // Give the assumptions back so the next test starts clean.
    for (const r of results.map((r, i) => ({ r, i })).filter((x) => x.r.ok)) {
      const res = await fetch(`${base}/api/v1/placements/${r.r.cluster}/burst/p-${r.i}`, { method: 'DELETE' });
      expect(res.status).toBe(204);
    }
    expect((await capacity()).total.cpu.lent).toBe(0);
  });

  it('takes a cluster out of the pool within the timeout on an outage, and back after a resync with nothing placed lost', async () => {
    const east = clientFor(sim, 'east');
    const placed = fed.place(podBody('mirror-1', '1', '1Gi'), { key: 'default/mirror-1' });
    expect(placed).toMatchObject({ ok: true });
    const cluster = placed.ok ? placed.cluster : '';
    const member = clientFor(sim, cluster);
    await createPod(member, 'default', { ...podBody('mirror-1', '1', '1Gi', { labels: { 'tidepool.dev/managed-by': 'tidepool' } }) });
    await waitFor('the mirror pod to be reported', () => fed.placementState(cluster, 'default/mirror-1') === 'reported', 15_000);
    const before = await capacity();
    const lentBefore = before.clusters.find((c) => c.name === cluster)!.cpu.lent;
    expect(lentBefore).toBe(1000);

    const started = Date.now();
    await sim.cluster(cluster).outage(true);
    try {
    const during = await waitFor('the cluster to leave the pool', async () => {
      const d = await capacity();
      return d.clusters.find((c) => c.name === cluster)!.ready ? undefined : d;
    }, 15_000);
    const tookMs = Date.now() - started;
    // Timeout 1.5 s + one probe period + a poll: well inside 5 s.
    expect(tookMs).toBeLessThan(5_000);
    const gone = during.clusters.find((c) => c.name === cluster)!;
    expect(gone.cpu.idle).toBe(0);
    expect(gone.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'Unreachable' });
    expect(during.total.cpu.allocatable).toBe(before.total.cpu.allocatable - gone.cpu.allocatable);
    expect(fed.place(podBody('while-down', '100m', '64Mi'), { dryRun: true })).not.toMatchObject({ cluster });
    // Metrics say so too.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(`tidepool_federation_cluster_ready{cluster="${cluster}"} 0`);
    } finally {
      await sim.cluster(cluster).outage(false);
    }
    const back = await waitFor('the cluster to rejoin', async () => {
      const d = await capacity();
      return d.clusters.find((c) => c.name === cluster)!.ready ? d : undefined;
    }, 20_000);
    const rejoined = back.clusters.find((c) => c.name === cluster)!;
    expect(rejoined.cpu.lent).toBe(lentBefore);
    expect(fed.placementState(cluster, 'default/mirror-1')).toBe('reported');
    expect(back.total.cpu.allocatable).toBe(before.total.cpu.allocatable);
    east.close();
    member.close();
  });

  it('takes a cluster whose API server fails every request out of the pool, and back when it recovers', async () => {
    await waitFor('all members ready', () => ['east', 'west', 'north'].every((n) => fed.isReady(n)), 20_000);
    sim.cluster('west').setFaults({ errorRate: 1, errorCode: 500 });
    try {
      const reachable = await waitFor('west to leave the pool', () => {
        const e = fed.clusterState('west')!;
        return !e.ready ? e.conditions.find((c) => c.type === 'Reachable') : undefined;
      }, 15_000);
      expect(reachable).toMatchObject({ status: 'False', reason: 'ProbeFailed' });
      expect(reachable.message).toContain('500');
      expect(fed.document().clusters.find((c) => c.name === 'west')!.cpu.idle).toBe(0);
    } finally {
      sim.cluster('west').clearFaults();
    }
    await waitFor('west to rejoin', () => fed.isReady('west'), 20_000);
  });

  it('serves health, readiness, clusters and metrics', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const clusters = (await (await fetch(`${base}/api/v1/clusters`)).json()) as { clusters: Array<{ name: string; ready: boolean; headroom: object; conditions: Array<{ type: string }> }> };
    expect(clusters.clusters.map((c) => [c.name, c.ready])).toEqual([['east', true], ['north', true], ['west', true]]);
    expect(clusters.clusters.find((c) => c.name === 'west')!.headroom).toEqual({ fraction: 0.25 });
    expect(clusters.clusters[0]!.conditions.map((c) => c.type).sort()).toEqual(['Reachable', 'Ready', 'Synced']);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const doc = await capacity();
    const east = doc.clusters.find((c) => c.name === 'east')!;
    expect(metrics).toContain(`tidepool_federation_cpu_millicores{cluster="east",figure="allocatable"} ${east.cpu.allocatable}`);
    expect(metrics).toContain(`tidepool_federation_memory_bytes{cluster="_total",figure="allocatable"} ${doc.total.memory.allocatable}`);
    // Per node, on request.
    const one = (await (await fetch(`${base}/api/v1/capacity?nodes=true&cluster=east`)).json()) as CapacityDocument;
    expect(one.clusters.map((c) => c.name)).toEqual(['east']);
    const nodes = one.clusters[0]!.nodeList!;
    expect(nodes.filter((n) => !n.virtual)).toHaveLength(3);
    for (const n of nodes.filter((x) => !x.virtual)) {
      expect(n.schedulable).toBe(true);
      expect(n.free['cpu']).toBe(Math.max(0, n.allocatable['cpu']! - n.requested['cpu']!));
      expect(n.usage?.cpu).toBeGreaterThan(0);
    }
    expect(nodes.reduce((s, n) => s + (n.virtual ? 0 : n.requested['cpu']!), 0)).toBe(one.clusters[0]!.cpu.requested);
    expect((await fetch(`${base}/api/v1/capacity?cluster=nope`)).status).toBe(404);
    void GI;
  });
});
