// A node laid out on disk in a temporary directory (cgroup v1 cgroupfs tree, sys
// topology, proc files), for running the real `tidepool agent` wiring end to end
// where real cgroups are not wanted. Plain files take any write, so these tests
// check what was written; the kernel's rules are the fake kernel's and the real
// cgroup tests' job.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { controllerOfFile } from '../../isolation/cgroup-layout.js';

const CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory'] as const;
type Ctrl = (typeof CONTROLLERS)[number];

const DEFAULTS: Record<Ctrl, Record<string, string>> = {
  cpu: { 'cgroup.procs': '', 'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000', 'cpu.shares': '1024', 'cpu.idle': '0' },
  cpuacct: { 'cgroup.procs': '', 'cpuacct.usage': '0' },
  cpuset: { 'cgroup.procs': '', 'cpuset.cpus': '', 'cpuset.mems': '0' },
  memory: {
    'cgroup.procs': '',
    'memory.limit_in_bytes': '9223372036854771712',
    'memory.soft_limit_in_bytes': '9223372036854771712',
    'memory.usage_in_bytes': '0',
    'memory.stat': 'total_inactive_file 0\n',
  },
};

export class DiskNode {
  readonly cgroupRoot: string;
  readonly sysRoot: string;
  readonly procRoot: string;
  private nextPid = 4000;

  constructor(
    readonly dir: string,
    readonly cpus = 4,
    memTotalKb = 16 * 1024 * 1024,
    memAvailableKb = 12 * 1024 * 1024,
    /** false: kubelet has not created kubepods yet (call createKubepods later). */
    withKubepods = true,
  ) {
    this.cgroupRoot = join(dir, 'cgroup');
    this.sysRoot = join(dir, 'sys');
    this.procRoot = join(dir, 'proc');
    const all = `0-${cpus - 1}`;
    for (const c of CONTROLLERS) this.mkCgroup('', c, all);
    if (withKubepods) this.createKubepods();
    const cpuDir = join(this.sysRoot, 'devices/system/cpu');
    mkdirSync(cpuDir, { recursive: true });
    writeFileSync(join(cpuDir, 'online'), `${all}\n`);
    for (let i = 0; i < cpus; i++) {
      mkdirSync(join(cpuDir, `cpu${i}`, 'topology'), { recursive: true });
      writeFileSync(join(cpuDir, `cpu${i}`, 'topology', 'thread_siblings_list'), `${i}\n`);
      writeFileSync(join(cpuDir, `cpu${i}`, 'topology', 'physical_package_id'), '0\n');
    }
    mkdirSync(this.procRoot, { recursive: true });
    this.setMemory(memTotalKb, memAvailableKb);
    writeFileSync(join(this.procRoot, 'stat'), 'cpu  100 0 100 1000 0 0 0 0 0 0\n');
    writeFileSync(join(this.procRoot, 'mounts'), '');
    writeFileSync(join(this.procRoot, 'cpuinfo'), 'vendor_id\t: GenuineIntel\n');
  }

  /** What kubelet does at start: the kubepods tree. */
  createKubepods(): void {
    for (const d of ['kubepods', 'kubepods/burstable', 'kubepods/besteffort']) for (const c of CONTROLLERS) this.mkCgroup(d, c, `0-${this.cpus - 1}`);
  }

  setMemory(totalKb: number, availableKb: number): void {
    writeFileSync(join(this.procRoot, 'meminfo'), `MemTotal:       ${totalKb} kB\nMemFree:        ${availableKb} kB\nMemAvailable:   ${availableKb} kB\n`);
  }

  private mkCgroup(dir: string, c: Ctrl, cpus: string): void {
    const abs = join(this.cgroupRoot, c, dir);
    mkdirSync(abs, { recursive: true });
    for (const [f, v] of Object.entries(DEFAULTS[c])) writeFileSync(join(abs, f), f === 'cpuset.cpus' ? cpus : v);
  }

  /** What kubelet and the runtime do for a pod: its cgroup, a container cgroup and a process. */
  addPod(uid: string, tier: 'burstable' | 'besteffort' | ''): { dir: string; containerDir: string; pid: number } {
    const dir = [`kubepods`, tier, `pod${uid}`].filter((s) => s !== '').join('/');
    const containerDir = `${dir}/${randomBytes(32).toString('hex')}`;
    const pid = this.nextPid++;
    for (const c of CONTROLLERS) {
      this.mkCgroup(dir, c, `0-${this.cpus - 1}`);
      this.mkCgroup(containerDir, c, `0-${this.cpus - 1}`);
      writeFileSync(join(this.cgroupRoot, c, containerDir, 'cgroup.procs'), `${pid}\n`);
    }
    mkdirSync(join(this.procRoot, String(pid), 'task', String(pid)), { recursive: true });
    writeFileSync(join(this.procRoot, String(pid), 'oom_score_adj'), '0\n');
    return { dir, containerDir, pid };
  }

  read(dir: string, file: string): string {
    const c = controllerOfFile(file) ?? 'cpu';
    return readFileSync(join(this.cgroupRoot, c, dir, file), 'utf8').trim();
  }

  oomScoreAdj(pid: number): string {
    return readFileSync(join(this.procRoot, String(pid), 'oom_score_adj'), 'utf8').trim();
  }
}
