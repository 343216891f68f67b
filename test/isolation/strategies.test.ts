import { describe, expect, it } from 'vitest';
import type { CgroupLayout } from '../../isolation/cgroup-layout.js';
import type { KubeQosClass } from '../../kube/index.js';
import type { PodCgroup } from '../../isolation/node-reader.js';
import type { TidepoolQos } from '../../api/index.js';
import type { PodInfo } from '../../isolation/pods.js';
import { makePolicy } from '../../isolation/policy.js';
import { planCpu, quotaUs, sharesToWeight } from '../../isolation/strategy-cpu.js';
import { planMemory } from '../../isolation/strategy-memory.js';
import { planAll, STRATEGIES, type IsolationStrategy, type StrategyContext } from '../../isolation/strategy.js';

const v1: CgroupLayout = { root: '/cg', version: 'v1', driver: 'cgroupfs', kubepodsParent: '', mounts: { cpu: '/cg/cpu', cpuacct: '/cg/cpuacct', cpuset: '/cg/cpuset', memory: '/cg/memory' } };
const v2sd: CgroupLayout = { root: '/cg', version: 'v2', driver: 'systemd', kubepodsParent: '', mounts: { cpu: '/cg', cpuacct: '/cg', cpuset: '/cg', memory: '/cg' } };

