import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qosTierDir } from '../../isolation/cgroup-layout.js';
import type { CgroupValue } from '../../isolation/desired.js';
import { Executor } from '../../isolation/executor.js';
import { captureLog } from './helpers.js';
import { FakeNode } from './fake-node.js';

function v1Node(): FakeNode {
  return new FakeNode({ cgroup: 'v1', driver: 'cgroupfs', topology: { numaNodes: 1, coresPerNode: 4, threadsPerCore: 1 } });
}

function executor(node: FakeNode, extra: Partial<ConstructorParameters<typeof Executor>[0]> = {}): Executor {
  return new Executor({ fs: node.fs, layout: node.layout, procRoot: node.procRoot, resctrlRoot: null, ...extra });
}

function cpusetFor(pod: { dir: string; sandboxDir: string; containerDirs: string[] }, value: string): CgroupValue[] {
  return [pod.dir, pod.sandboxDir, ...pod.containerDirs].map((dir) => ({ dir, file: 'cpuset.cpus', value, strategy: 'test' }));
}

describe('Executor: v1 cpuset ordering', () => {
  it('the fake kernel refuses a parent narrower than its children (EBUSY) and a child outside its parent (EACCES)', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline', containers: 1 });
    await expect(node.fs.writeFile(join(node.path(pod.dir, 'cpuset'), 'cpuset.cpus'), '3')).rejects.toMatchObject({ code: 'EBUSY' });
    await expect(node.fs.writeFile(join(node.path(pod.containerDirs[0]!, 'cpuset'), 'cpuset.cpus'), '0-7')).rejects.toMatchObject({ code: 'EINVAL' });
    node.fs.writeFileSync(join(node.path(pod.containerDirs[0]!, 'cpuset'), 'cpuset.cpus'), '3');
    node.fs.writeFileSync(join(node.path(pod.sandboxDir, 'cpuset'), 'cpuset.cpus'), '3');
    node.fs.writeFileSync(join(node.path(pod.dir, 'cpuset'), 'cpuset.cpus'), '3');
    await expect(node.fs.writeFile(join(node.path(pod.containerDirs[0]!, 'cpuset'), 'cpuset.cpus'), '2-3')).rejects.toMatchObject({ code: 'EACCES' });
  });

  it('narrows a populated pod bottom-up so the kernel never sees a child outside its parent', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline', containers: 2 });
    const ex = executor(node);
    const report = await ex.applyCgroups(cpusetFor(pod, '3'));
    expect(report.failed).toEqual([]);
    expect(report.written).toBe(4);
    for (const d of [pod.dir, ...pod.containerDirs, pod.sandboxDir]) expect(node.read(d, 'cpuset.cpus')).toBe('3');
    const order = node.writes().map((w) => w.path);
    expect(order.indexOf(join(node.path(pod.dir, 'cpuset'), 'cpuset.cpus'))).toBe(order.length - 1);
  });

  it('moves a pod to a disjoint cpuset by widening top-down to the union first', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline', containers: 1 });
    const ex = executor(node);
    await ex.applyCgroups(cpusetFor(pod, '3'));
    node.resetWrites();
    const report = await ex.applyCgroups(cpusetFor(pod, '0'));
    expect(report.failed).toEqual([]);
    const podFile = join(node.path(pod.dir, 'cpuset'), 'cpuset.cpus');
    expect(node.fs.writesTo(podFile)).toEqual(['0,3', '0']);
    for (const d of [pod.dir, ...pod.containerDirs, pod.sandboxDir]) expect(node.read(d, 'cpuset.cpus')).toBe('0');
  });

  it('cuts down descendants the plan does not name before narrowing their parent', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline', containers: 1 });
    const ex = executor(node);
    const report = await ex.applyCgroups([{ dir: pod.dir, file: 'cpuset.cpus', value: '1-2', strategy: 'test' }]);
    expect(report.failed).toEqual([]);
    expect(node.read(pod.containerDirs[0]!, 'cpuset.cpus')).toBe('1-2');
    expect(node.read(pod.dir, 'cpuset.cpus')).toBe('1-2');
  });
});

