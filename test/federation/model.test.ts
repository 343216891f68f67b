import { describe, expect, it } from 'vitest';
import { ClusterModel } from '../../federation/cluster-model.js';
import { ReferenceState, recount } from '../../federation/oracle.js';
import type { CapacityEvent, ClusterPolicy, NodeInfo, PodInfo } from '../../federation/types.js';
import { DEFAULT_POLICY } from '../../federation/types.js';

const GI = 1024 ** 3;

/** Small deterministic PRNG so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomEvent(r: () => number, nodeNames: string[], podKeys: string[]): CapacityEvent {
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const x = r();
  if (x < 0.15) {
    const node: NodeInfo = {
      name: pick(nodeNames),
      allocatable: { cpu: 1000 * (1 + Math.floor(r() * 32)), memory: GI * (1 + Math.floor(r() * 128)), pods: 110, ...(r() < 0.2 ? { 'nvidia.com/gpu': 4 } : {}) },
      labels: r() < 0.1 ? { type: 'virtual-kubelet' } : { zone: pick(['a', 'b']) },
      taints: r() < 0.15 ? [{ key: 'dedicated', value: 'gpu', effect: pick(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) }] : [],
      ready: r() < 0.85,
      unschedulable: r() < 0.1,
    };
    return { kind: 'node-upsert', node };
  }
  if (x < 0.2) return { kind: 'node-delete', name: pick(nodeNames) };
  if (x < 0.7) {
    const bound = r() < 0.8;
    const pod: PodInfo = {
      key: pick(podKeys),
      namespace: 'ns',
      ...(bound ? { nodeName: pick(nodeNames) } : {}),
      phase: pick(['Pending', 'Running', 'Running', 'Running', 'Succeeded', 'Failed']),
      requests: { cpu: Math.floor(r() * 8000), memory: Math.floor(r() * 16 * GI), ...(r() < 0.1 ? { 'nvidia.com/gpu': 1 } : {}) },
      qos: 'online',
      lent: r() < 0.3,
    };
    return { kind: 'pod-upsert', pod };
  }
  if (x < 0.85) return { kind: 'pod-delete', key: pick(podKeys) };
  return { kind: 'node-usage', name: pick(nodeNames), usage: { cpu: Math.floor(r() * 30000), memory: Math.floor(r() * 100 * GI) } };
}

const policies: [string, ClusterPolicy][] = [
  ['default policy', DEFAULT_POLICY],
  ['fractional headroom and caps', { ...DEFAULT_POLICY, headroom: { fraction: 0.2 }, maxCpu: 50_000, maxPods: 40, reclaimThreshold: 0.7 }],
  ['absolute headroom', { ...DEFAULT_POLICY, headroom: { cpu: 4000, memory: 8 * GI } }],
];

describe('capacity model equals the full-recount oracle', () => {
  for (const [name, policy] of policies) {
    it(`after random event streams (${name})`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const r = rng(seed);
        const nodeNames = Array.from({ length: 12 }, (_, i) => `n${i}`);
        const podKeys = Array.from({ length: 80 }, (_, i) => `ns/p${i}`);
        const model = new ClusterModel('east', policy);
        const ref = new ReferenceState();
        const assumed = new Set<string>();
        for (let i = 0; i < 1500; i++) {
          const y = r();
          if (y < 0.05) {
            // A placement assumed on a node: for the oracle, a lent pod there.
            const ev = randomEvent(r, nodeNames, podKeys);
            if (ev.kind === 'pod-upsert' && ev.pod.nodeName) {
              const pod = { ...ev.pod, phase: 'Pending', lent: true };
              model.assume(pod);
              ref.apply({ kind: 'pod-upsert', pod });
              assumed.add(pod.key);
            }
            continue;
          }
          if (y < 0.07 && assumed.size > 0) {
            const key = [...assumed][Math.floor(r() * assumed.size)]!;
            if (model.isAssumed(key)) ref.apply({ kind: 'pod-delete', key });
            model.forget(key);
            assumed.delete(key);
            continue;
          }
          const ev = randomEvent(r, nodeNames, podKeys);
          if (ev.kind === 'pod-upsert' || ev.kind === 'pod-delete') assumed.delete(ev.kind === 'pod-upsert' ? ev.pod.key : ev.key);
          model.apply(ev);
          ref.apply(ev);
          if (i % 100 === 99) {
            const ready = r() < 0.8;
            expect(model.capacity(ready, false), `seed ${seed} event ${i}`).toEqual(recount('east', policy, ref, ready));
          }
        }
        // A relist of the same state changes nothing.
        model.replace([...ref.nodes.values()], [...ref.pods.values()]);
        for (const [n, u] of ref.usage) model.apply({ kind: 'node-usage', name: n, usage: u });
        expect(model.capacity(true, false)).toEqual(recount('east', policy, ref, true));
      }
    });
  }

  it('counts neither virtual nodes nor the pods on them, and lists the virtual nodes', () => {
    const model = new ClusterModel('east');
    model.apply({ kind: 'node-upsert', node: { name: 'vk', allocatable: { cpu: 100_000, memory: 100 * GI, pods: 1000 }, labels: { type: 'virtual-kubelet' }, taints: [], ready: true, unschedulable: false } });
    model.apply({ kind: 'node-upsert', node: { name: 'real', allocatable: { cpu: 4000, memory: 8 * GI, pods: 110 }, labels: {}, taints: [], ready: true, unschedulable: false } });
    model.apply({ kind: 'pod-upsert', pod: { key: 'a/p', namespace: 'a', nodeName: 'vk', phase: 'Running', requests: { cpu: 1000 }, qos: 'online', lent: false } });
    const c = model.capacity(true, false);
    expect(c.nodes).toBe(1);
    expect(c.cpu).toMatchObject({ allocatable: 4000, requested: 0, idle: 4000, largestSlot: 4000 });
    expect(c.virtualNodes).toEqual(['vk']);
  });

  it('holds an assumed pod on its node until the member reports it bound, then follows the report', () => {
    const model = new ClusterModel('east');
    for (const name of ['a', 'b']) model.apply({ kind: 'node-upsert', node: { name, allocatable: { cpu: 4000, memory: 8 * GI, pods: 110 }, labels: {}, taints: [], ready: true, unschedulable: false } });
    const pod: PodInfo = { key: 'x/p', namespace: 'x', nodeName: 'a', phase: 'Pending', requests: { cpu: 3000 }, qos: 'offline', lent: true };
    model.assume(pod);
    expect(model.capacity(true, false).cpu).toMatchObject({ requested: 3000, idle: 5000, lent: 3000, largestSlot: 4000 });
    // The member reports the mirror pod, still unbound: the room on "a" stays taken.
    model.apply({ kind: 'pod-upsert', pod: { ...pod, nodeName: undefined as unknown as string } });
    expect(model.nodeOf('x/p')).toBe('a');
    expect(model.isAssumed('x/p')).toBe(false);
    // The member's scheduler bound it elsewhere: the figures follow the report.
    model.apply({ kind: 'pod-upsert', pod: { ...pod, nodeName: 'b', phase: 'Running' } });
    expect(model.capacity(true, false).cpu).toMatchObject({ requested: 3000, idle: 5000, largestSlot: 4000 });
    expect(model.nodeOf('x/p')).toBe('b');
    model.apply({ kind: 'pod-delete', key: 'x/p' });
    expect(model.capacity(true, false).cpu).toMatchObject({ requested: 0, idle: 8000, lent: 0 });
  });

  it('expires assumptions the member never confirmed', () => {
    let now = 1_000;
    const model = new ClusterModel('east', DEFAULT_POLICY, () => now);
    model.apply({ kind: 'node-upsert', node: { name: 'a', allocatable: { cpu: 4000, memory: 8 * GI, pods: 110 }, labels: {}, taints: [], ready: true, unschedulable: false } });
    model.assume({ key: 'x/p', namespace: 'x', nodeName: 'a', phase: 'Pending', requests: { cpu: 1000 }, qos: 'online', lent: true });
    expect(model.expireAssumed(60_000)).toEqual([]);
    now += 60_000;
    expect(model.expireAssumed(60_000)).toEqual(['x/p']);
    expect(model.capacity(true, false).cpu.requested).toBe(0);
  });
});
