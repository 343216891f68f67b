// How cgroup file values compare (the kernel echoes them back in its own form)
// and which files are hierarchical limits that constrain parents and children.
import type { CgroupVersion } from './cgroup-layout.js';
import { formatCpuList, intersect, isSubset, parseCpuList, sameSet, union } from './cpulist.js';

const PAGE = 4096n;
// v1 reports "unlimited" as PAGE_COUNTER_MAX * PAGE_SIZE, e.g. 9223372036854771712.
const V1_UNLIMITED_FLOOR = 1n << 62n;

function memoryCanonical(text: string): string {
  const t = text.trim();
  if (t === 'max' || t === '-1') return 'max';
  if (!/^\d+$/.test(t)) return t;
  const n = BigInt(t);
  if (n >= V1_UNLIMITED_FLOOR) return 'max';
  return String((n / PAGE) * PAGE);
}

function cpuMaxCanonical(text: string): string {
  const [quota = '', period = '100000'] = text.trim().split(/\s+/);
  return `${quota === '-1' ? 'max' : quota} ${period}`;
}

/** Canonical form of a value as the kernel would echo it, for comparison. */
export function canonicalValue(file: string, text: string): string {
  if (file === 'cpuset.cpus' || file === 'cpuset.mems') {
    try {
      return formatCpuList(parseCpuList(text));
    } catch {
      return text.trim();
    }
  }
  if (file === 'cpu.max') return cpuMaxCanonical(text);
  if (file.startsWith('memory.') && /(limit_in_bytes|soft_limit_in_bytes|memsw\.limit_in_bytes)$|^memory\.(min|low|high|max)$/.test(file)) {
    return memoryCanonical(text);
  }
  return text.trim();
}

export function sameValue(file: string, a: string, b: string): boolean {
  if (file === 'cpuset.cpus' || file === 'cpuset.mems') {
    try {
      return sameSet(parseCpuList(a), parseCpuList(b));
    } catch {
      return a.trim() === b.trim();
    }
  }
  return canonicalValue(file, a) === canonicalValue(file, b);
}

/**
 * A limit that the kernel checks across the hierarchy on every write (cgroup v1):
 * a child must stay within its parent. Writes therefore widen top-down first and
 * narrow bottom-up after.
 */
export interface HierarchyRule {
  /** Does `child` fit within `parent`? */
  within(child: string, parent: string): boolean;
  /** The smallest value containing both (used while widening). */
  widen(a: string, b: string): string;
  /** `child` cut down to fit `parent` (for descendants the plan does not name). */
  clamp(child: string, parent: string): string;
}

const cpusetRule: HierarchyRule = {
  within: (child, parent) => isSubset(parseCpuList(child), parseCpuList(parent)),
  widen: (a, b) => formatCpuList(union(parseCpuList(a), parseCpuList(b))),
  clamp: (child, parent) => {
    const cut = intersect(parseCpuList(child), parseCpuList(parent));
    return formatCpuList(cut.length > 0 ? cut : parseCpuList(parent));
  },
};

function quota(text: string): number {
  const n = Number(text.trim());
  return Number.isFinite(n) && n >= 0 ? n : Infinity;
}

// v1 refuses a child quota above a limited parent's (EINVAL); -1 children inherit.
const cfsQuotaRule: HierarchyRule = {
  within: (child, parent) => quota(child) === Infinity || quota(child) <= quota(parent),
  widen: (a, b) => (Math.max(quota(a), quota(b)) === Infinity ? '-1' : String(Math.max(quota(a), quota(b)))),
  clamp: (child, parent) => (quota(child) === Infinity || quota(child) <= quota(parent) ? child.trim() : parent.trim()),
};

export function hierarchyRule(version: CgroupVersion, file: string): HierarchyRule | null {
  if (version !== 'v1') return null; // v2 intersects with the parent instead of refusing
  if (file === 'cpuset.cpus' || file === 'cpuset.mems') return cpusetRule;
  if (file === 'cpu.cfs_quota_us') return cfsQuotaRule;
  return null;
}

/** Values the executor must never write: an empty cpuset empties a populated cgroup. */
export function isForbiddenValue(version: CgroupVersion, file: string, value: string): string | null {
  // In v2 an empty cpuset means "inherit the parent's", which is how a restore resets it.
  if (version === 'v1' && (file === 'cpuset.cpus' || file === 'cpuset.mems') && value.trim() === '') {
    return `refusing to write an empty ${file}`;
  }
  if (value.includes('\n') && file !== 'schemata') return `refusing a multi-line value for ${file}`;
  return null;
}
