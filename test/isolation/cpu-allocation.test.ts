import { describe, expect, it } from 'vitest';
import { allocateExclusive, selectOfflineCpus, sharedPool } from '../../isolation/cpu-allocation.js';
import { computeOfflineBudget } from '../../isolation/offline-budget.js';
import { readTopology, type CpuTopology } from '../../isolation/topology.js';
import { FakeFs } from './fake-fs.js';
import { buildSys, type TopologySpec } from './fake-kernel.js';

async function topo(spec: TopologySpec): Promise<CpuTopology> {
  const fs = new FakeFs();
  buildSys(fs, '/sys', spec);
  return readTopology(fs, '/sys');
}

describe('exclusive cores', () => {
  it('gives whole cores (siblings together) from one NUMA node, near end first', async () => {
    const t = await topo({ numaNodes: 2, coresPerNode: 4, threadsPerCore: 2 }); // 16 CPUs, siblings n / n+8
    const all = t.cpus.map((c) => c.id);
    const r = allocateExclusive(t, all, [{ uid: 'a', cpus: 4 }], new Map(), 1);
    expect(r.assigned.get('a')).toEqual([0, 1, 8, 9]);
    expect(r.unsatisfied).toEqual([]);
  });

  it('picks the NUMA node that fits most tightly, spans nodes only when none fits', async () => {
    const t = await topo({ numaNodes: 2, coresPerNode: 4, threadsPerCore: 1 });
    const all = t.cpus.map((c) => c.id);
    // node 0 = 0-3, node 1 = 4-7; "a" holds 0-2 so node 0 has one free core.
    const r = allocateExclusive(t, all, [{ uid: 'a', cpus: 3 }, { uid: 'b', cpus: 1 }, { uid: 'c', cpus: 4 }], new Map([['a', [0, 1, 2]]]), 0);
    expect(r.assigned.get('a')).toEqual([0, 1, 2]);
    expect(r.assigned.get('c')).toEqual([4, 5, 6, 7]);
    expect(r.assigned.get('b')).toEqual([3]);
    const span = allocateExclusive(t, all, [{ uid: 'x', cpus: 6 }], new Map(), 0);
    expect(span.assigned.get('x')!.length).toBe(6);
  });

  it('keeps existing assignments and adopts a valid current cpuset after a restart', async () => {
    const t = await topo({ numaNodes: 1, coresPerNode: 4, threadsPerCore: 1 });
    const all = t.cpus.map((c) => c.id);
    const r = allocateExclusive(t, all, [{ uid: 'new', cpus: 1 }, { uid: 'old', cpus: 1, current: [3] }], new Map(), 1);
    expect(r.assigned.get('old')).toEqual([3]);
    expect(r.assigned.get('new')).toEqual([0]);
    // A cpuset of all CPUs (the pod was never pinned) is not adopted.
    const fresh = allocateExclusive(t, all, [{ uid: 'p', cpus: 1, current: all }], new Map(), 1);
    expect(fresh.assigned.get('p')).toEqual([0]);
  });

  it('refuses to give away the last shared cores and says why', async () => {
    const t = await topo({ numaNodes: 1, coresPerNode: 4, threadsPerCore: 1 });
    const r = allocateExclusive(t, [0, 1, 2, 3], [{ uid: 'big', cpus: 4 }], new Map(), 1);
    expect(r.assigned.size).toBe(0);
    expect(r.unsatisfied[0]!.reason).toBe('needs 4 whole cores but only 4 of 4 are free and 1 must stay shared');
  });

  it('never uses a core with a reserved sibling', async () => {
    const t = await topo({ numaNodes: 1, coresPerNode: 2, threadsPerCore: 2 }); // cores {0,2},{1,3}
    const r = allocateExclusive(t, [1, 2, 3], [{ uid: 'a', cpus: 1 }], new Map(), 0);
    expect(r.assigned.get('a')).toEqual([1, 3]);
  });
});

describe('offline CPUs', () => {
  it('come from the far end: last NUMA node, whole cores', async () => {
    const t = await topo({ numaNodes: 2, coresPerNode: 2, threadsPerCore: 2 }); // node1 cores {2,6},{3,7}
    expect(selectOfflineCpus(t, t.cpus.map((c) => c.id), 2)).toEqual([3, 7]);
    expect(selectOfflineCpus(t, t.cpus.map((c) => c.id), 4)).toEqual([2, 3, 6, 7]);
  });

  it('use partial cores (a sibling is exclusive or reserved) last', async () => {
    const t = await topo({ numaNodes: 1, coresPerNode: 2, threadsPerCore: 2 }); // {0,2},{1,3}
    expect(selectOfflineCpus(t, [0, 1, 2], 1)).toEqual([2]); // not 1: its sibling 3 is taken
    expect(selectOfflineCpus(t, [0, 1, 2], 3)).toEqual([0, 1, 2]);
  });

  it('the shared pool excludes reserved and exclusive CPUs', () => {
    expect(sharedPool([0, 1, 2, 3, 4, 5], [0], [[1, 2]])).toEqual([3, 4, 5]);
  });
});

describe('offline budget = pool × threshold − online usage', () => {
  it('rounds the cpuset up to whole cores and caps the quota', () => {
    expect(computeOfflineBudget({ poolCpus: 8, threadsPerCore: 2, onlineUsageMilli: 1000, reclaimThresholdPercent: 65, minOnlineCpus: 1 })).toEqual({
      offlineMilli: 4200,
      offlineCpus: 6,
      overlapsOnline: false,
    });
  });

  it('keeps min online CPUs and at least one offline core, with quota 0 when online uses it all', () => {
    expect(computeOfflineBudget({ poolCpus: 4, threadsPerCore: 1, onlineUsageMilli: 3900, reclaimThresholdPercent: 90, minOnlineCpus: 1 })).toEqual({
      offlineMilli: 0,
      offlineCpus: 1,
      overlapsOnline: false,
    });
    expect(computeOfflineBudget({ poolCpus: 4, threadsPerCore: 1, onlineUsageMilli: 0, reclaimThresholdPercent: 100, minOnlineCpus: 2 }).offlineCpus).toBe(2);
  });

  it('overlaps online when the pool is too small to split', () => {
    expect(computeOfflineBudget({ poolCpus: 1, threadsPerCore: 1, onlineUsageMilli: 0, reclaimThresholdPercent: 50, minOnlineCpus: 1 })).toEqual({
      offlineMilli: 500,
      offlineCpus: 1,
      overlapsOnline: true,
    });
  });
});
