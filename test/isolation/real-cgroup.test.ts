// The agent against the machine's real cgroup v1 hierarchies, inside a private
// tidepool-test-<random> subtree (see real-cgroup.ts for the safety rules).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../isolation/agent.js';
import { detectCapabilities } from '../../isolation/capabilities.js';
import { Executor } from '../../isolation/executor.js';
import { nodeFs } from '../../isolation/fs.js';
import { StaticPodSource, type PodInfo } from '../../isolation/pods.js';
import { makePolicy } from '../../isolation/policy.js';
import { readTopology } from '../../isolation/topology.js';
import { CGROUP_ROOT, RealCgroupTree, cpusAllowed, realCgroupUnavailable } from './real-cgroup.js';

const unavailable = realCgroupUnavailable();
if (unavailable !== null) console.warn(`[isolation] real cgroup tests skipped: ${unavailable}`);

const GiB = 1024 ** 3;

// A frozen clock keeps the sampler on requests (no measured window), so the plan
// does not follow the CPU use of whatever else runs on this shared machine.
const frozen = (): number => 1_000_000;

async function agentOn(tree: RealCgroupTree, pods: PodInfo[]): Promise<{ agent: Agent; executor: Executor }> {
  const topology = await readTopology(nodeFs, '/sys');
  const capabilities = await detectCapabilities(nodeFs, tree.layout, '/proc', topology, null);
  const executor = new Executor({ fs: nodeFs, layout: tree.layout, procRoot: '/proc', resctrlRoot: null });
  const agent = new Agent({
    nodeName: 'real-node',
    fs: nodeFs,
    layout: tree.layout,
    procRoot: '/proc',
    topology,
    capabilities,
    resctrl: null,
    policy: makePolicy({ minOnlineCpus: 1 }),
    podSource: new StaticPodSource(pods),
    executor,
    now: frozen,
  });
  return { agent, executor };
}

