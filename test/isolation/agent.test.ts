import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubepodsDir, qosTierDir } from '../../isolation/cgroup-layout.js';
import type { Evictor } from '../../isolation/eviction.js';
import type { PodInfo } from '../../isolation/pods.js';
import { FakeNode, type FakePod } from './fake-node.js';
import { captureLog, makeAgent } from './helpers.js';

const GiB = 1024 ** 3;

/** Every successful write must be a kernel file the agent is allowed to touch. */
function expectConfined(node: FakeNode): void {
  const allowed = [
    ...Object.values(node.layout.mounts)
      .filter((m): m is string => m !== null)
      .map((m) => `${m}/${kubepodsDir(node.layout)}/`),
    `${node.resctrlRoot}/tidepool-`,
  ];
  for (const w of node.writes()) {
    const ok = allowed.some((a) => w.path.startsWith(a)) || /^\/proc\/\d+\/oom_score_adj$/.test(w.path);
    expect(ok, `write outside the allowed roots: ${w.path}`).toBe(true);
  }
}

function cpusetOf(node: FakeNode, pod: FakePod): string[] {
  return [pod.dir, pod.sandboxDir, ...pod.containerDirs].map((d) => node.read(d, 'cpuset.cpus'));
}

describe('agent on cgroup v1 / cgroupfs', () => {
  function setup(): { node: FakeNode; excl: FakePod; online: FakePod; off1: FakePod; off2: FakePod } {
    const node = new FakeNode({ cgroup: 'v1', driver: 'cgroupfs', topology: { numaNodes: 1, coresPerNode: 8, threadsPerCore: 1 } });
    const excl = node.addPod({ name: 'db', qos: 'online-exclusive', cpuMilli: 2000, memoryBytes: GiB, cpuLimitMilli: 2000, memoryLimitBytes: GiB });
    const online = node.addPod({ name: 'web', qos: 'online', cpuMilli: 500, memoryBytes: GiB / 2 });
    const off1 = node.addPod({ name: 'spark-1', qos: 'offline', priority: 10, batchCpuMilli: 2000, batchMemoryBytes: GiB, batchMemoryLimitBytes: 2 * GiB });
    const off2 = node.addPod({ name: 'spark-2', qos: 'offline', priority: 5 });
    return { node, excl, online, off1, off2 };
  }

  it('gives exclusive pods their own cores, online the shared pool and offline the far end, with quota, idle and memory policy', async () => {
    const { node, excl, online, off1, off2 } = setup();
    const { agent, source } = await makeAgent(node);
    source.set([excl, online, off1, off2].map((p) => p.info));
    const report = await agent.reconcile();
    expect(report.apply.failed).toEqual([]);
    expect(report.apply.refused).toEqual([]);

    expect(cpusetOf(node, excl)).toEqual(['0-1', '0-1', '0-1']);
    // pool 2-7 (6 CPUs); online uses its 500m request until measured:
    // offline = 6000 × 65% − 500 = 3400m → 4 CPUs from the far end.
    expect(cpusetOf(node, off1)).toEqual(['4-7', '4-7', '4-7']);
    expect(cpusetOf(node, off2)).toEqual(['4-7', '4-7', '4-7']);
    expect(cpusetOf(node, online)).toEqual(['2-3', '2-3', '2-3']);

    expect(node.read(off1.dir, 'cpu.cfs_quota_us')).toBe('340000');
    expect(node.read(off1.dir, 'cpu.idle')).toBe('1');
    expect(node.read(qosTierDir(node.layout, 'BestEffort'), 'cpu.cfs_quota_us')).toBe('340000');
    expect(node.read(online.dir, 'cpu.cfs_quota_us')).toBe('-1');
    expect(node.read(online.dir, 'cpu.idle')).toBe('0');

    expect(node.read(off1.dir, 'memory.soft_limit_in_bytes')).toBe('0');
    expect(node.read(off1.dir, 'memory.limit_in_bytes')).toBe(String(2 * GiB));
    expect(node.read(off2.dir, 'memory.limit_in_bytes')).toBe('9223372036854771712');
    for (const pid of [...off1.pids, ...off2.pids]) expect(node.fs.readFileSync(`/proc/${pid}/oom_score_adj`).trim()).toBe('1000');
    for (const pid of online.pids) expect(node.fs.readFileSync(`/proc/${pid}/oom_score_adj`).trim()).toBe('0');

    expect(agent.status().cpus).toMatchObject({ pool: '2-7', online: '2-3', offline: '4-7', offlineBudgetMilli: 3400 });
    expectConfined(node);
  });

  it('is idempotent: a second reconcile writes nothing', async () => {
    const { node, excl, online, off1, off2 } = setup();
    const { agent, source } = await makeAgent(node);
    source.set([excl, online, off1, off2].map((p) => p.info));
    await agent.reconcile();
    node.resetWrites();
    const r = await agent.reconcile();
    expect(r.apply.written).toBe(0);
    expect(node.writes()).toEqual([]);
  });

  it('shrinks the offline cpuset from the far end as online load rises, and grows it back only after the usage window', async () => {
    const { node, excl, online, off1, off2 } = setup();
    let now = 0;
    const { agent, source } = await makeAgent(node, { now: () => now, policy: { usageWindow: 3 } });
    source.set([excl, online, off1, off2].map((p) => p.info));
    await agent.reconcile(); // t=0, estimate from requests
    let cpu = 0n;
    const step = async (onlineMilli: number): Promise<void> => {
      now += 1000;
      cpu += BigInt(onlineMilli) * 1_000_000n;
      node.setUsage(online, cpu, GiB / 4);
      await agent.reconcile();
    };
    await step(2500); // 3900 − 2500 = 1400m → 2 CPUs
    expect(cpusetOf(node, off1)[0]).toBe('6-7');
    expect(cpusetOf(node, online)[0]).toBe('2-5');
    expect(node.read(off1.dir, 'cpu.cfs_quota_us')).toBe('140000');
    await step(4000); // over the threshold: offline keeps one CPU at the minimum quota
    expect(cpusetOf(node, off1)[0]).toBe('7');
    expect(node.read(off1.dir, 'cpu.cfs_quota_us')).toBe('1000');
    await step(0);
    await step(0);
    expect(cpusetOf(node, off1)[0]).toBe('7'); // 4000 is still in the 3-sample window
    await step(0);
    expect(cpusetOf(node, off1)[0]).toBe('4-7'); // 3900m → capped at pool − 1 online... 4 CPUs
    expect(agent.latestLoad()?.classes.find((c) => c.qos === 'online')?.cpuMilli).toBe(0);
  });

  it('restores shared values when offline pods leave and everything on uninstall', async () => {
    const { node, excl, online, off1, off2 } = setup();
    const { agent, source } = await makeAgent(node);
    source.set([excl, online, off1, off2].map((p) => p.info));
    await agent.reconcile();
    node.removePod(off1);
    node.removePod(off2);
    source.set([excl, online].map((p) => p.info));
    const r = await agent.reconcile();
    expect(r.apply.failed).toEqual([]);
    const tier = qosTierDir(node.layout, 'BestEffort');
    expect(node.read(tier, 'cpu.cfs_quota_us')).toBe('-1');
    expect(cpusetOf(node, online)[0]).toBe('2-7'); // no offline pods: online gets the whole pool
    const restored = await agent.restore();
    expect(restored.failed).toEqual([]);
    expect(cpusetOf(node, excl)).toEqual(['0-7', '0-7', '0-7']);
    expect(cpusetOf(node, online)).toEqual(['0-7', '0-7', '0-7']);
    expectConfined(node);
  });

  it('counts kubelet rewriting a value the agent set (tidepool_agent_overwrites_total)', async () => {
    const { node, excl, online, off1, off2 } = setup();
    const { agent, source, metrics } = await makeAgent(node);
    source.set([excl, online, off1, off2].map((p) => p.info));
    await agent.reconcile();
    node.fs.poke(join(node.path(qosTierDir(node.layout, 'BestEffort')), 'cpu.cfs_quota_us'), '-1');
    await agent.reconcile();
    const text = await metrics.registry.metrics();
    expect(text).toContain('tidepool_agent_overwrites_total{file="cpu.cfs_quota_us"} 1');
  });

  it('evicts offline pods lowest priority first when node memory passes the threshold', async () => {
    const { node, excl, online, off1, off2 } = setup();
    const calls: string[] = [];
    const evictor: Evictor = {
      evict: async (pod: PodInfo) => {
        calls.push(pod.name);
        return { outcome: 'evicted' };
      },
    };
    let now = 0;
    const { agent, source } = await makeAgent(node, { evictor, now: () => now, policy: { evictMemoryThresholdPercent: 90, evictMemoryLowerPercent: 80, evictCooldownMs: 60_000 } });
    source.set([excl, online, off1, off2].map((p) => p.info));
    node.proc.memTotalKb = 10 * 1024 * 1024; // 10 GiB
    node.proc.memAvailableKb = 0.5 * 1024 * 1024; // 95 % used
    node.setUsage(off1, 0n, 1 * GiB);
    node.setUsage(off2, 0n, 0.2 * GiB);
    const r = await agent.reconcile();
    // spark-2 (priority 5) first; 0.2 GiB is not enough to get under 80 %, so spark-1 too.
    expect(calls).toEqual(['spark-2', 'spark-1']);
    expect(r.evicted).toEqual(['default/spark-2', 'default/spark-1']);
    now += 1000;
    await agent.reconcile();
    expect(calls).toHaveLength(2); // cool-down: not asked again while they terminate
  });

  it('dry-run computes everything and writes nothing', async () => {
    const { node, excl, online, off1, off2 } = setup();
    const log = captureLog();
    const { agent, source } = await makeAgent(node, { dryRun: true, log });
    source.set([excl, online, off1, off2].map((p) => p.info));
    const r = await agent.reconcile();
    expect(node.writes()).toEqual([]);
    expect(r.apply.wouldWrite.length).toBeGreaterThan(10);
    expect(log.records.some((x) => x.msg === 'dry-run: would write' && JSON.stringify(x.obj).includes('cpuset.cpus'))).toBe(true);
    expect(agent.status().dryRun).toBe(true);
  });

  it('skips a pod whose UID is not a UUID instead of building a path from it', async () => {
    const { node, online } = setup();
    const log = captureLog();
    const reported: string[] = [];
    const { agent, source } = await makeAgent(node, { log, onInvalidPod: (p, reason) => reported.push(`${p.name}: ${reason}`) });
    const evil: PodInfo = { ...online.info, uid: '../../../etc', name: 'evil' };
    source.set([evil, online.info]);
    const r = await agent.reconcile();
    await agent.reconcile();
    expect(r.invalid).toBe(1);
    expect(r.pods).toBe(1);
    expect(log.records.some((x) => x.msg === 'pod skipped: unsafe identifier')).toBe(true);
    // Reported once (the CLI turns it into a Warning Event), not every cycle.
    expect(reported).toEqual([expect.stringMatching(/^evil: pod UID "..\/..\/..\/etc" is not a UUID/)]);
    expectConfined(node);
  });

  it('reports what a v1 node without resctrl lacks', async () => {
    const { node } = setup();
    const { agent, metrics } = await makeAgent(node);
    await agent.reconcile();
    expect(agent.status().degraded).toEqual(
      expect.arrayContaining([
        expect.stringContaining('resctrl not mounted'),
        expect.stringContaining('cgroup v1: no memory.low/min protection'),
      ]),
    );
    const text = await metrics.registry.metrics();
    expect(text).toContain('tidepool_agent_capability_info{feature="resctrl"} 0');
    expect(text).toContain('tidepool_agent_capability_info{feature="cpu_idle"} 1');
  });
});