describe('Executor: confinement', () => {
  it('never writes the root cgroup, paths outside kubepods, unsafe paths or an empty cpuset', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline' });
    const log = captureLog();
    const ex = executor(node, { log });
    const report = await ex.applyCgroups([
      { dir: '', file: 'cpu.cfs_quota_us', value: '5000', strategy: 'test' },
      { dir: 'system.slice', file: 'cpu.shares', value: '2', strategy: 'test' },
      { dir: 'kubepods/../system.slice', file: 'cpu.shares', value: '2', strategy: 'test' },
      { dir: `${pod.dir}/..`, file: 'cpu.shares', value: '2', strategy: 'test' },
      { dir: pod.dir, file: '../cpu.shares', value: '2', strategy: 'test' },
      { dir: pod.dir, file: 'cpuset.cpus', value: '', strategy: 'test' },
      { dir: pod.dir, file: 'cpu.shares', value: '2\n3', strategy: 'test' },
    ]);
    expect(report.refused.map((r) => r.reason)).toEqual([
      'never writes the root cgroup',
      'outside the pods\' cgroup tree kubepods',
      expect.stringContaining('unsafe segment ".."'),
      expect.stringContaining('unsafe segment ".."'),
      expect.stringContaining('not a plain kernel file name'),
      'refusing to write an empty cpuset.cpus',
      expect.stringContaining('multi-line'),
    ]);
    expect(node.writes()).toEqual([]);
    expect(log.records.filter((r) => r.msg === 'refused cgroup write')).toHaveLength(7);
  });

  it('refuses two strategies asking different values for one file', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline' });
    const report = await executor(node).applyCgroups([
      { dir: pod.dir, file: 'cpu.shares', value: '2', strategy: 'a' },
      { dir: pod.dir, file: 'cpu.shares', value: '4', strategy: 'b' },
    ]);
    expect(report.refused[0]!.reason).toBe('conflicting values: a wants "2", b wants "4"');
    expect(node.read(pod.dir, 'cpu.shares')).toBe('2');
  });
});

describe('Executor: idempotence, dry-run, back-off', () => {
  it('skips values already in place (the kernel\'s own formatting counts as equal)', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline' });
    const ex = executor(node);
    const values: CgroupValue[] = [
      { dir: pod.dir, file: 'cpu.cfs_quota_us', value: '50000', strategy: 't' },
      { dir: pod.dir, file: 'memory.limit_in_bytes', value: '1000000000', strategy: 't' },
      { dir: pod.dir, file: 'memory.soft_limit_in_bytes', value: '-1', strategy: 't' },
      ...cpusetFor(pod, '0,1,2'),
    ];
    const first = await ex.applyCgroups(values);
    expect(first.written).toBe(5); // soft_limit "-1" already reads back as 9223372036854771712
    expect(first.unchanged).toBe(1);
    expect(node.read(pod.dir, 'memory.limit_in_bytes')).toBe('999997440'); // page aligned by the kernel
    node.resetWrites();
    const second = await ex.applyCgroups(values);
    expect(second.written).toBe(0);
    expect(node.writes()).toEqual([]);
  });

  it('dry-run logs every intended write and changes nothing', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline' });
    const log = captureLog();
    const ex = executor(node, { dryRun: true, log });
    const report = await ex.applyCgroups([{ dir: pod.dir, file: 'cpu.cfs_quota_us', value: '20000', strategy: 't' }]);
    expect(report.wouldWrite).toEqual([{ path: join(node.path(pod.dir), 'cpu.cfs_quota_us'), from: '-1\n', to: '20000' }]);
    expect(log.records.find((r) => r.msg === 'dry-run: would write')?.obj).toMatchObject({ to: '20000', from: '-1' });
    expect(node.read(pod.dir, 'cpu.cfs_quota_us')).toBe('-1');
    expect(node.writes()).toEqual([]);
  });

  it('backs off a value the kernel refuses with EINVAL and reports it unsupported, without hot retries', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline' });
    let now = 0;
    const ex = executor(node, { now: () => now, backoffMs: 1000, unsupportedAfter: 3 });
    const bad: CgroupValue[] = [{ dir: pod.dir, file: 'cpu.cfs_quota_us', value: '500', strategy: 't' }];
    const r1 = await ex.applyCgroups(bad);
    expect(r1.failed[0]).toMatchObject({ code: 'EINVAL', message: expect.stringContaining('below 1000us') });
    for (let i = 0; i < 50; i++) await ex.applyCgroups(bad); // a tight loop of reconciles
    const attempts = (): number => node.fs.writes.filter((w) => w.path.endsWith('cpu.cfs_quota_us')).length;
    expect(attempts()).toBe(1);
    now = 1000;
    await ex.applyCgroups(bad);
    now = 3000;
    await ex.applyCgroups(bad);
    expect(attempts()).toBe(3);
    expect(ex.unsupported()).toEqual([expect.objectContaining({ file: 'cpu.cfs_quota_us', code: 'EINVAL' })]);
    // A different value is tried at once.
    const ok = await ex.applyCgroups([{ dir: pod.dir, file: 'cpu.cfs_quota_us', value: '5000', strategy: 't' }]);
    expect(ok.written).toBe(1);
  });

  it('reports a file the kernel lacks (cpu.idle before 5.15) as unsupported', async () => {
    const node = new FakeNode({ cgroup: 'v1', driver: 'cgroupfs', cpuIdle: false });
    const pod = node.addPod({ name: 'p', qos: 'offline' });
    let now = 0;
    const ex = executor(node, { now: () => now, backoffMs: 1, unsupportedAfter: 2 });
    await ex.applyCgroups([{ dir: pod.dir, file: 'cpu.idle', value: '1', strategy: 't' }]);
    now = 10;
    const r = await ex.applyCgroups([{ dir: pod.dir, file: 'cpu.idle', value: '1', strategy: 't' }]);
    expect(r.failed[0]?.code).toBe('ENOENT');
    expect(ex.unsupported().map((u) => u.file)).toEqual(['cpu.idle']);
  });
});

