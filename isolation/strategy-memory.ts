// Memory strategy.
//   cgroup v2: online pods' requests are protected with memory.low (memory.min
//   for online-exclusive), propagated to the ancestors (protection is capped by
//   every ancestor's) and, without the memory_recursiveprot mount option, down to
//   the container cgroups. Offline pods get memory.high below their limit and a
//   memory.max from their batch-memory limit, which kubelet cannot set.
//   cgroup v1 has no protection knob: offline pods get soft_limit 0 (reclaimed
//   first under node pressure) and their batch-memory limit as limit_in_bytes.
//   Both: offline processes get a high oom_score_adj so the OOM killer picks them.
import { kubepodsDir, qosTierDir, type CgroupLayout } from './cgroup-layout.js';
import type { CgroupValue, ProcValue } from './desired.js';
import type { PodCgroup } from './node-reader.js';
import type { IsolationPolicy } from './policy.js';

export interface MemoryStrategyInput {
  layout: CgroupLayout;
  pods: readonly PodCgroup[];
  policy: IsolationPolicy;
  /** cgroup2 mounted with memory_recursiveprot: protection flows to leaves by itself. */
  recursiveProt: boolean;
  /** PIDs of each offline pod (for oom_score_adj). */
  offlinePids: ReadonlyMap<string, readonly number[]>;
}

const PAGE = 4096;

export function pageAlign(bytes: number): number {
  return Math.floor(bytes / PAGE) * PAGE;
}

export function planMemory(i: MemoryStrategyInput): { cgroups: CgroupValue[]; procs: ProcValue[] } {
  const cgroups: CgroupValue[] = [];
  const procs: ProcValue[] = [];
  const { layout, policy } = i;
  if (layout.mounts.memory !== null) {
    if (layout.version === 'v2') planV2(i, cgroups);
    else planV1(i, cgroups);
  }
  for (const p of i.pods) {
    if (p.pod.tidepoolQos !== 'offline') continue;
    for (const pid of i.offlinePids.get(p.pod.uid) ?? []) {
      procs.push({ pid, file: 'oom_score_adj', value: String(policy.offlineOomScoreAdj), strategy: 'memory-oom' });
    }
  }
  return { cgroups, procs };
}

function offlineLimit(p: PodCgroup): number | null {
  return p.pod.limits.batchMemoryBytes ?? p.pod.limits.memoryBytes;
}

function planV2(i: MemoryStrategyInput, out: CgroupValue[]): void {
  const { layout, policy } = i;
  const sums = new Map<string, { low: number; min: number }>();
  const addUp = (dir: string, kind: 'low' | 'min', bytes: number): void => {
    const s = sums.get(dir) ?? { low: 0, min: 0 };
    s[kind] += bytes;
    sums.set(dir, s);
  };
  for (const p of i.pods) {
    if (p.pod.tidepoolQos === 'offline') {
      const limit = offlineLimit(p);
      if (limit !== null) {
        out.push({ dir: p.dir, file: 'memory.high', value: String(pageAlign((limit * policy.offlineMemoryHighPercent) / 100)), strategy: 'memory-offline-high' });
        if (p.pod.limits.memoryBytes === null) out.push({ dir: p.dir, file: 'memory.max', value: String(pageAlign(limit)), strategy: 'memory-offline-max' });
      }
      continue;
    }
    const kind: 'low' | 'min' | null = p.pod.tidepoolQos === 'online-exclusive' ? 'min' : policy.memoryProtection === 'none' ? null : policy.memoryProtection;
    const bytes = pageAlign(p.pod.requests.memoryBytes);
    if (kind === null || bytes <= 0) continue;
    const file = `memory.${kind}`;
    out.push({ dir: p.dir, file, value: String(bytes), strategy: 'memory-protect' });
    if (!i.recursiveProt) {
      // Without recursiveprot a leaf without its own value gets no protection.
      for (const c of p.children) {
        const container = p.pod.containers.find((x) => x.id !== null && x.id === c.containerId);
        const own = container === undefined ? 0 : pageAlign(container.requests.memoryBytes);
        if (own > 0) out.push({ dir: c.dir, file, value: String(own), strategy: 'memory-protect' });
      }
    }
    const tier = qosTierDir(layout, p.tier);
    addUp(tier, kind, bytes);
    const top = kubepodsDir(layout);
    if (tier !== top) addUp(top, kind, bytes);
  }
  for (const [dir, s] of sums) {
    if (s.low > 0) out.push({ dir, file: 'memory.low', value: String(s.low), strategy: 'memory-protect-ancestor' });
    if (s.min > 0) out.push({ dir, file: 'memory.min', value: String(s.min), strategy: 'memory-protect-ancestor' });
  }
}

function planV1(i: MemoryStrategyInput, out: CgroupValue[]): void {
  for (const p of i.pods) {
    if (p.pod.tidepoolQos !== 'offline') continue;
    out.push({ dir: p.dir, file: 'memory.soft_limit_in_bytes', value: '0', strategy: 'memory-offline-soft' });
    const limit = p.pod.limits.batchMemoryBytes;
    if (limit !== null && p.pod.limits.memoryBytes === null) {
      out.push({ dir: p.dir, file: 'memory.limit_in_bytes', value: String(pageAlign(limit)), strategy: 'memory-offline-max' });
    }
  }
}
