// Fake kernel interfaces on a FakeFs: cgroup v1 hierarchies, the cgroup v2
// unified hierarchy, resctrl, /proc and /sys. Writes are checked the way the
// kernel checks them, with the same errno codes:
//   v1 cpuset: a child's cpus ⊆ parent's (EACCES), a parent ⊇ its children
//     (EBUSY), a populated cgroup cannot be emptied (ENOSPC), a new directory
//     starts with empty cpus/mems and refuses tasks until both are set (ENOSPC);
//   v1 cpu: quota -1 or ≥ 1000 µs and not above a limited ancestor's (EINVAL);
//     shares on a SCHED_IDLE group (EINVAL);
//   v2: cpu.max / cpu.weight ranges, cpuset effective = requested ∩ parent;
//   resctrl: contiguous CBM on Intel, min_cbm_bits, mask range, MB range and
//     granularity rounding, last_cmd_status text, one TID per tasks write (ESRCH
//     for unknown ones), CLOSID exhaustion (ENOSPC).
import { basename, dirname, join } from 'node:path';
import { formatCpuList, isSubset, parseCpuList } from '../../isolation/cpulist.js';
import { fsError } from '../../isolation/fs.js';
import { FakeFs, kerr, type VFile } from './fake-fs.js';

const V1_UNLIMITED = '9223372036854771712';
const PAGE = 4096n;

/** Live processes and their threads, shared by all fake hierarchies. */
export class ProcessTable {
  readonly threads = new Map<number, number[]>();
  private nextPid = 1000;

  spawn(threadCount = 1): number {
    const pid = this.nextPid;
    this.nextPid += 10;
    this.threads.set(pid, Array.from({ length: threadCount }, (_, i) => pid + i));
    return pid;
  }

  exists(pid: number): boolean {
    return this.threads.has(pid);
  }

  tidExists(tid: number): boolean {
    for (const t of this.threads.values()) if (t.includes(tid)) return true;
    return false;
  }

  pidOfTid(tid: number): number | undefined {
    for (const [pid, t] of this.threads) if (t.includes(tid)) return pid;
    return undefined;
  }
}

function parseIdWrite(data: string): number {
  const t = data.trim();
  if (!/^\d+$/.test(t)) kerr('EINVAL', `invalid id "${data}"`);
  return Number(t);
}

// ---------------------------------------------------------------- cgroup v1

export type V1Controller = 'cpu' | 'cpuacct' | 'cpuset' | 'memory';

interface V1Node {
  path: string;
  procs: Set<number>;
  cpus: number[];
  mems: number[];
  quota: number; // -1 = unlimited
  period: number;
  shares: number;
  idle: number;
  usageNs: bigint;
  memLimit: string;
  memSoft: string;
  memUsage: number;
}

export class CgroupV1Hierarchy {
  readonly nodes = new Map<string, V1Node>();

  constructor(
    readonly fs: FakeFs,
    readonly mount: string,
    readonly controller: V1Controller,
    readonly procs: ProcessTable,
    readonly opts: { onlineCpus: number[]; mems: number[]; cpuIdle?: boolean },
  ) {
    fs.addDir(mount);
    const root = this.create(mount, null);
    root.cpus = [...opts.onlineCpus];
    root.mems = [...opts.mems];
    fs.hook(mount, {
      noCreate: true,
      mkdir: (path) => {
        this.create(path, this.nodes.get(dirname(path)) ?? null);
      },
      rmdir: (path) => {
        const n = this.nodes.get(path)!;
        if (n.procs.size > 0) kerr('EBUSY', 'cgroup has tasks');
        for (const p of this.nodes.keys()) if (dirname(p) === path) kerr('EBUSY', 'cgroup has children');
        this.nodes.delete(path);
      },
    });
  }

  node(path: string): V1Node {
    const n = this.nodes.get(path);
    if (n === undefined) throw new Error(`no cgroup ${path}`);
    return n;
  }

  private children(path: string): V1Node[] {
    return [...this.nodes.values()].filter((n) => dirname(n.path) === path && n.path !== path);
  }

  private descendants(path: string): V1Node[] {
    return [...this.nodes.values()].filter((n) => n.path.startsWith(`${path}/`));
  }

