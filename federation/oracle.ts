/**
 * The full-recount oracle: keeps the plain state a stream of events leaves behind and computes
 * a cluster's figures from scratch. O(nodes + pods) per call — for tests only; the model must
 * always agree with it.
 */
import { isVirtualNodeLabels } from '../api/index.js';
import { CPU_BOUNDS, MEMORY_BOUNDS, bucketOf } from './histogram.js';
import { untoleratedTaint } from '../kube/index.js';
import type { CapacityEvent, ClusterCapacity, ClusterPolicy, NodeInfo, NodeUsage, PodInfo } from './types.js';

const TERMINAL = new Set(['Succeeded', 'Failed']);

export class ReferenceState {
  readonly nodes = new Map<string, NodeInfo>();
  readonly pods = new Map<string, PodInfo>();
  readonly usage = new Map<string, NodeUsage>();

  apply(ev: CapacityEvent): void {
    switch (ev.kind) {
      case 'node-upsert':
        this.nodes.set(ev.node.name, ev.node);
        break;
      case 'node-delete':
        this.nodes.delete(ev.name);
        this.usage.delete(ev.name);
        break;
      case 'pod-upsert': {
        const old = this.pods.get(ev.pod.key);
        // A bound pod never becomes unbound; an update without a node keeps the old one.
        const pod = !ev.pod.nodeName && old?.nodeName ? { ...ev.pod, nodeName: old.nodeName } : ev.pod;
        if (TERMINAL.has(pod.phase)) this.pods.delete(pod.key);
        else this.pods.set(pod.key, pod);
        break;
      }
      case 'pod-delete':
        this.pods.delete(ev.key);
        break;
      case 'node-usage':
        if (this.nodes.has(ev.name)) this.usage.set(ev.name, ev.usage);
        break;
    }
  }
}

export function recount(name: string, policy: ClusterPolicy, state: ReferenceState, ready: boolean): ClusterCapacity {
  const req = new Map<string, { cpu: number; mem: number; pods: number; lCpu: number; lMem: number; lPods: number }>();
  let lentCpu = 0;
  let lentMem = 0;
  let lentPods = 0;
  for (const p of state.pods.values()) {
    if (p.lent) {
      lentCpu += p.requests['cpu'] ?? 0;
      lentMem += p.requests['memory'] ?? 0;
      lentPods++;
    }
    if (!p.nodeName) continue;
    const r = req.get(p.nodeName) ?? { cpu: 0, mem: 0, pods: 0, lCpu: 0, lMem: 0, lPods: 0 };
    r.cpu += p.requests['cpu'] ?? 0;
    r.mem += p.requests['memory'] ?? 0;
    r.pods += 1;
    if (p.lent) {
      r.lCpu += p.requests['cpu'] ?? 0;
      r.lMem += p.requests['memory'] ?? 0;
      r.lPods += 1;
    }
    req.set(p.nodeName, r);
  }
  const f = { lsCpu: 0, lsMem: 0, lsPods: 0, nodes: 0, sched: 0, aCpu: 0, aMem: 0, aPods: 0, rCpu: 0, rMem: 0, rPods: 0, uCpu: 0, uMem: 0, fCpu: 0, fMem: 0, fPods: 0, bCpu: 0, bMem: 0, lCpu: 0, lMem: 0 };
  const histCpu = CPU_BOUNDS.map(() => 0);
  const histMem = MEMORY_BOUNDS.map(() => 0);
  const virtual: string[] = [];
  for (const n of state.nodes.values()) {
    if (isVirtualNodeLabels(n.labels)) {
      virtual.push(n.name);
      continue;
    }
    const r = req.get(n.name) ?? { cpu: 0, mem: 0, pods: 0, lCpu: 0, lMem: 0, lPods: 0 };
    const a = { cpu: n.allocatable['cpu'] ?? 0, mem: n.allocatable['memory'] ?? 0, pods: n.allocatable['pods'] ?? 0 };
    const u = state.usage.get(n.name);
    f.nodes++;
    f.aCpu += a.cpu;
    f.aMem += a.mem;
    f.aPods += a.pods;
    f.rCpu += r.cpu;
    f.rMem += r.mem;
    f.rPods += r.pods;
    if (u) {
      f.uCpu += u.cpu;
      f.uMem += u.memory;
    }
    const schedulable = n.ready && !n.unschedulable && untoleratedTaint(n.taints, []) === undefined;
    if (!schedulable) continue;
    const fc = Math.max(0, a.cpu - r.cpu);
    const fm = Math.max(0, a.mem - r.mem);
    f.sched++;
    f.lsCpu += r.lCpu;
    f.lsMem += r.lMem;
    f.lsPods += r.lPods;
    f.fCpu += fc;
    f.fMem += fm;
    f.fPods += Math.max(0, a.pods - r.pods);
    f.lCpu = Math.max(f.lCpu, fc);
    f.lMem = Math.max(f.lMem, fm);
    histCpu[bucketOf(CPU_BOUNDS, fc)]!++;
    histMem[bucketOf(MEMORY_BOUNDS, fm)]!++;
    if (u) {
      f.bCpu += Math.max(0, Math.floor(a.cpu * policy.reclaimThreshold) - u.cpu);
      f.bMem += Math.max(0, Math.floor(a.mem * policy.reclaimThreshold) - u.memory);
    }
  }
  const inPool = ready && !policy.paused;
  const idle = (raw: number, lentHere: number, abs: number | undefined, cap: number | undefined, lent: number): number => {
    if (!inPool) return 0;
    let v = policy.headroom.fraction !== undefined ? raw - Math.ceil((raw + lentHere) * policy.headroom.fraction) : raw;
    if (abs !== undefined) v -= abs;
    if (cap !== undefined) v = Math.min(v, cap - lent);
    return Math.max(0, v);
  };
  return {
    name,
    ready,
    nodes: f.nodes,
    cpu: { allocatable: f.aCpu, requested: f.rCpu, idle: idle(f.fCpu, f.lsCpu, policy.headroom.cpu, policy.maxCpu, lentCpu), lent: lentCpu, batch: inPool ? f.bCpu : 0, usage: f.uCpu, largestSlot: f.lCpu },
    memory: { allocatable: f.aMem, requested: f.rMem, idle: idle(f.fMem, f.lsMem, policy.headroom.memory, undefined, lentMem), lent: lentMem, batch: inPool ? f.bMem : 0, usage: f.uMem, largestSlot: f.lMem },
    pods: { allocatable: f.aPods, requested: f.rPods, idle: idle(f.fPods, f.lsPods, undefined, policy.maxPods, lentPods), lent: lentPods },
    schedulableNodes: f.sched,
    virtualNodes: virtual.sort(),
    paused: policy.paused,
    fragmentation: {
      cpu: CPU_BOUNDS.map((from, i) => ({ from, to: CPU_BOUNDS[i + 1] ?? null, nodes: histCpu[i]! })),
      memory: MEMORY_BOUNDS.map((from, i) => ({ from, to: MEMORY_BOUNDS[i + 1] ?? null, nodes: histMem[i]! })),
    },
  };
}