describe('Executor: kubelet overwrites', () => {
  it('notices a value rewritten by someone else, sets it again, and stops fighting after repeated rewrites', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline', qosClass: 'Burstable' });
    let overwrites = 0;
    const ex = executor(node, { hooks: { write: () => undefined, overwrite: () => void overwrites++ }, contestThreshold: 3 });
    const want: CgroupValue[] = [{ dir: pod.dir, file: 'cpu.shares', value: '2', strategy: 't' }];
    await ex.applyCgroups(want);
    for (let i = 1; i <= 2; i++) {
      node.fs.poke(join(node.path(pod.dir), 'cpu.shares'), '512');
      await ex.applyCgroups(want);
      expect(overwrites).toBe(i);
      expect(node.read(pod.dir, 'cpu.shares')).toBe('2');
    }
    node.fs.poke(join(node.path(pod.dir), 'cpu.shares'), '512');
    const r = await ex.applyCgroups(want);
    expect(overwrites).toBe(3);
    expect(r.contested).toEqual([join(node.path(pod.dir), 'cpu.shares')]);
    expect(node.read(pod.dir, 'cpu.shares')).toBe('512');
    expect(ex.contested()).toHaveLength(1);
  });
});

describe('Executor: restore', () => {
  it('restores values no longer wanted, and everything on restoreAll, in an order the kernel accepts', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline', containers: 1 });
    const ex = executor(node);
    await ex.applyCgroups([...cpusetFor(pod, '3'), { dir: pod.dir, file: 'cpu.cfs_quota_us', value: '20000', strategy: 't' }]);
    const partial = await ex.applyCgroups(cpusetFor(pod, '3'));
    expect(partial.restored).toBe(1);
    expect(node.read(pod.dir, 'cpu.cfs_quota_us')).toBe('-1');
    const all = await ex.restoreAll();
    expect(all.failed).toEqual([]);
    for (const d of [pod.dir, ...pod.containerDirs, pod.sandboxDir]) expect(node.read(d, 'cpuset.cpus')).toBe('0-3');
    expect(ex.ownedCount()).toBe(0);
  });

  it('forgets the originals of a pod whose cgroup is gone', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline' });
    const ex = executor(node);
    await ex.applyCgroups(cpusetFor(pod, '2'));
    node.removePod(pod);
    const r = await ex.applyCgroups([]);
    expect(r.failed).toEqual([]);
    expect(ex.ownedCount()).toBe(0);
  });

  it('keeps originals in a state file so a restarted agent can still restore them', async () => {
    const node = v1Node();
    node.fs.addDir('/run/tidepool');
    const pod = node.addPod({ name: 'p', qos: 'offline' });
    const first = executor(node, { stateFile: '/run/tidepool/state.json' });
    await first.applyCgroups(cpusetFor(pod, '1'));
    const restarted = executor(node, { stateFile: '/run/tidepool/state.json' });
    const r = await restarted.restoreAll();
    expect(r.failed).toEqual([]);
    expect(node.read(pod.dir, 'cpuset.cpus')).toBe('0-3');
  });

  it('ignores state-file entries that point outside the pods\' tree', async () => {
    const node = v1Node();
    node.fs.addDir('/run/tidepool');
    node.fs.addFile('/run/tidepool/state.json', JSON.stringify({ originals: { '/sys/fs/cgroup/cpu/cpu.shares': { dir: '', file: 'cpu.shares', controller: 'cpu', value: '1' } } }));
    const ex = executor(node, { stateFile: '/run/tidepool/state.json' });
    await ex.restoreAll();
    expect(node.writes().filter((w) => w.path.startsWith('/sys'))).toEqual([]);
  });
});

