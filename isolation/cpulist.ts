// Kernel CPU and memory-node lists: "0-3,8,10-11" (cpuset.cpus, cpulist files).

/** Parse a kernel list ("0-3,8"); empty or whitespace is the empty set. Result is sorted, unique. */
export function parseCpuList(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const out = new Set<number>();
  for (const part of trimmed.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) throw new Error(`invalid cpu list "${trimmed}": bad element "${part}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`invalid cpu list "${trimmed}": range ${part} runs backwards`);
    if (hi - lo > 1 << 16) throw new Error(`invalid cpu list "${trimmed}": range ${part} is too large`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/** Format CPUs as the kernel prints them: ascending, runs collapsed ("0-3,8"). */
export function formatCpuList(cpus: Iterable<number>): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) {
      i++;
      end = sorted[i]!;
    }
    parts.push(start === end ? `${start}` : `${start}-${end}`);
    i++;
  }
  return parts.join(',');
}

export function union(a: Iterable<number>, b: Iterable<number>): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

export function intersect(a: Iterable<number>, b: Iterable<number>): number[] {
  const bs = new Set(b);
  return [...new Set(a)].filter((x) => bs.has(x)).sort((x, y) => x - y);
}

export function difference(a: Iterable<number>, b: Iterable<number>): number[] {
  const bs = new Set(b);
  return [...new Set(a)].filter((x) => !bs.has(x)).sort((x, y) => x - y);
}

export function isSubset(a: Iterable<number>, b: Iterable<number>): boolean {
  const bs = new Set(b);
  for (const x of a) if (!bs.has(x)) return false;
  return true;
}

export function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const as = new Set(a);
  const bs = new Set(b);
  return as.size === bs.size && isSubset(as, bs);
}
