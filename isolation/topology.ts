// CPU and NUMA topology read from sysfs (<sys-root>/devices/system/{cpu,node}).
import { join } from 'node:path';
import { parseCpuList } from './cpulist.js';
import { readOptional, type Fs } from './fs.js';

export interface CpuInfo {
  id: number;
  /** Physical core this logical CPU belongs to (index into CpuTopology.cores). */
  core: number;
  packageId: number;
  numaNode: number;
}

/** One physical core: its hyperthread siblings, which must stay together. */
export interface PhysicalCore {
  index: number;
  packageId: number;
  numaNode: number;
  cpus: number[];
}

export interface NumaNode {
  id: number;
  cpus: number[];
}

export interface CpuTopology {
  cpus: CpuInfo[];
  /** Ordered by (NUMA node, package, first CPU): the "near" end first, the "far" end last. */
  cores: PhysicalCore[];
  numaNodes: NumaNode[];
  threadsPerCore: number;
}

/**
 * Read the topology under `sysRoot` (normally /sys). Online CPUs only. A missing
 * node directory (kernels without NUMA) means one node holding every CPU.
 */
export async function readTopology(fs: Fs, sysRoot: string): Promise<CpuTopology> {
  const cpuDir = join(sysRoot, 'devices/system/cpu');
  const onlineText = (await readOptional(fs, join(cpuDir, 'online'))) ?? (await readOptional(fs, join(cpuDir, 'present')));
  if (onlineText === undefined) {
    throw new Error(`cannot read CPU topology: ${join(cpuDir, 'online')} is missing (check --sys-root)`);
  }
  const online = parseCpuList(onlineText);
  if (online.length === 0) throw new Error(`cannot read CPU topology: ${join(cpuDir, 'online')} lists no CPUs`);

  const nodeOf = new Map<number, number>();
  const nodeDir = join(sysRoot, 'devices/system/node');
  const nodesText = await readOptional(fs, join(nodeDir, 'online'));
  const nodeIds = nodesText === undefined ? [] : parseCpuList(nodesText);
  for (const n of nodeIds) {
    const list = await readOptional(fs, join(nodeDir, `node${n}`, 'cpulist'));
    if (list === undefined) continue;
    for (const c of parseCpuList(list)) nodeOf.set(c, n);
  }

  interface Raw {
    id: number;
    packageId: number;
    siblings: number[];
  }
  const raw: Raw[] = [];
  for (const id of online) {
    const topo = join(cpuDir, `cpu${id}`, 'topology');
    const pkg = await readOptional(fs, join(topo, 'physical_package_id'));
    const sib = await readOptional(fs, join(topo, 'thread_siblings_list'));
    const siblings = sib === undefined ? [id] : parseCpuList(sib).filter((c) => online.includes(c));
    raw.push({ id, packageId: pkg === undefined ? 0 : Number(pkg.trim()), siblings: siblings.length > 0 ? siblings : [id] });
  }

  // Group logical CPUs into physical cores by their sibling sets.
  const coreKey = (r: Raw): string => r.siblings.join(',');
  const coresByKey = new Map<string, { packageId: number; numaNode: number; cpus: number[] }>();
  for (const r of raw) {
    const key = coreKey(r);
    if (!coresByKey.has(key)) {
      coresByKey.set(key, { packageId: r.packageId, numaNode: nodeOf.get(r.id) ?? 0, cpus: [...r.siblings].sort((a, b) => a - b) });
    }
  }
  const cores: PhysicalCore[] = [...coresByKey.values()]
    .sort((a, b) => a.numaNode - b.numaNode || a.packageId - b.packageId || a.cpus[0]! - b.cpus[0]!)
    .map((c, index) => ({ index, ...c }));
  const coreOfCpu = new Map<number, number>();
  for (const core of cores) for (const c of core.cpus) coreOfCpu.set(c, core.index);

  const cpus: CpuInfo[] = raw.map((r) => ({
    id: r.id,
    core: coreOfCpu.get(r.id)!,
    packageId: r.packageId,
    numaNode: nodeOf.get(r.id) ?? 0,
  }));
  const nodeSet = new Map<number, number[]>();
  for (const c of cpus) nodeSet.set(c.numaNode, [...(nodeSet.get(c.numaNode) ?? []), c.id]);
  const numaNodes = [...nodeSet.entries()].sort((a, b) => a[0] - b[0]).map(([id, list]) => ({ id, cpus: list.sort((a, b) => a - b) }));
  const threadsPerCore = Math.max(1, ...cores.map((c) => c.cpus.length));
  return { cpus, cores, numaNodes, threadsPerCore };
}

/** Logical CPUs of the given cores, ascending. */
export function cpusOfCores(cores: readonly PhysicalCore[]): number[] {
  return cores.flatMap((c) => c.cpus).sort((a, b) => a - b);
}
