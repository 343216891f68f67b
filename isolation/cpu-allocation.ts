// Which CPUs go where: whole cores for online-exclusive pods (near end, one NUMA
// node when they fit), and the offline CPUs taken from the far end of the pool.
import { difference, intersect } from './cpulist.js';
import { cpusOfCores, type CpuTopology, type PhysicalCore } from './topology.js';

export interface ExclusiveRequest {
  uid: string;
  /** Logical CPUs wanted (ceil of the CPU request in cores). */
  cpus: number;
  /** The pod cgroup's current cpuset, used to adopt an assignment after an agent restart. */
  current?: readonly number[];
}

export interface ExclusiveAllocation {
  assigned: Map<string, number[]>;
  unsatisfied: { uid: string; wanted: number; reason: string }[];
}

/** Cores whose CPUs are all in `allowed`. */
function wholeCores(topology: CpuTopology, allowed: readonly number[]): PhysicalCore[] {
  const set = new Set(allowed);
  return topology.cores.filter((c) => c.cpus.every((cpu) => set.has(cpu)));
}

function coresNeeded(topology: CpuTopology, cpus: number): number {
  return Math.ceil(cpus / topology.threadsPerCore);
}

/**
 * Give each online-exclusive pod whole physical cores (hyperthread siblings
 * together) so no other pod shares its L1/L2. Existing assignments are kept;
 * new ones prefer the NUMA node that fits most tightly, taking cores from the
 * near end (offline takes the far end). At least `minSharedCores` stay shared.
 */
export function allocateExclusive(
  topology: CpuTopology,
  allowed: readonly number[],
  requests: readonly ExclusiveRequest[],
  previous: ReadonlyMap<string, readonly number[]>,
  minSharedCores: number,
): ExclusiveAllocation {
  const free = new Map(wholeCores(topology, allowed).map((c) => [c.index, c]));
  const totalCores = free.size;
  const assigned = new Map<string, number[]>();
  const unsatisfied: ExclusiveAllocation['unsatisfied'] = [];
  const coreOf = new Map(topology.cpus.map((c) => [c.id, c.core]));

  const tryKeep = (uid: string, cpus: readonly number[], need: number): boolean => {
    const cores = [...new Set(cpus.map((c) => coreOf.get(c)))];
    if (cores.length !== need || cores.some((i) => i === undefined || !free.has(i))) return false;
    const coreList = cores.map((i) => free.get(i!)!);
    if (coreList.flatMap((c) => c.cpus).length !== cpus.length) return false; // not whole cores
    for (const c of coreList) free.delete(c.index);
    assigned.set(uid, cpusOfCores(coreList));
    return true;
  };

  const pending: ExclusiveRequest[] = [];
  for (const r of requests) {
    const need = coresNeeded(topology, r.cpus);
    const prev = previous.get(r.uid);
    if (prev !== undefined && tryKeep(r.uid, prev, need)) continue;
    // After a restart: adopt what the cgroup already has if it is a valid exclusive set.
    if (prev === undefined && r.current !== undefined && r.current.length < allowed.length && tryKeep(r.uid, r.current, need)) continue;
    pending.push(r);
  }

  pending.sort((a, b) => b.cpus - a.cpus || a.uid.localeCompare(b.uid));
  for (const r of pending) {
    const need = coresNeeded(topology, r.cpus);
    if (r.cpus <= 0) {
      unsatisfied.push({ uid: r.uid, wanted: r.cpus, reason: 'online-exclusive pod requests no whole CPU' });
      continue;
    }
    if (free.size - need < minSharedCores) {
      unsatisfied.push({
        uid: r.uid,
        wanted: r.cpus,
        reason: `needs ${need} whole cores but only ${free.size} of ${totalCores} are free and ${minSharedCores} must stay shared`,
      });
      continue;
    }
    const byNode = new Map<number, PhysicalCore[]>();
    for (const c of free.values()) byNode.set(c.numaNode, [...(byNode.get(c.numaNode) ?? []), c]);
    for (const list of byNode.values()) list.sort((a, b) => a.index - b.index);
    const fitting = [...byNode.entries()].filter(([, l]) => l.length >= need).sort((a, b) => a[1].length - b[1].length || a[0] - b[0]);
    let chosen: PhysicalCore[];
    if (fitting.length > 0) {
      chosen = fitting[0]![1].slice(0, need);
    } else {
      // Spans NUMA nodes: fill from the nodes with the most free cores.
      const nodes = [...byNode.entries()].sort((a, b) => b[1].length - a[1].length || a[0] - b[0]);
      chosen = nodes.flatMap(([, l]) => l).slice(0, need);
    }
    for (const c of chosen) free.delete(c.index);
    assigned.set(r.uid, cpusOfCores(chosen));
  }
  return { assigned, unsatisfied };
}

/**
 * Take `count` CPUs for offline pods from the far end of the pool: the last
 * NUMA node first, whole cores first, so offline work shares neither a core
 * nor (while it fits) a NUMA node with online pods.
 */
export function selectOfflineCpus(topology: CpuTopology, pool: readonly number[], count: number): number[] {
  if (count <= 0) return [];
  const inPool = new Set(pool);
  const taken: number[] = [];
  const partial: number[][] = [];
  for (const core of [...topology.cores].reverse()) {
    const cpus = core.cpus.filter((c) => inPool.has(c));
    if (cpus.length === 0) continue;
    if (cpus.length < core.cpus.length) {
      partial.push(cpus); // a sibling is reserved or exclusive: use these last
      continue;
    }
    if (taken.length + cpus.length <= count) taken.push(...cpus);
    else if (taken.length < count) taken.push(...cpus.slice(cpus.length - (count - taken.length)));
    if (taken.length >= count) break;
  }
  for (const cpus of partial) {
    if (taken.length >= count) break;
    taken.push(...cpus.slice(0, count - taken.length));
  }
  return taken.sort((a, b) => a - b);
}

/** The shared pool: allowed CPUs minus reserved and exclusive ones. */
export function sharedPool(allowed: readonly number[], reserved: readonly number[], exclusive: Iterable<readonly number[]>): number[] {
  let pool = difference(allowed, reserved);
  for (const cpus of exclusive) pool = difference(pool, cpus);
  return intersect(pool, allowed);
}