describe('Executor: v1 CFS quota hierarchy', () => {
  it('lowers a child quota before capping its parent below it (the kernel refuses the other order)', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline' });
    const tier = qosTierDir(node.layout, 'BestEffort');
    const ex = executor(node);
    await ex.applyCgroups([{ dir: pod.dir, file: 'cpu.cfs_quota_us', value: '200000', strategy: 't' }]);
    await expect(node.fs.writeFile(join(node.path(tier), 'cpu.cfs_quota_us'), '100000')).rejects.toMatchObject({ code: 'EINVAL' });
    const r = await ex.applyCgroups([
      { dir: pod.dir, file: 'cpu.cfs_quota_us', value: '50000', strategy: 't' },
      { dir: tier, file: 'cpu.cfs_quota_us', value: '100000', strategy: 't' },
    ]);
    expect(r.failed).toEqual([]);
    expect(node.read(tier, 'cpu.cfs_quota_us')).toBe('100000');
    // Raising again: the parent first.
    const up = await ex.applyCgroups([
      { dir: pod.dir, file: 'cpu.cfs_quota_us', value: '300000', strategy: 't' },
      { dir: tier, file: 'cpu.cfs_quota_us', value: '400000', strategy: 't' },
    ]);
    expect(up.failed).toEqual([]);
    expect(node.read(pod.dir, 'cpu.cfs_quota_us')).toBe('300000');
  });
});

describe('Executor: proc', () => {
  it('sets oom_score_adj, skips unchanged values and processes that exited', async () => {
    const node = v1Node();
    const pod = node.addPod({ name: 'p', qos: 'offline', containers: 2 });
    const ex = executor(node);
    const gone = pod.pids[1]!;
    node.proc.exit(gone);
    const r = await ex.applyProcs(pod.pids.map((pid) => ({ pid, file: 'oom_score_adj' as const, value: '1000', strategy: 't' })));
    expect(r.failed).toEqual([]);
    expect(r.written).toBe(1);
    expect(node.fs.readFileSync(`/proc/${pod.pids[0]}/oom_score_adj`).trim()).toBe('1000');
    const again = await ex.applyProcs([{ pid: pod.pids[0]!, file: 'oom_score_adj', value: '1000', strategy: 't' }]);
    expect(again.written).toBe(0);
    const bad = await ex.applyProcs([{ pid: -1, file: 'oom_score_adj', value: '1000', strategy: 't' }]);
    expect(bad.refused).toHaveLength(1);
  });
});
