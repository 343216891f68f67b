// Read-only view of the node: where each pod's cgroup is, its container
// cgroups and processes, usage counters, /proc/meminfo and /proc/stat.
// (Writes belong to the executor alone.)
import { join } from 'node:path';
import {
  assertSafeCgroupDir,
  cgroupDirPath,
  cgroupFilePath,
  joinCgroup,
  parseContainerDirName,
  podDir,
  type CgroupDir,
  type CgroupLayout,
  type Controller,
} from './cgroup-layout.js';
import type { KubeQosClass } from '../kube/index.js';
import { parseCpuList } from './cpulist.js';
import { errnoOf, readOptional, type Fs } from './fs.js';
import type { PodInfo } from './pods.js';

export interface ChildCgroup {
  /** Directory name inside the pod cgroup. */
  name: string;
  dir: CgroupDir;
  /** Runtime container ID when the name carries one (the sandbox has one too). */
  containerId: string | null;
  kind: 'container' | 'conmon' | 'other';
}

export interface PodCgroup {
  pod: PodInfo;
  dir: CgroupDir;
  /** The tier the cgroup was found in (kubelet's view of the QoS class). */
  tier: KubeQosClass;
  children: ChildCgroup[];
}

export interface PodLookup {
  found: PodCgroup[];
  /** Pods whose cgroup does not exist (yet): skipped this round. */
  missing: PodInfo[];
  /** Pods refused because an identifier failed validation. */
  invalid: { pod: PodInfo; reason: string }[];
}

const TIERS: readonly KubeQosClass[] = ['Guaranteed', 'Burstable', 'BestEffort'];
const SAFE_NAME = /^[A-Za-z0-9_.:@-]+$/;
const USER_HZ_NS = 10_000_000n; // /proc/stat counts in USER_HZ (100/s) ticks

export class NodeReader {
  constructor(
    private readonly fs: Fs,
    readonly layout: CgroupLayout,
    private readonly procRoot: string,
  ) {}

  /** The controller whose hierarchy is used to find pods and read their processes. */
  private get probeController(): Controller {
    const m = this.layout.mounts;
    return m.cpu !== null ? 'cpu' : m.cpuacct !== null ? 'cpuacct' : m.memory !== null ? 'memory' : 'cpuset';
  }

  async findPods(pods: readonly PodInfo[]): Promise<PodLookup> {
    const out: PodLookup = { found: [], missing: [], invalid: [] };
    for (const pod of pods) {
      let found: PodCgroup | null = null;
      try {
        // kubelet's class first; the others in case our classification differs from kubelet's.
        for (const tier of [pod.qosClass, ...TIERS.filter((t) => t !== pod.qosClass)]) {
          const dir = podDir(this.layout, pod.uid, tier);
          if (await this.fs.isDirectory(cgroupDirPath(this.layout, dir, this.probeController))) {
            found = { pod, dir, tier, children: await this.children(dir) };
            break;
          }
        }
      } catch (err) {
        out.invalid.push({ pod, reason: (err as Error).message });
        continue;
      }
      if (found === null) out.missing.push(pod);
      else out.found.push(found);
    }
    return out;
  }