describe('agent on cgroup v2 / systemd with NUMA, hyperthreads and resctrl', () => {
  function setup(opts: { recursiveProt?: boolean } = {}) {
    const node = new FakeNode({
      cgroup: 'v2',
      driver: 'systemd',
      topology: { numaNodes: 2, coresPerNode: 2, threadsPerCore: 2 },
      resctrl: { vendor: 'intel', cbmLen: 11, minCbmBits: 2, numClosids: 4, cacheIds: [0, 1], mb: { gran: 10, min: 10, max: 100 } },
      ...(opts.recursiveProt === undefined ? {} : { recursiveProt: opts.recursiveProt }),
    });
    // cores: node0 = {0,4},{1,5}; node1 = {2,6},{3,7}
    const excl = node.addPod({ name: 'db', qos: 'online-exclusive', cpuMilli: 2000, memoryBytes: 2 * GiB, cpuLimitMilli: 2000, memoryLimitBytes: 2 * GiB, containers: 1 });
    const online = node.addPod({ name: 'web', qos: 'online', cpuMilli: 1000, memoryBytes: GiB, containers: 2 });
    const off = node.addPod({ name: 'flink-tm', qos: 'offline', batchCpuMilli: 1000, batchMemoryBytes: GiB, batchMemoryLimitBytes: 4 * GiB });
    return { node, excl, online, off };
  }

  it('uses systemd slice names, whole cores per exclusive pod, and the far NUMA node for offline', async () => {
    const { node, excl, online, off } = setup();
    const { agent, source } = await makeAgent(node, { policy: { reclaimThresholdPercent: 50 } });
    source.set([excl, online, off].map((p) => p.info));
    const r = await agent.reconcile();
    expect(r.apply.failed).toEqual([]);
    expect(excl.dir).toMatch(/^kubepods\.slice\/kubepods-pod[0-9a-f_]+\.slice$/);
    expect(off.dir).toMatch(/^kubepods\.slice\/kubepods-besteffort\.slice\/kubepods-besteffort-pod[0-9a-f_]+\.slice$/);
    expect(excl.containerDirs[0]).toMatch(/\/cri-containerd-[0-9a-f]{64}\.scope$/);
    expect(node.read(excl.dir, 'cpuset.cpus')).toBe('0,4'); // one core, both hyperthreads
    // pool = 1-3,5-7 (6 CPUs): 3000 − 1000 = 2000m → 1 core from the far end (core {3,7})
    expect(node.read(off.dir, 'cpuset.cpus')).toBe('3,7');
    expect(node.read(online.dir, 'cpuset.cpus')).toBe('1-2,5-6');
    expect(node.read(off.dir, 'cpu.max')).toBe('200000 100000');
    expect(node.read(off.dir, 'cpu.idle')).toBe('1');
    // systemd driver: kubelet owns the besteffort slice's quota, so no tier quota.
    expect(node.read(qosTierDir(node.layout, 'BestEffort'), 'cpu.max')).toBe('max 100000');
    expectConfined(node);
  });

  it('protects online memory up the tree and down to containers, and bounds offline memory', async () => {
    const { node, excl, online, off } = setup();
    const { agent, source } = await makeAgent(node);
    source.set([excl, online, off].map((p) => p.info));
    await agent.reconcile();
    expect(node.read(online.dir, 'memory.low')).toBe(String(GiB));
    for (const c of online.containerDirs) expect(node.read(c, 'memory.low')).toBe(String(GiB / 2));
    expect(node.read(excl.dir, 'memory.min')).toBe(String(2 * GiB));
    expect(node.read(qosTierDir(node.layout, 'Burstable'), 'memory.low')).toBe(String(GiB));
    expect(node.read(kubepodsDir(node.layout), 'memory.low')).toBe(String(GiB));
    expect(node.read(kubepodsDir(node.layout), 'memory.min')).toBe(String(2 * GiB));
    expect(node.read(off.dir, 'memory.high')).toBe(String(Math.floor((4 * GiB * 0.9) / 4096) * 4096));
    expect(node.read(off.dir, 'memory.max')).toBe(String(4 * GiB));
    expect(node.read(off.dir, 'memory.low')).toBe('0');
  });

  it('leaves container protection to the kernel when cgroup2 has memory_recursiveprot', async () => {
    const { node, excl, online, off } = setup({ recursiveProt: true });
    const { agent, source } = await makeAgent(node);
    source.set([excl, online, off].map((p) => p.info));
    await agent.reconcile();
    expect(node.read(online.dir, 'memory.low')).toBe(String(GiB));
    for (const c of online.containerDirs) expect(node.read(c, 'memory.low')).toBe('0');
  });

  it('puts offline threads in an L3/MB-limited resctrl group and online threads in their own', async () => {
    const { node, excl, online, off } = setup();
    const { agent, source } = await makeAgent(node, { policy: { offlineL3Percent: 30, offlineMbPercent: 35 } });
    source.set([excl, online, off].map((p) => p.info));
    const r = await agent.reconcile();
    expect(r.apply.failed).toEqual([]);
    const offline = node.resctrl!.group('tidepool-offline')!;
    // 30 % of 11 ways = 3.3 → 3 contiguous ways at the low end; MB 35 % → 30 (granularity 10).
    expect(offline.schemata.get('L3')).toEqual(new Map([[0, '7'], [1, '7']]));
    expect(offline.schemata.get('MB')).toEqual(new Map([[0, '30'], [1, '30']]));
    const offTids = [off.sandboxPid, ...off.pids].flatMap((p) => node.procs.threads.get(p)!);
    expect([...offline.tids].sort()).toEqual(offTids.sort());
    const onlineGroup = node.resctrl!.group('tidepool-online')!;
    for (const p of [...online.pids, ...excl.pids]) for (const t of node.procs.threads.get(p)!) expect(onlineGroup.tids.has(t)).toBe(true);
    // A new thread appears: it is picked up on the next pass, one TID per write.
    node.procs.threads.get(off.pids[0]!)!.push(off.pids[0]! + 5);
    node.fs.addDir(`/proc/${off.pids[0]}/task/${off.pids[0]! + 5}`);
    node.resetWrites();
    await agent.reconcile();
    expect(node.writes()).toEqual([{ path: '/sys/fs/resctrl/tidepool-offline/tasks', data: String(off.pids[0]! + 5) }]);
    // Uninstall removes the groups; their threads fall back to the default group.
    await agent.restore();
    expect(node.resctrl!.group('tidepool-offline')).toBeUndefined();
    expect(node.resctrl!.groups.get('/sys/fs/resctrl')!.tids.has(offTids[0]!)).toBe(true);
  });

  it('reports the capabilities it found', async () => {
    const { node } = setup();
    const { agent } = await makeAgent(node);
    expect(agent.status().capabilities).toMatchObject({
      cgroup: { version: 'v2', driver: 'systemd', memoryProtection: true, cpuIdle: true },
      resctrl: { mounted: true, l3: true, mb: true, vendor: 'intel', numClosids: 4 },
      topology: { cpus: 8, cores: 4, numaNodes: 2, threadsPerCore: 2 },
    });
    expect(agent.status().degraded).toEqual([]);
  });
});