  private create(path: string, parent: V1Node | null): V1Node {
    const n: V1Node = {
      path,
      procs: new Set(),
      cpus: [], // a new v1 cpuset starts empty
      mems: [],
      quota: -1,
      period: 100_000,
      shares: 1024,
      idle: 0,
      usageNs: 0n,
      memLimit: V1_UNLIMITED,
      memSoft: V1_UNLIMITED,
      memUsage: 0,
    };
    this.nodes.set(path, n);
    const f = (name: string, file: VFile): void => this.fs.addFile(join(path, name), file);
    const procsFile: VFile = {
      read: () => [...n.procs].sort((a, b) => a - b).map((p) => `${p}\n`).join(''),
      write: (data) => this.attach(n, parseIdWrite(data)),
    };
    f('cgroup.procs', procsFile);
    f('tasks', {
      read: () => [...n.procs].flatMap((p) => this.procs.threads.get(p) ?? []).map((t) => `${t}\n`).join(''),
      write: (data) => {
        const tid = parseIdWrite(data);
        const pid = this.procs.pidOfTid(tid);
        if (pid === undefined) kerr('ESRCH', 'no such task');
        this.attach(n, pid);
      },
    });
    f('notify_on_release', { read: () => '0\n', write: () => undefined });
    if (this.controller === 'cpuset') {
      f('cpuset.cpus', { read: () => `${formatCpuList(n.cpus)}\n`, write: (d) => this.setCpus(n, d, 'cpus') });
      f('cpuset.mems', { read: () => `${formatCpuList(n.mems)}\n`, write: (d) => this.setCpus(n, d, 'mems') });
      f('cpuset.effective_cpus', { read: () => `${formatCpuList(n.cpus)}\n` });
      f('cpuset.effective_mems', { read: () => `${formatCpuList(n.mems)}\n` });
      f('cpuset.cpu_exclusive', { read: () => '0\n', write: () => undefined });
    }
    if (this.controller === 'cpu') {
      const quotaFile: VFile & { poke(c: string): void } = {
        read: () => `${n.quota}\n`,
        write: (d) => this.setQuota(n, d),
        poke: (c) => {
          n.quota = Number(c.trim());
        },
      };
      f('cpu.cfs_quota_us', quotaFile);
      f('cpu.cfs_period_us', {
        read: () => `${n.period}\n`,
        write: (d) => {
          const v = Number(d.trim());
          if (!Number.isInteger(v) || v < 1000 || v > 1_000_000) kerr('EINVAL', 'period out of range');
          n.period = v;
        },
      });
      const sharesFile: VFile & { poke(c: string): void } = {
        read: () => `${n.shares}\n`,
        write: (d) => {
          const v = Number(d.trim());
          if (!Number.isInteger(v)) kerr('EINVAL', 'not a number');
          if (n.idle === 1) kerr('EINVAL', 'cannot set shares of an idle group');
          n.shares = Math.min(262144, Math.max(2, v));
        },
        poke: (c) => {
          n.shares = Number(c.trim());
        },
      };
      f('cpu.shares', sharesFile);
      if (this.opts.cpuIdle ?? true) {
        f('cpu.idle', {
          read: () => `${n.idle}\n`,
          write: (d) => {
            const v = d.trim();
            if (v !== '0' && v !== '1') kerr('EINVAL', 'idle must be 0 or 1');
            n.idle = Number(v);
          },
        });
      }
      f('cpu.stat', { read: () => 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n' });
    }
    if (this.controller === 'cpuacct') {
      f('cpuacct.usage', { read: () => `${n.usageNs}\n`, write: (d) => {
        if (d.trim() !== '0') kerr('EINVAL', 'only 0 resets usage');
        n.usageNs = 0n;
      } });
    }
    if (this.controller === 'memory') {
      const memFile = (key: 'memLimit' | 'memSoft'): VFile => ({
        read: () => `${n[key]}\n`,
        write: (d) => {
          const t = d.trim();
          if (t === '-1') {
            n[key] = V1_UNLIMITED;
            return;
          }
          if (!/^\d+$/.test(t)) kerr('EINVAL', 'bad memory value');
          const v = (BigInt(t) / PAGE) * PAGE;
          if (key === 'memLimit' && v < BigInt(n.memUsage)) kerr('EBUSY', 'cannot reclaim below usage');
          n[key] = v >= BigInt(V1_UNLIMITED) ? V1_UNLIMITED : String(v);
        },
      });
      f('memory.limit_in_bytes', memFile('memLimit'));
      f('memory.soft_limit_in_bytes', memFile('memSoft'));
      f('memory.usage_in_bytes', { read: () => `${n.memUsage}\n` });
      f('memory.stat', { read: () => `cache 0\nrss ${n.memUsage}\ntotal_inactive_file 0\n` });
    }
    return n;
  }

  private attach(n: V1Node, pid: number): void {
    if (!this.procs.exists(pid)) kerr('ESRCH', 'no such process');
    if (this.controller === 'cpuset' && (n.cpus.length === 0 || n.mems.length === 0)) kerr('ENOSPC', 'cpuset has no cpus or mems');
    for (const other of this.nodes.values()) other.procs.delete(pid);
    n.procs.add(pid);
  }

  private setCpus(n: V1Node, data: string, which: 'cpus' | 'mems'): void {
    let trial: number[];
    try {
      trial = parseCpuList(data);
    } catch {
      kerr('EINVAL', 'bad list');
    }
    const universe = which === 'cpus' ? this.opts.onlineCpus : this.opts.mems;
    if (!isSubset(trial, universe)) kerr('EINVAL', 'not online');
    if (n.path === this.mount) kerr('EACCES', 'root cpuset is read-only');
    for (const c of this.children(n.path)) if (!isSubset(c[which], trial)) kerr('EBUSY', `child ${c.path} uses ${which} outside the new value`);
    const parent = this.nodes.get(dirname(n.path))!;
    if (!isSubset(trial, parent[which])) kerr('EACCES', `not a subset of the parent's ${which}`);
    const populated = n.procs.size > 0 || this.descendants(n.path).some((d) => d.procs.size > 0);
    if (populated && trial.length === 0) kerr('ENOSPC', `populated cgroup cannot have empty ${which}`);
    n[which] = trial;
  }

  private setQuota(n: V1Node, data: string): void {
    const v = Number(data.trim());
    if (!Number.isInteger(v)) kerr('EINVAL', 'not a number');
    if (v !== -1 && (v < 1000 || v < 0)) kerr('EINVAL', 'quota below 1000us');
    if (n.path === this.mount) kerr('EINVAL', 'root has no quota');
    const ratio = (x: V1Node, q: number): number => (q === -1 ? Infinity : q / x.period);
    // Limited ancestors (nearest limited one decides, as the kernel inherits).
    let anc = this.nodes.get(dirname(n.path));
    while (anc !== undefined && anc.quota === -1 && anc.path !== this.mount) anc = this.nodes.get(dirname(anc.path));
    if (v !== -1 && anc !== undefined && anc.quota !== -1 && ratio(n, v) > ratio(anc, anc.quota)) kerr('EINVAL', 'quota above a limited ancestor');
    if (v !== -1) {
      for (const d of this.descendants(n.path)) if (d.quota !== -1 && ratio(d, d.quota) > ratio(n, v)) kerr('EINVAL', `descendant ${d.path} has a larger quota`);
    }
    n.quota = v;
  }
}

// ---------------------------------------------------------------- cgroup v2

interface V2Node {
  path: string;
  procs: Set<number>;
  subtree: Set<string>;
  cpus: string; // requested ('' = inherit)
  mems: string;
  max: string;
  weight: number;
  idle: number;
  usageUs: bigint;
  mem: Record<'min' | 'low' | 'high' | 'max', string>;
  current: number;
}

export class CgroupV2Hierarchy {
  readonly nodes = new Map<string, V2Node>();

  constructor(
    readonly fs: FakeFs,
    readonly mount: string,
    readonly procs: ProcessTable,
    readonly opts: { onlineCpus: number[]; mems: number[]; controllers?: string[] },
  ) {
    fs.addDir(mount);
    const controllers = opts.controllers ?? ['cpuset', 'cpu', 'io', 'memory', 'pids'];
    fs.addFile(join(mount, 'cgroup.controllers'), `${controllers.join(' ')}\n`);
    const root = this.create(mount, null);
    for (const c of controllers) root.subtree.add(c);
    fs.hook(mount, {
      noCreate: true,
      mkdir: (path) => void this.create(path, this.nodes.get(dirname(path)) ?? null),
      rmdir: (path) => {
        const n = this.nodes.get(path)!;
        if (n.procs.size > 0) kerr('EBUSY', 'cgroup is populated');
        for (const p of this.nodes.keys()) if (dirname(p) === path) kerr('EBUSY', 'cgroup has children');
        this.nodes.delete(path);
      },
    });
  }

  node(path: string): V2Node {
    const n = this.nodes.get(path);
    if (n === undefined) throw new Error(`no cgroup ${path}`);
    return n;
  }

  effectiveCpus(n: V2Node): number[] {
    if (n.path === this.mount) return this.opts.onlineCpus;
    const parent = this.effectiveCpus(this.nodes.get(dirname(n.path))!);
    if (n.cpus === '') return parent;
    const mine = parseCpuList(n.cpus).filter((c) => parent.includes(c));
    return mine.length > 0 ? mine : parent;
  }

  private create(path: string, parent: V2Node | null): V2Node {
    const n: V2Node = {
      path,
      procs: new Set(),
      subtree: new Set(),
      cpus: '',
      mems: '',
      max: 'max 100000',
      weight: 100,
      idle: 0,
      usageUs: 0n,
      mem: { min: '0', low: '0', high: 'max', max: 'max' },
      current: 0,
    };
    this.nodes.set(path, n);
    const isRoot = parent === null;
    const enabled = isRoot ? new Set(this.opts.controllers ?? ['cpuset', 'cpu', 'io', 'memory', 'pids']) : parent.subtree;
    const f = (name: string, file: VFile): void => this.fs.addFile(join(path, name), file);
    f('cgroup.procs', {
      read: () => [...n.procs].sort((a, b) => a - b).map((p) => `${p}\n`).join(''),
      write: (data) => {
        const pid = parseIdWrite(data);
        if (!this.procs.exists(pid)) kerr('ESRCH', 'no such process');
        if (!isRoot && n.subtree.size > 0) kerr('EBUSY', 'no internal processes');
        for (const o of this.nodes.values()) o.procs.delete(pid);
        n.procs.add(pid);
      },
    });
    f('cgroup.subtree_control', {
      read: () => `${[...n.subtree].join(' ')}\n`,
      write: (data) => {
        for (const tok of data.trim().split(/\s+/)) {
          const c = tok.slice(1);
          if (tok.startsWith('+')) n.subtree.add(c);
          else if (tok.startsWith('-')) n.subtree.delete(c);
          else kerr('EINVAL', 'bad token');
        }
      },
    });
    if (!isRoot) {
      f('cgroup.controllers', { read: () => `${[...enabled].join(' ')}\n` });
      f('cgroup.type', { read: () => 'domain\n' });
    }
    f('cpu.stat', { read: () => `usage_usec ${n.usageUs}\nuser_usec 0\nsystem_usec 0\n` });
    f('memory.stat', { read: () => `anon ${n.current}\nfile 0\ninactive_file 0\n` });
    if (isRoot) return n;
    if (enabled.has('cpu')) {
      f('cpu.max', {
        read: () => `${n.max}\n`,
        write: (d) => {
          const [q, p] = d.trim().split(/\s+/);
          const period = p === undefined ? Number(n.max.split(' ')[1]) : Number(p);
          if (!Number.isInteger(period) || period < 1000 || period > 1_000_000) kerr('EINVAL', 'period out of range');
          if (q !== 'max' && (!/^\d+$/.test(q ?? '') || Number(q) < 1000)) kerr('EINVAL', 'quota below 1000us');
          n.max = `${q} ${period}`;
        },
      });
      const weight: VFile & { poke(c: string): void } = {
        read: () => `${n.weight}\n`,
        write: (d) => {
          const v = Number(d.trim());
          if (!Number.isInteger(v) || v < 1 || v > 10000) kerr('ERANGE', 'weight out of range');
          if (n.idle === 1) kerr('EINVAL', 'idle group');
          n.weight = v;
        },
        poke: (c) => {
          n.weight = Number(c.trim());
        },
      };
      f('cpu.weight', weight);
      f('cpu.idle', {
        read: () => `${n.idle}\n`,
        write: (d) => {
          if (d.trim() !== '0' && d.trim() !== '1') kerr('EINVAL', 'idle must be 0 or 1');
          n.idle = Number(d.trim());
        },
      });
    }
    if (enabled.has('cpuset')) {
      f('cpuset.cpus', {
        read: () => `${n.cpus}\n`,
        write: (d) => {
          let list: number[];
          try {
            list = parseCpuList(d);
          } catch {
            kerr('EINVAL', 'bad list');
          }
          if (!isSubset(list, this.opts.onlineCpus)) kerr('EINVAL', 'not online');
          n.cpus = d.trim() === '' ? '' : formatCpuList(list);
        },
      });
      f('cpuset.cpus.effective', { read: () => `${formatCpuList(this.effectiveCpus(n))}\n` });
      f('cpuset.mems', { read: () => `${n.mems}\n`, write: (d) => void (n.mems = d.trim()) });
    }
    if (enabled.has('memory')) {
      for (const k of ['min', 'low', 'high', 'max'] as const) {
        f(`memory.${k}`, {
          read: () => `${n.mem[k]}\n`,
          write: (d) => {
            const t = d.trim();
            if (t !== 'max' && !/^\d+$/.test(t)) kerr('EINVAL', 'bad memory value');
            n.mem[k] = t === 'max' ? 'max' : String((BigInt(t) / PAGE) * PAGE);
          },
        });
      }
      f('memory.current', { read: () => `${n.current}\n` });
    }
    return n;
  }
}

// ---------------------------------------------------------------- resctrl

export interface ResctrlSpec {
  vendor: 'intel' | 'amd';
  cbmLen: number;
  minCbmBits: number;
  numClosids: number;
  cacheIds: number[];
  cdp?: boolean;
  mb?: { gran: number; min: number; max: number } | null;
}

interface ResGroup {
  path: string;
  schemata: Map<string, Map<number, string>>;
  tids: Set<number>;
}

export class FakeResctrl {
  readonly groups = new Map<string, ResGroup>();
  lastStatus = 'ok';
  readonly cacheResources: string[];

  constructor(
    readonly fs: FakeFs,
    readonly mount: string,
    readonly procs: ProcessTable,
    readonly spec: ResctrlSpec,
  ) {
    this.cacheResources = spec.cdp === true ? ['L3CODE', 'L3DATA'] : ['L3'];
    const full = ((1n << BigInt(spec.cbmLen)) - 1n).toString(16);
    for (const r of this.cacheResources) {
      const d = join(mount, 'info', r);
      fs.addFile(join(d, 'cbm_mask'), `${full}\n`);
      fs.addFile(join(d, 'min_cbm_bits'), `${spec.minCbmBits}\n`);
      fs.addFile(join(d, 'num_closids'), `${spec.numClosids}\n`);
      fs.addFile(join(d, 'shareable_bits'), '0\n');
    }
    if (spec.mb !== null && spec.mb !== undefined) {
      const d = join(mount, 'info', 'MB');
      fs.addFile(join(d, 'bandwidth_gran'), `${spec.mb.gran}\n`);
      fs.addFile(join(d, 'min_bandwidth'), `${spec.mb.min}\n`);
      fs.addFile(join(d, 'num_closids'), `${spec.numClosids}\n`);
      fs.addFile(join(d, 'delay_linear'), '1\n');
    }
    fs.addFile(join(mount, 'info', 'last_cmd_status'), { read: () => `${this.lastStatus}\n` });
    this.create(mount);
    fs.hook(mount, {
      noCreate: true,
      mkdir: (path) => {
        if (dirname(path) !== mount || basename(path) === 'info') kerr('EPERM', 'groups only at the top level');
        if (this.groups.size + 1 > spec.numClosids) {
          this.lastStatus = 'Out of CLOSIDs';
          kerr('ENOSPC', 'out of closids');
        }
        this.create(path);
      },
      rmdir: (path) => {
        const g = this.groups.get(path);
        if (g === undefined) kerr('EPERM', 'not a group');
        const root = this.groups.get(mount)!;
        for (const t of g.tids) root.tids.add(t); // tasks fall back to the default group
        this.groups.delete(path);
      },
    });
  }

  private fullSchemata(): Map<string, Map<number, string>> {
    const s = new Map<string, Map<number, string>>();
    const full = ((1n << BigInt(this.spec.cbmLen)) - 1n).toString(16);
    for (const r of this.cacheResources) s.set(r, new Map(this.spec.cacheIds.map((id) => [id, full])));
    if (this.spec.mb) s.set('MB', new Map(this.spec.cacheIds.map((id) => [id, String(this.spec.mb!.max)])));
    return s;
  }

  private create(path: string): void {
    const g: ResGroup = { path, schemata: this.fullSchemata(), tids: new Set() };
    this.groups.set(path, g);
    this.fs.addFile(join(path, 'schemata'), {
      read: () =>
        [...g.schemata.entries()].map(([r, d]) => `${r.padStart(6)}:${[...d.entries()].map(([id, v]) => `${id}=${v}`).join(';')}\n`).join(''),
      write: (data) => this.writeSchemata(g, data),
    });
    this.fs.addFile(join(path, 'tasks'), {
      read: () => [...g.tids].sort((a, b) => a - b).map((t) => `${t}\n`).join(''),
      write: (data) => {
        const tid = parseIdWrite(data); // one id per write
        if (!this.procs.tidExists(tid)) {
          this.lastStatus = `No task ${tid}`;
          kerr('ESRCH', 'no such task');
        }
        for (const o of this.groups.values()) o.tids.delete(tid);
        g.tids.add(tid);
        this.lastStatus = 'ok';
      },
    });
    this.fs.addFile(join(path, 'cpus_list'), '\n');
    this.fs.addFile(join(path, 'mode'), 'shareable\n');
    if (path !== this.mount) {
      this.fs.addDir(join(path, 'mon_groups'));
      this.fs.addDir(join(path, 'mon_data'));
    }
  }

  private fail(msg: string): never {
    this.lastStatus = msg;
    kerr('EINVAL', msg);
  }

  private writeSchemata(g: ResGroup, data: string): void {
    if (g.path === this.mount) {
      // Allowed by the real kernel, but the agent must never change the default group.
      throw fsError('EPERM', 'write', g.path, 'test kernel: default group schemata is off limits');
    }
    const staged = new Map([...g.schemata].map(([r, d]) => [r, new Map(d)]));
    for (const raw of data.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      const colon = line.indexOf(':');
      const res = line.slice(0, colon).trim();
      const domains = staged.get(res);
      if (colon < 0 || domains === undefined) this.fail(`Unknown or unsupported resource name '${res}'`);
      for (const part of line.slice(colon + 1).split(';')) {
        const [idText, val] = part.split('=');
        const id = Number(idText);
        if (!domains.has(id) || val === undefined) this.fail(`Missing '=' or non-numeric domain id`);
        if (res === 'MB') domains.set(id, String(this.validateMb(val)));
        else domains.set(id, this.validateCbm(val));
      }
    }
    g.schemata = staged;
    this.lastStatus = 'ok';
  }

  private validateCbm(val: string): string {
    if (!/^[0-9a-fA-F]+$/.test(val)) this.fail(`Non-hex character in the mask ${val}`);
    const v = BigInt(`0x${val}`);
    const len = this.spec.cbmLen;
    if ((this.spec.minCbmBits > 0 && v === 0n) || v > (1n << BigInt(len)) - 1n) this.fail('Mask out of range');
    let first = 0;
    while (((v >> BigInt(first)) & 1n) === 0n) first++;
    let zero = first;
    while (zero < len && ((v >> BigInt(zero)) & 1n) === 1n) zero++;
    const sparse = this.spec.vendor === 'amd';
    if (!sparse && v >> BigInt(zero) !== 0n) this.fail(`The mask ${v.toString(16)} has non-consecutive 1-bits`);
    if (zero - first < this.spec.minCbmBits) this.fail(`Need at least ${this.spec.minCbmBits} bits in the mask`);
    return v.toString(16);
  }

  private validateMb(val: string): number {
    const mb = this.spec.mb!;
    if (!/^\d+$/.test(val)) this.fail(`Invalid MB value ${val}`);
    const bw = Number(val);
    if (bw < mb.min || bw > mb.max) this.fail(`MB value ${bw} out of range [${mb.min},${mb.max}]`);
    return Math.ceil(bw / mb.gran) * mb.gran; // the kernel rounds up to the granularity
  }

  group(name: string): ResGroup | undefined {
    return this.groups.get(join(this.mount, name));
  }
}

// ---------------------------------------------------------------- proc, sys

export class FakeProc {
  memTotalKb = 16 * 1024 * 1024;
  memAvailableKb = 12 * 1024 * 1024;
  /** Cumulative /proc/stat "cpu" busy and idle ticks (USER_HZ). */
  busyTicks = 0;
  idleTicks = 0;

  constructor(
    readonly fs: FakeFs,
    readonly root: string,
    readonly procs: ProcessTable,
    opts: { vendor?: 'intel' | 'amd'; mounts?: string } = {},
  ) {
    fs.addFile(join(root, 'meminfo'), {
      read: () => `MemTotal:       ${this.memTotalKb} kB\nMemFree:        ${this.memAvailableKb} kB\nMemAvailable:   ${this.memAvailableKb} kB\n`,
    });
    fs.addFile(join(root, 'stat'), { read: () => `cpu  ${this.busyTicks} 0 0 ${this.idleTicks} 0 0 0 0 0 0\n` });
    fs.addFile(join(root, 'cpuinfo'), `processor\t: 0\nvendor_id\t: ${opts.vendor === 'amd' ? 'AuthenticAMD' : 'GenuineIntel'}\n`);
    fs.addFile(join(root, 'mounts'), opts.mounts ?? '');
    fs.hook(root, { noCreate: true });
  }

  /** Start a fake process with `threads` threads; returns its pid. */
  spawn(threads = 1): number {
    const pid = this.procs.spawn(threads);
    let adj = 0;
    this.fs.addFile(join(this.root, String(pid), 'oom_score_adj'), {
      read: () => `${adj}\n`,
      write: (d) => {
        if (!this.procs.exists(pid)) kerr('ESRCH', 'process exited');
        const v = Number(d.trim());
        if (!Number.isInteger(v) || v < -1000 || v > 1000) kerr('EINVAL', 'oom_score_adj out of range');
        adj = v;
      },
    });
    for (const tid of this.procs.threads.get(pid)!) this.fs.addDir(join(this.root, String(pid), 'task', String(tid)));
    return pid;
  }

  exit(pid: number): void {
    this.procs.threads.delete(pid);
    this.fs.removeTree(join(this.root, String(pid)));
  }
}

export interface TopologySpec {
  numaNodes: number;
  coresPerNode: number;
  threadsPerCore: number;
}

/**
 * Linux-style numbering: CPU ids first run over all cores (thread 0 of every
 * core), then the second hyperthreads, so siblings are n and n + cores.
 */
export function buildSys(fs: FakeFs, root: string, t: TopologySpec): number[] {
  const cores = t.numaNodes * t.coresPerNode;
  const total = cores * t.threadsPerCore;
  const cpuDir = join(root, 'devices/system/cpu');
  fs.addFile(join(cpuDir, 'online'), `0-${total - 1}\n`);
  for (let cpu = 0; cpu < total; cpu++) {
    const core = cpu % cores;
    const node = Math.floor(core / t.coresPerNode);
    const siblings = Array.from({ length: t.threadsPerCore }, (_, k) => core + k * cores);
    const topo = join(cpuDir, `cpu${cpu}`, 'topology');
    fs.addFile(join(topo, 'core_id'), `${core % t.coresPerNode}\n`);
    fs.addFile(join(topo, 'physical_package_id'), `${node}\n`);
    fs.addFile(join(topo, 'thread_siblings_list'), `${formatCpuList(siblings)}\n`);
  }
  const nodeDir = join(root, 'devices/system/node');
  fs.addFile(join(nodeDir, 'online'), `0-${t.numaNodes - 1}\n`);
  for (let n = 0; n < t.numaNodes; n++) {
    const cpus: number[] = [];
    for (let cpu = 0; cpu < total; cpu++) if (Math.floor((cpu % cores) / t.coresPerNode) === n) cpus.push(cpu);
    fs.addFile(join(nodeDir, `node${n}`, 'cpulist'), `${formatCpuList(cpus)}\n`);
  }
  return Array.from({ length: total }, (_, i) => i);
}
