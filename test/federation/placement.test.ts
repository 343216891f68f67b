import { describe, expect, it } from 'vitest';
import { FederationModel } from '../../federation/model.js';
import { Placer } from '../../federation/placement.js';
import { placementPod, type PodObject } from '../../federation/pod.js';
import type { ClusterPolicy, NodeInfo } from '../../federation/types.js';
import { DEFAULT_POLICY } from '../../federation/types.js';

const GI = 1024 ** 3;

function node(name: string, cpu: number, memGi: number, extra: Partial<NodeInfo> = {}): NodeInfo {
  return { name, allocatable: { cpu, memory: memGi * GI, pods: 110 }, labels: {}, taints: [], ready: true, unschedulable: false, ...extra };
}

function pod(name: string, cpu: string, memory = '1Gi', extra: { labels?: Record<string, string>; spec?: Partial<NonNullable<PodObject['spec']>>; namespace?: string } = {}): PodObject {
  return {
    metadata: { name, namespace: extra.namespace ?? 'default', labels: extra.labels ?? {} },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu, memory } } }], ...extra.spec },
  };
}

function pool(spec: Record<string, { nodes: NodeInfo[]; policy?: Partial<ClusterPolicy> }>): FederationModel {
  const m = new FederationModel();
  for (const [name, s] of Object.entries(spec)) {
    const c = m.ensureCluster(name, { ...DEFAULT_POLICY, ...s.policy });
    for (const n of s.nodes) c.apply({ kind: 'node-upsert', node: n });
    m.setReady(name, true);
  }
  return m;
}