describe.skipIf(unavailable !== null)('agent on real cgroup v1 hierarchies', () => {
  let tree: RealCgroupTree | null = null;
  afterEach(async () => {
    await tree?.destroy();
    tree = null;
  });

  it('splits CPUs between online and offline pods, caps offline CPU and memory, and the kernel applies it to real processes', async () => {
    tree = new RealCgroupTree();
    const t = tree;
    const all = t.read(t.name, 'cpuset.cpus', 'cpuset');
    const topology = await readTopology(nodeFs, '/sys');
    const online = t.addPod({ name: 'web', qos: 'online', qosClass: 'Burstable', cpuMilli: 100, memoryBytes: 64 * 1024 * 1024 });
    const offline = t.addPod({ name: 'spark', qos: 'offline', qosClass: 'BestEffort', batchMemoryLimitBytes: GiB, processes: 2 });
    const { agent } = await agentOn(t, [online.info, offline.info]);

    const report = await agent.reconcile();
    expect(report.apply.failed).toEqual([]);
    expect(report.apply.refused).toEqual([]);
    expect(report.pods).toBe(2);

    const plan = report.plan!;
    expect(plan.offlineCpus.length).toBeGreaterThan(0);
    const offCpus = agent.status().cpus.offline;
    const onCpus = agent.status().cpus.online;
    for (const d of [offline.dir, offline.containerDir]) expect(t.read(d, 'cpuset.cpus', 'cpuset')).toBe(offCpus);
    for (const d of [online.dir, online.containerDir]) expect(t.read(d, 'cpuset.cpus', 'cpuset')).toBe(onCpus);
    if (topology.cpus.length > 1) expect(offCpus).not.toBe(all);
    // The kernel moved the real processes' affinity with their cgroup.
    for (const p of offline.procs) expect(cpusAllowed(p.pid!)).toBe(offCpus);
    for (const p of online.procs) expect(cpusAllowed(p.pid!)).toBe(onCpus);

    expect(Number(t.read(offline.dir, 'cpu.cfs_quota_us', 'cpu'))).toBe(Math.max(1000, plan.budget.offlineMilli * 100));
    expect(t.read(offline.dir, 'cpu.idle', 'cpu')).toBe('1');
    expect(t.read(online.dir, 'cpu.cfs_quota_us', 'cpu')).toBe('-1');
    expect(t.read(offline.dir, 'memory.soft_limit_in_bytes', 'memory')).toBe('0');
    expect(t.read(offline.dir, 'memory.limit_in_bytes', 'memory')).toBe(String(GiB));
    for (const p of offline.procs) expect(readFileSync(`/proc/${p.pid}/oom_score_adj`, 'utf8').trim()).toBe('1000');
    for (const p of online.procs) expect(readFileSync(`/proc/${p.pid}/oom_score_adj`, 'utf8').trim()).toBe('0');

    // Idempotent against the real kernel's echo of the values.
    const again = await agent.reconcile();
    expect(again.apply.written).toBe(0);
    expect(again.apply.failed).toEqual([]);
  });

  it('puts every value back when the agent is uninstalled', async () => {
    tree = new RealCgroupTree();
    const t = tree;
    const all = t.read(t.name, 'cpuset.cpus', 'cpuset');
    const online = t.addPod({ name: 'web', qos: 'online', qosClass: 'Burstable', cpuMilli: 100 });
    const offline = t.addPod({ name: 'batch', qos: 'offline', qosClass: 'BestEffort' });
    const before = {
      quota: t.read(offline.dir, 'cpu.cfs_quota_us', 'cpu'),
      idle: t.read(offline.dir, 'cpu.idle', 'cpu'),
      soft: t.read(offline.dir, 'memory.soft_limit_in_bytes', 'memory'),
    };
    const { agent } = await agentOn(t, [online.info, offline.info]);
    await agent.reconcile();
    expect(t.read(offline.dir, 'cpu.idle', 'cpu')).toBe('1');

    const restored = await agent.restore();
    expect(restored.failed).toEqual([]);
    for (const d of [offline.dir, offline.containerDir, online.dir, online.containerDir]) expect(t.read(d, 'cpuset.cpus', 'cpuset')).toBe(all);
    expect(t.read(offline.dir, 'cpu.cfs_quota_us', 'cpu')).toBe(before.quota);
    expect(t.read(offline.dir, 'cpu.idle', 'cpu')).toBe(before.idle);
    expect(t.read(offline.dir, 'memory.soft_limit_in_bytes', 'memory')).toBe(before.soft);
    for (const p of offline.procs) expect(cpusAllowed(p.pid!)).toBe(all);
  });

  it('refuses paths outside its tree and never touches the root cgroup', async () => {
    tree = new RealCgroupTree();
    const t = tree;
    const { executor } = await agentOn(t, []);
    const rootShares = readFileSync(join(CGROUP_ROOT, 'cpu', 'cpu.shares'), 'utf8');
    const tier = `${t.name}/kubepods/besteffort`;
    const report = await executor.applyCgroups([
      { dir: '', file: 'cpu.shares', value: '3', strategy: 'test' },
      { dir: `${tier}/../../../x`, file: 'cpu.shares', value: '3', strategy: 'test' },
      { dir: t.name, file: 'cpu.shares', value: '3', strategy: 'test' }, // above kubepods
      { dir: tier, file: '../cpu.shares', value: '3', strategy: 'test' },
    ]);
    expect(report.refused).toHaveLength(4);
    expect(report.written).toBe(0);
    expect(readFileSync(join(CGROUP_ROOT, 'cpu', 'cpu.shares'), 'utf8')).toBe(rootShares);
    expect(t.read(t.name, 'cpu.shares', 'cpu')).not.toBe('3');
  });

  it('backs off when the real kernel keeps refusing a value instead of retrying every cycle', async () => {
    tree = new RealCgroupTree();
    const t = tree;
    const { executor } = await agentOn(t, []);
    const tier = `${t.name}/kubepods/besteffort`;
    const before = t.read(tier, 'cpuset.cpus', 'cpuset');
    const bad = [{ dir: tier, file: 'cpuset.cpus', value: '4000-4001', strategy: 'test' }];
    const first = await executor.applyCgroups(bad);
    // One refusal (ERANGE/EINVAL: no such CPUs), not one per ordering phase.
    expect(first.failed.map((f) => f.code)).toEqual([expect.stringMatching(/^E(INVAL|RANGE)$/)]);
    const second = await executor.applyCgroups(bad);
    expect(second.failed).toEqual([]);
    expect(second.backedOff).toHaveLength(1);
    expect(t.read(tier, 'cpuset.cpus', 'cpuset')).toBe(before);
  });

  it('orders v1 cpuset writes so a narrowed parent never strands a wider child', async () => {
    tree = new RealCgroupTree();
    const t = tree;
    const topology = await readTopology(nodeFs, '/sys');
    if (topology.cpus.length < 2) return; // one CPU: nothing to narrow
    const pod = t.addPod({ name: 'x', qos: 'offline', qosClass: 'BestEffort' });
    const { executor } = await agentOn(t, []);
    const last = String(topology.cpus[topology.cpus.length - 1]!.id);
    // Writing the child alone first is what the kernel refuses with EBUSY; the executor orders it.
    const r = await executor.applyCgroups([
      { dir: pod.dir, file: 'cpuset.cpus', value: last, strategy: 'test' },
      { dir: pod.containerDir, file: 'cpuset.cpus', value: last, strategy: 'test' },
    ]);
    expect(r.failed).toEqual([]);
    expect(t.read(pod.dir, 'cpuset.cpus', 'cpuset')).toBe(last);
    expect(t.read(pod.containerDir, 'cpuset.cpus', 'cpuset')).toBe(last);
    const widen = await executor.applyCgroups([]);
    expect(widen.failed).toEqual([]);
    expect(t.read(pod.containerDir, 'cpuset.cpus', 'cpuset')).toBe(t.read(t.name, 'cpuset.cpus', 'cpuset'));
  });
});
