import { describe, expect, it } from 'vitest';
import { FakeNode } from './fake-node.js';
import { makeAgent } from './helpers.js';

describe('online cpuset next to a shrinking offline cpuset', () => {
  async function plan(onlineRequestMilli: number): Promise<{ online: string; offline: string; budget: number }> {
    const node = new FakeNode({ cgroup: 'v1', driver: 'cgroupfs', topology: { numaNodes: 1, coresPerNode: 8, threadsPerCore: 1 } });
    const web = node.addPod({ name: 'web', qos: 'online', cpuMilli: onlineRequestMilli });
    const batch = node.addPod({ name: 'batch', qos: 'offline' });
    const { agent, source } = await makeAgent(node);
    source.set([web.info, batch.info]);
    const r = await agent.reconcile();
    expect(r.apply.failed).toEqual([]);
    return { online: node.read(web.dir, 'cpuset.cpus'), offline: node.read(batch.dir, 'cpuset.cpus'), budget: r.plan!.budget.offlineMilli };
  }

  it('keeps online pods off the offline CPUs while offline can use them', async () => {
    // 8000 × 65% − 4000 = 1200m → 2 CPUs, 60 % of them usable: worth keeping apart.
    expect(await plan(4000)).toEqual({ online: '0-5', offline: '6-7', budget: 1200 });
  });

  it('gives online pods the whole pool back when the offline quota is down to a sliver', async () => {
    // 8000 × 65% − 5000 = 200m on 1 CPU (20 %): offline is throttled anyway.
    expect(await plan(5000)).toEqual({ online: '0-7', offline: '7', budget: 200 });
  });
});