describe('place()', () => {
  it('explains fragmentation: many small free slots cannot take one big pod', () => {
    const nodes = Array.from({ length: 20 }, (_, i) => node(`e${i}`, 4000, 16));
    const m = pool({ east: { nodes }, west: { nodes: [node('w0', 16000, 64)] } });
    const east = m.cluster('east')!;
    // 3.5 CPU free on every east node: 70 CPU idle in total, but no 8 CPU slot.
    nodes.forEach((n, i) => east.apply({ kind: 'pod-upsert', pod: { key: `x/p${i}`, namespace: 'x', nodeName: n.name, phase: 'Running', requests: { cpu: 500 }, qos: 'online', lent: false } }));
    m.setReady('west', false);
    const r = new Placer(m).place(placementPod(pod('exec', '8')));
    expect(r).toEqual({ ok: false, reasons: ['east: largest free slot 3.5 CPU < 8 CPU requested', 'west: not ready'] });
    expect(m.document().clusters[0]!.cpu.idle).toBe(70_000);
  });

  it('honours headroom: capacity kept back is never lent', () => {
    const m = pool({ east: { nodes: [node('e0', 10_000, 64)], policy: { headroom: { fraction: 0.5 } } } });
    const placer = new Placer(m);
    expect(placer.place(placementPod(pod('a', '4'))).ok).toBe(true);
    // 6 CPU free on the node, but half of the cluster's own 10 idle CPU is headroom: 1 CPU lendable.
    expect(placer.place(placementPod(pod('b', '4')))).toEqual({ ok: false, reasons: ['east: idle 1 CPU after headroom < 4 CPU requested'] });
    expect(placer.place(placementPod(pod('c', '1'))).ok).toBe(true);
    expect(m.document().clusters[0]!.cpu).toMatchObject({ idle: 0, lent: 5000, requested: 5000 });
  });

  it('keeps headroom for pods that carry the default tolerations, and lends tolerated tainted nodes outside it', () => {
    const m = pool({
      east: {
        nodes: [node('e0', 8000, 32), node('gpu0', 8000, 32, { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }] })],
        policy: { headroom: { fraction: 0.5 } },
      },
    });
    const placer = new Placer(m);
    // What the DefaultTolerationSeconds admission plugin adds to every pod.
    const defaults = [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    ];
    expect(placer.place(placementPod(pod('a', '5', '1Gi', { spec: { tolerations: defaults } })))).toEqual({ ok: false, reasons: ['east: idle 4 CPU after headroom < 5 CPU requested'] });
    const gpu = pod('g', '5', '1Gi', { spec: { tolerations: [...defaults, { key: 'nvidia.com/gpu', operator: 'Exists' }] } });
    expect(placer.place(placementPod(gpu))).toMatchObject({ ok: true, cluster: 'east', node: 'gpu0' });
    // The untainted pool is untouched: its headroom still holds.
    expect(m.document().clusters[0]!.cpu.idle).toBe(4000);
  });

  it('honours maxCPU and maxPods lent', () => {
    const m = pool({ east: { nodes: [node('e0', 32_000, 64)], policy: { maxCpu: 5000, maxPods: 2 } } });
    const placer = new Placer(m);
    expect(placer.place(placementPod(pod('a', '4'))).ok).toBe(true);
    expect(placer.place(placementPod(pod('b', '2')))).toMatchObject({ ok: false, reasons: ['east: idle 1 CPU after headroom and maxCPU < 2 CPU requested'] });
    expect(placer.place(placementPod(pod('c', '1'))).ok).toBe(true);
    expect(placer.place(placementPod(pod('d', '100m')))).toMatchObject({ ok: false, reasons: ['east: maxPods 2 lent already'] });
  });

  it('honours cluster taints and node taints against the pod tolerations', () => {
    const m = pool({
      gpu: { nodes: [node('g0', 8000, 32, { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }], allocatable: { cpu: 8000, memory: 32 * GI, pods: 110, 'nvidia.com/gpu': 4 } })] },
      batch: { nodes: [node('b0', 8000, 32)], policy: { taints: [{ key: 'tidepool.dev/batch-only', value: 'true', effect: 'NoSchedule' }] } },
    });
    const placer = new Placer(m);
    const plain = placer.place(placementPod(pod('plain', '1')), { assume: false });
    expect(plain).toEqual({
      ok: false,
      reasons: ['batch: cluster taint tidepool.dev/batch-only=true:NoSchedule is not tolerated', 'gpu: 0/1 nodes fit: 1 taint nvidia.com/gpu:NoSchedule not tolerated'],
    });
    const tolerant = pod('t', '1', '1Gi', { spec: { tolerations: [{ key: 'tidepool.dev/batch-only', operator: 'Exists' }] } });
    expect(placer.place(placementPod(tolerant), { assume: false })).toMatchObject({ ok: true, cluster: 'batch' });
    const gpuPod: PodObject = {
      metadata: { name: 'g', namespace: 'default' },
      spec: {
        containers: [{ name: 'c', resources: { requests: { cpu: '1', 'nvidia.com/gpu': '2' } } }],
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }, { key: 'tidepool.dev/batch-only', operator: 'Exists' }],
      },
    };
    expect(placer.place(placementPod(gpuPod))).toMatchObject({ ok: true, cluster: 'gpu', node: 'g0' });
    expect(placer.place(placementPod({ ...gpuPod, metadata: { name: 'g2' }, spec: { ...gpuPod.spec!, containers: [{ name: 'c', resources: { requests: { cpu: '1', 'nvidia.com/gpu': '3' } } }] } }))).toEqual({
      ok: false,
      reasons: ['batch: largest free slot 0 nvidia.com/gpu < 3 nvidia.com/gpu requested', 'gpu: largest free slot 2 nvidia.com/gpu < 3 nvidia.com/gpu requested'],
    });
  });

  it('matches nodeSelector and required node affinity', () => {
    const m = pool({
      east: { nodes: [node('e0', 8000, 32, { labels: { disk: 'hdd' } })] },
      west: { nodes: [node('w0', 8000, 32, { labels: { disk: 'ssd', 'topology.kubernetes.io/zone': 'w1' } })] },
    });
    const placer = new Placer(m);
    expect(placer.place(placementPod(pod('s', '1', '1Gi', { spec: { nodeSelector: { disk: 'ssd' } } })), { assume: false })).toMatchObject({ ok: true, cluster: 'west' });
    const aff = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }] } } };
    expect(placer.place(placementPod(pod('a', '1', '1Gi', { spec: { affinity: aff } })), { assume: false })).toMatchObject({ ok: true, cluster: 'east' });
    const none = placer.place(placementPod(pod('n', '1', '1Gi', { spec: { nodeSelector: { disk: 'nvme' } } })), { assume: false });
    expect(none).toEqual({ ok: false, reasons: ["east: 0/1 nodes fit: 1 didn't match nodeSelector", "west: 0/1 nodes fit: 1 didn't match nodeSelector"] });
  });

  it('applies the namespace policy', () => {
    const m = pool({ east: { nodes: [node('e0', 8000, 32)], policy: { namespaces: { allow: ['spark'], deny: [] } } }, west: { nodes: [node('w0', 8000, 32)], policy: { namespaces: { allow: [], deny: ['default'] } } } });
    expect(new Placer(m).place(placementPod(pod('p', '1')))).toEqual({ ok: false, reasons: ['east: namespace default is not allowed', 'west: namespace default is denied'] });
    expect(new Placer(m).place(placementPod(pod('p', '1', '1Gi', { namespace: 'spark' })))).toMatchObject({ ok: true });
  });

  it('scores by policy: most-idle spreads, bin-pack fills, weighted follows weight, least-loaded follows usage', () => {
    const m = pool({ big: { nodes: [node('b0', 32_000, 128)], policy: { weight: 1 } }, small: { nodes: [node('s0', 8000, 32)], policy: { weight: 10 } } });
    m.cluster('big')!.apply({ kind: 'node-usage', name: 'b0', usage: { cpu: 30_000, memory: GI } });
    m.cluster('small')!.apply({ kind: 'node-usage', name: 's0', usage: { cpu: 100, memory: GI } });
    const p = placementPod(pod('p', '1'));
    expect(new Placer(m, 'most-idle').place(p, { assume: false })).toMatchObject({ cluster: 'big' });
    expect(new Placer(m, 'bin-pack').place(p, { assume: false })).toMatchObject({ cluster: 'small' });
    expect(new Placer(m, 'weighted').place(p, { assume: false })).toMatchObject({ cluster: 'small' });
    expect(new Placer(m, 'least-loaded').place(p, { assume: false })).toMatchObject({ cluster: 'small' });
  });

  it("sends Spark executors and Flink taskmanagers to their driver's / jobmanager's cluster", () => {
    const m = pool({ big: { nodes: [node('b0', 64_000, 256)] }, small: { nodes: [node('s0', 8000, 32)] } });
    const placer = new Placer(m, 'most-idle');
    m.cluster('small')!.apply({
      kind: 'pod-upsert',
      pod: { key: 'spark/drv', namespace: 'spark', nodeName: 's0', phase: 'Running', requests: { cpu: 1000 }, qos: 'online', lent: true, app: { key: 'spark:spark/app-1', role: 'leader' } },
    });
    const exec = pod('exec-1', '1', '1Gi', { namespace: 'spark', labels: { 'spark-app-selector': 'app-1', 'spark-role': 'executor' } });
    expect(placer.place(placementPod(exec))).toMatchObject({ ok: true, cluster: 'small' });
    const other = pod('exec-9', '1', '1Gi', { namespace: 'spark', labels: { 'spark-app-selector': 'app-2', 'spark-role': 'executor' } });
    expect(placer.place(placementPod(other))).toMatchObject({ ok: true, cluster: 'big' });
    // Flink: the jobmanager placed through Tidepool pulls its taskmanagers after it.
    const jm = pod('jm', '1', '1Gi', { namespace: 'flink', labels: { type: 'flink-native-kubernetes', app: 'wordcount', component: 'jobmanager' } });
    const placedJm = placer.place(placementPod(jm));
    expect(placedJm).toMatchObject({ ok: true, cluster: 'big' });
    m.cluster('small')!.apply({ kind: 'node-usage', name: 's0', usage: { cpu: 0, memory: 0 } });
    const tm = pod('tm-1', '1', '1Gi', { namespace: 'flink', labels: { type: 'flink-native-kubernetes', app: 'wordcount', component: 'taskmanager' } });
    expect(new Placer(m, 'bin-pack').place(placementPod(tm))).toMatchObject({ ok: true, cluster: 'big' });
  });

  it('never overbooks under 500 concurrent placements, and is idempotent per pod', async () => {
    const clusters: Record<string, { nodes: NodeInfo[] }> = {};
    for (const c of ['east', 'west', 'north']) clusters[c] = { nodes: Array.from({ length: 10 }, (_, i) => node(`${c}-${i}`, 4000, 16)) };
    const m = pool(clusters);
    const placer = new Placer(m);
    // 120 CPU in the pool, 500 pods of 700m: at most 5 fit per node (150 in all).
    const results = await Promise.all(Array.from({ length: 500 }, async (_, i) => placer.place(placementPod(pod(`p${i}`, '700m', '256Mi')))));
    const ok = results.filter((r) => r.ok);
    expect(ok.length).toBe(150);
    for (const c of m.clusters()) for (const n of c.nodes.values()) expect(n.reqCpu).toBeLessThanOrEqual(n.allocCpu);
    expect(m.document().total.cpu.idle).toBe(120_000 - 150 * 700);
    const again = placer.place(placementPod(pod('p0', '700m', '256Mi')));
    expect(again).toMatchObject({ ok: true, existing: true });
    expect(results.filter((r) => !r.ok)[0]).toMatchObject({ ok: false });
  });
});
