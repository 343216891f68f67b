// What this node supports, detected once at start and reported in the status,
// the node annotation and metrics, so a node without resctrl or cgroup v2 says
// what it does without.
import { join } from 'node:path';
import { CONTROLLERS, cgroupFilePath, kubepodsDir, type CgroupDriver, type CgroupLayout, type CgroupVersion, type Controller } from './cgroup-layout.js';
import { readOptional, type Fs } from './fs.js';
import type { CpuVendor, MbUnit, ResctrlInfo } from './resctrl-info.js';
import type { CpuTopology } from './topology.js';

export interface Capabilities {
  cgroup: {
    version: CgroupVersion;
    driver: CgroupDriver;
    controllers: Record<Controller, boolean>;
    kubepodsFound: boolean;
    cpuIdle: boolean;
    memoryProtection: boolean;
    memoryRecursiveProt: boolean;
  };
  resctrl: {
    mounted: boolean;
    l3: boolean;
    mb: boolean;
    cdp: boolean;
    vendor: CpuVendor;
    numClosids: number;
    mbUnit: MbUnit | null;
  };
  topology: { cpus: number; cores: number; numaNodes: number; threadsPerCore: number };
}

async function exists(fs: Fs, path: () => string): Promise<boolean> {
  try {
    return await fs.exists(path());
  } catch {
    return false;
  }
}

export async function detectCapabilities(
  fs: Fs,
  layout: CgroupLayout,
  procRoot: string,
  topology: CpuTopology,
  resctrl: ResctrlInfo | null,
): Promise<Capabilities> {
  const top = kubepodsDir(layout);
  const controllers = Object.fromEntries(CONTROLLERS.map((c) => [c, layout.mounts[c] !== null])) as Record<Controller, boolean>;
  const probe = layout.mounts.cpu !== null ? 'cpu' : layout.mounts.memory !== null ? 'memory' : layout.mounts.cpuset !== null ? 'cpuset' : null;
  const kubepodsFound = probe === null ? false : await exists(fs, () => cgroupFilePath(layout, top, 'cgroup.procs', probe));
  // Probe on kubepods when present, else on the hierarchy root (read-only).
  const probeDir = kubepodsFound ? top : '';
  const cpuIdle = layout.mounts.cpu !== null && (await exists(fs, () => cgroupFilePath(layout, probeDir, 'cpu.idle')));
  const memoryProtection =
    layout.version === 'v2' && layout.mounts.memory !== null && (kubepodsFound ? await exists(fs, () => cgroupFilePath(layout, top, 'memory.low')) : true);
  const mounts = (await readOptional(fs, join(procRoot, 'mounts'))) ?? '';
  const memoryRecursiveProt = mounts.split('\n').some((l) => {
    const f = l.split(' ');
    return f[2] === 'cgroup2' && f[1] === layout.root && (f[3] ?? '').split(',').includes('memory_recursiveprot');
  });
  return {
    cgroup: { version: layout.version, driver: layout.driver, controllers, kubepodsFound, cpuIdle, memoryProtection, memoryRecursiveProt },
    resctrl: {
      mounted: resctrl !== null,
      l3: (resctrl?.l3.length ?? 0) > 0,
      mb: resctrl?.mb !== null && resctrl?.mb !== undefined,
      cdp: resctrl?.l3.some((r) => r.name === 'L3CODE') ?? false,
      vendor: resctrl?.vendor ?? 'unknown',
      numClosids: resctrl?.numClosids ?? 0,
      mbUnit: resctrl?.mb?.unit ?? null,
    },
    topology: { cpus: topology.cpus.length, cores: topology.cores.length, numaNodes: topology.numaNodes.length, threadsPerCore: topology.threadsPerCore },
  };
}

/** Human-readable list of what this node cannot do and what the agent does instead. */
export function degradations(c: Capabilities): string[] {
  const out: string[] = [];
  if (!c.cgroup.kubepodsFound) out.push('kubepods cgroup not found: no pods to isolate yet (check --cgroup-root, --cgroup-driver and --kubepods-parent)');
  if (!c.cgroup.controllers.cpuset) out.push('cpuset controller unavailable: no CPU partitioning, offline pods are limited by quota only');
  if (!c.cgroup.controllers.cpu) out.push('cpu controller unavailable: no offline CPU quota');
  if (!c.cgroup.controllers.memory) out.push('memory controller unavailable: no memory policy');
  if (!c.cgroup.cpuIdle) out.push('cpu.idle unavailable (kernel < 5.15): offline pods get minimum weight instead of SCHED_IDLE');
  if (c.cgroup.version === 'v1') out.push('cgroup v1: no memory.low/min protection for online pods; offline pods get soft_limit 0, oom_score_adj and eviction instead');
  if (!c.resctrl.mounted) out.push('resctrl not mounted: no L3 cache or memory bandwidth partitioning');
  else {
    if (!c.resctrl.l3) out.push('resctrl without L3 allocation: no cache partitioning');
    if (!c.resctrl.mb) out.push('resctrl without MB allocation: no memory bandwidth partitioning');
    if (c.resctrl.mbUnit === 'mbps') out.push('resctrl mounted with mba_MBps: memory bandwidth left unmanaged');
    if (c.resctrl.numClosids < 2) out.push('resctrl has no free CLOSID: no offline group');
  }
  return out;
}