  private async children(dir: CgroupDir): Promise<ChildCgroup[]> {
    const entries = await this.listDirs(cgroupDirPath(this.layout, dir, this.probeController));
    const out: ChildCgroup[] = [];
    for (const name of entries) {
      if (!SAFE_NAME.test(name) || name === '.' || name === '..') continue;
      const parsed = parseContainerDirName(name);
      const child = joinCgroup(dir, name);
      assertSafeCgroupDir(child);
      out.push({
        name,
        dir: child,
        containerId: parsed?.id ?? null,
        kind: parsed === null ? 'other' : parsed.kind === 'conmon' ? 'conmon' : 'container',
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async listDirs(path: string): Promise<string[]> {
    try {
      return (await this.fs.readdir(path)).filter((e) => e.isDirectory).map((e) => e.name);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return [];
      throw err;
    }
  }

  /** PIDs in a cgroup (its own cgroup.procs only). */
  async pids(dir: CgroupDir): Promise<number[]> {
    const text = await readOptional(this.fs, cgroupFilePath(this.layout, dir, 'cgroup.procs', this.probeController));
    return parseIds(text ?? '');
  }

  /** Every PID of a pod: the pod cgroup and its container cgroups (conmon excluded). */
  async podPids(pc: PodCgroup): Promise<number[]> {
    const all = new Set(await this.pids(pc.dir));
    for (const c of pc.children) {
      if (c.kind === 'conmon') continue;
      for (const p of await this.pids(c.dir)) all.add(p);
    }
    return [...all].sort((a, b) => a - b);
  }

  /** Thread IDs of a process (/proc/<pid>/task); empty when it has exited. */
  async threads(pid: number): Promise<number[]> {
    const entries = await this.listDirs(join(this.procRoot, String(pid), 'task'));
    return entries.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  }

  /** Cumulative CPU time of a cgroup in ns (v1 cpuacct.usage, v2 cpu.stat usage_usec). */
  async cpuUsageNs(dir: CgroupDir): Promise<bigint | undefined> {
    if (this.layout.version === 'v1') {
      if (this.layout.mounts.cpuacct === null) return undefined;
      const text = await readOptional(this.fs, cgroupFilePath(this.layout, dir, 'cpuacct.usage'));
      return text === undefined || !/^\d+$/.test(text.trim()) ? undefined : BigInt(text.trim());
    }
    const text = await readOptional(this.fs, cgroupFilePath(this.layout, dir, 'cpu.stat', 'cpu'));
    const m = text === undefined ? null : /^usage_usec (\d+)$/m.exec(text);
    return m === null ? undefined : BigInt(m[1]!) * 1000n;
  }

  /** Working set of a cgroup: usage minus inactive file cache (what kubelet evicts on). */
  async memoryWorkingSet(dir: CgroupDir): Promise<number | undefined> {
    if (this.layout.mounts.memory === null) return undefined;
    const v1 = this.layout.version === 'v1';
    const usageText = await readOptional(this.fs, cgroupFilePath(this.layout, dir, v1 ? 'memory.usage_in_bytes' : 'memory.current'));
    if (usageText === undefined || !/^\d+$/.test(usageText.trim())) return undefined;
    const stat = (await readOptional(this.fs, cgroupFilePath(this.layout, dir, 'memory.stat'))) ?? '';
    const m = (v1 ? /^total_inactive_file (\d+)$/m : /^inactive_file (\d+)$/m).exec(stat);
    const usage = Number(usageText.trim());
    const inactive = m === null ? 0 : Number(m[1]);
    return Math.max(0, usage - inactive);
  }

  async cpusetCpus(dir: CgroupDir): Promise<number[] | undefined> {
    if (this.layout.mounts.cpuset === null) return undefined;
    const text = await readOptional(this.fs, cgroupFilePath(this.layout, dir, 'cpuset.cpus'));
    if (text === undefined) return undefined;
    try {
      return parseCpuList(text);
    } catch {
      return undefined;
    }
  }

  /** CFS period of a cgroup in µs (default 100000 when unreadable). */
  async cfsPeriodUs(dir: CgroupDir): Promise<number> {
    if (this.layout.mounts.cpu === null) return 100_000;
    if (this.layout.version === 'v1') {
      const text = await readOptional(this.fs, cgroupFilePath(this.layout, dir, 'cpu.cfs_period_us'));
      const n = Number(text?.trim());
      return Number.isInteger(n) && n > 0 ? n : 100_000;
    }
    const text = await readOptional(this.fs, cgroupFilePath(this.layout, dir, 'cpu.max'));
    const n = Number(text?.trim().split(/\s+/)[1]);
    return Number.isInteger(n) && n > 0 ? n : 100_000;
  }

  /** Does this cgroup have a given file (feature probe)? */
  async hasFile(dir: CgroupDir, file: string, controller?: Controller): Promise<boolean> {
    try {
      return await this.fs.exists(cgroupFilePath(this.layout, dir, file, controller));
    } catch {
      return false;
    }
  }

  async meminfo(): Promise<{ totalBytes: number; availableBytes: number }> {
    const text = await readOptional(this.fs, join(this.procRoot, 'meminfo'));
    if (text === undefined) throw new Error(`cannot read ${join(this.procRoot, 'meminfo')} (check --proc-root)`);
    const kb = (key: string): number | undefined => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
      return m === null ? undefined : Number(m[1]) * 1024;
    };
    const total = kb('MemTotal') ?? 0;
    const available = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Cached') ?? 0);
    return { totalBytes: total, availableBytes: available };
  }

  /** Node CPU time from /proc/stat, in ns: busy (not idle/iowait) and total. */
  async nodeCpuNs(): Promise<{ busyNs: bigint; totalNs: bigint } | undefined> {
    const text = await readOptional(this.fs, join(this.procRoot, 'stat'));
    const line = text?.split('\n').find((l) => l.startsWith('cpu '));
    if (line === undefined) return undefined;
    const f = line.trim().split(/\s+/).slice(1, 9).map((x) => BigInt(x));
    const total = f.reduce((a, b) => a + b, 0n);
    const idle = (f[3] ?? 0n) + (f[4] ?? 0n);
    return { busyNs: (total - idle) * USER_HZ_NS, totalNs: total * USER_HZ_NS };
  }
}

function parseIds(text: string): number[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}