let n = 0;
function pod(qos: TidepoolQos, tier: KubeQosClass, extra: Partial<PodInfo> = {}): PodCgroup {
  n++;
  const uid = `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;
  const info: PodInfo = {
    uid,
    namespace: 'ns',
    name: `p${n}`,
    phase: 'Running',
    qosClass: tier,
    tidepoolQos: qos,
    priority: 0,
    requests: { cpuMilli: 0, memoryBytes: 0, batchCpuMilli: 0, batchMemoryBytes: 0 },
    limits: { cpuMilli: null, memoryBytes: null, batchCpuMilli: null, batchMemoryBytes: null },
    containers: [{ name: 'c', id: 'c'.repeat(64), requests: { cpuMilli: 0, memoryBytes: 0 } }],
    createdAtMs: 0,
    ...extra,
  };
  const dir = tier === 'BestEffort' ? `kubepods/besteffort/pod${uid}` : tier === 'Burstable' ? `kubepods/burstable/pod${uid}` : `kubepods/pod${uid}`;
  return { pod: info, dir, tier, children: [{ name: 'c'.repeat(64), dir: `${dir}/${'c'.repeat(64)}`, containerId: 'c'.repeat(64), kind: 'container' }] };
}

describe('CPU strategy', () => {
  it('converts shares to cgroup v2 weight with the kernel mapping', () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262144)).toBe(10000);
  });

  it('never asks for a quota below the kernel minimum of 1000 µs', () => {
    expect(quotaUs(0, 100_000)).toBe(1000);
    expect(quotaUs(1500, 100_000)).toBe(150_000);
    expect(quotaUs(1500, 50_000)).toBe(75_000);
  });

  it('caps offline pods at min(own batch limit, budget) and the besteffort tier at the budget', () => {
    const a = pod('offline', 'BestEffort', { limits: { cpuMilli: null, memoryBytes: null, batchCpuMilli: 500, batchMemoryBytes: null } });
    const b = pod('offline', 'BestEffort');
    const on = pod('online', 'Burstable');
    const values = planCpu({ layout: v1, pods: [a, b, on], offlineMilli: 2000, policy: makePolicy(), periods: new Map(), hasCpuIdle: true });
    expect(values).toEqual([
      { dir: a.dir, file: 'cpu.cfs_quota_us', value: '50000', strategy: 'cpu-quota' },
      { dir: a.dir, file: 'cpu.idle', value: '1', strategy: 'cpu-idle' },
      { dir: b.dir, file: 'cpu.cfs_quota_us', value: '200000', strategy: 'cpu-quota' },
      { dir: b.dir, file: 'cpu.idle', value: '1', strategy: 'cpu-idle' },
      { dir: 'kubepods/besteffort', file: 'cpu.cfs_quota_us', value: '200000', strategy: 'cpu-tier-quota' },
    ]);
  });

  it('skips the tier cap when an online pod shares the besteffort tier', () => {
    const values = planCpu({ layout: v1, pods: [pod('offline', 'BestEffort'), pod('online', 'BestEffort')], offlineMilli: 1000, policy: makePolicy(), periods: new Map(), hasCpuIdle: false });
    expect(values.map((v) => v.dir)).not.toContain('kubepods/besteffort');
    expect(values.find((v) => v.file === 'cpu.shares')?.value).toBe('2');
  });

  it('on v2 writes cpu.max "quota period" and the lowest cpu.weight when cpu.idle is absent', () => {
    const p = pod('offline', 'Burstable');
    const values = planCpu({ layout: v2sd, pods: [p], offlineMilli: 1200, policy: makePolicy(), periods: new Map([[p.dir, 50_000]]), hasCpuIdle: false });
    expect(values).toEqual([
      { dir: p.dir, file: 'cpu.max', value: '60000 50000', strategy: 'cpu-quota' },
      { dir: p.dir, file: 'cpu.weight', value: '1', strategy: 'cpu-weight' },
    ]);
  });

  it('leaves online pods alone', () => {
    expect(planCpu({ layout: v1, pods: [pod('online', 'Burstable'), pod('online-exclusive', 'Guaranteed')], offlineMilli: 1000, policy: makePolicy(), periods: new Map(), hasCpuIdle: true })).toEqual([]);
  });
});

describe('memory strategy', () => {
  it('v1: offline soft limit 0, batch-memory limit when kubelet set none, high oom_score_adj', () => {
    const off = pod('offline', 'BestEffort', { limits: { cpuMilli: null, memoryBytes: null, batchCpuMilli: null, batchMemoryBytes: 1 << 30 } });
    const on = pod('online', 'Burstable', { requests: { cpuMilli: 0, memoryBytes: 1 << 30, batchCpuMilli: 0, batchMemoryBytes: 0 } });
    const m = planMemory({ layout: v1, pods: [off, on], policy: makePolicy(), recursiveProt: false, offlinePids: new Map([[off.pod.uid, [11, 12]]]) });
    expect(m.cgroups).toEqual([
      { dir: off.dir, file: 'memory.soft_limit_in_bytes', value: '0', strategy: 'memory-offline-soft' },
      { dir: off.dir, file: 'memory.limit_in_bytes', value: String(1 << 30), strategy: 'memory-offline-max' },
    ]);
    expect(m.procs.map((p) => [p.pid, p.value])).toEqual([[11, '1000'], [12, '1000']]);
  });

  it('v2: memory.low per online pod, summed up the tree, page aligned; none mode protects only exclusive pods', () => {
    const a = pod('online', 'Burstable', { requests: { cpuMilli: 0, memoryBytes: 1000 * 4096 + 5, batchCpuMilli: 0, batchMemoryBytes: 0 } });
    const b = pod('online', 'Burstable', { requests: { cpuMilli: 0, memoryBytes: 4096, batchCpuMilli: 0, batchMemoryBytes: 0 } });
    const m = planMemory({ layout: { ...v2sd, driver: 'cgroupfs' }, pods: [a, b], policy: makePolicy(), recursiveProt: true, offlinePids: new Map() });
    expect(m.cgroups).toEqual([
      { dir: a.dir, file: 'memory.low', value: String(1000 * 4096), strategy: 'memory-protect' },
      { dir: b.dir, file: 'memory.low', value: '4096', strategy: 'memory-protect' },
      { dir: 'kubepods/burstable', file: 'memory.low', value: String(1001 * 4096), strategy: 'memory-protect-ancestor' },
      { dir: 'kubepods', file: 'memory.low', value: String(1001 * 4096), strategy: 'memory-protect-ancestor' },
    ]);
    const none = planMemory({ layout: { ...v2sd, driver: 'cgroupfs' }, pods: [a], policy: makePolicy({ memoryProtection: 'none' }), recursiveProt: true, offlinePids: new Map() });
    expect(none.cgroups).toEqual([]);
  });
});

describe('the strategy list', () => {
  const ctxFor = (pods: PodCgroup[], over: Partial<StrategyContext> = {}): StrategyContext => ({
    layout: v1,
    policy: makePolicy(),
    capabilities: { cgroup: { cpuIdle: false, memoryRecursiveProt: false } } as StrategyContext['capabilities'],
    resctrl: null,
    pods,
    cpuPlan: null,
    periods: new Map(),
    pids: new Map(),
    threads: new Map(),
    ...over,
  });

  it('plans only enabled strategies and merges what they want', () => {
    const off = pod('offline', 'BestEffort');
    const merged = planAll(STRATEGIES, ctxFor([off], { pids: new Map([[off.pod.uid, [4242]]]) }));
    // No CPU plan (no cpu/cpuset controllers this round), no resctrl: memory alone plans.
    expect(merged.strategies).toEqual(['memory']);
    expect(merged.resctrl).toBeNull();
    expect(merged.procs).toContainEqual(expect.objectContaining({ pid: 4242, file: 'oom_score_adj' }));
  });

  it('a new strategy is one object in the list: its values reach the merged plan', () => {
    const tag: IsolationStrategy = {
      name: 'tag-offline',
      enabled: (ctx) => ctx.pods.some((p) => p.pod.tidepoolQos === 'offline'),
      plan: (ctx) => ({ cgroups: ctx.pods.filter((p) => p.pod.tidepoolQos === 'offline').map((p) => ({ dir: p.dir, file: 'cpu.shares', value: '2', strategy: 'tag-offline' })), notes: ['tagged'] }),
    };
    const merged = planAll([...STRATEGIES, tag], ctxFor([pod('offline', 'BestEffort'), pod('online', 'Burstable')]));
    expect(merged.strategies).toEqual(['memory', 'tag-offline']);
    expect(merged.cgroups.filter((v) => v.strategy === 'tag-offline')).toHaveLength(1);
    expect(merged.notes).toEqual(['tagged']);
  });
});
