// The one place that writes to cgroup, resctrl and proc files.
//
// Strategies hand it desired values; it confines every path under the configured
// roots, skips values that are already in place, orders writes the way the
// kernel demands (v1 limits widen top-down, then narrow bottom-up), remembers the
// original value of everything it changes so it can put it back, notices when
// something else (kubelet) rewrites a value, and backs off instead of retrying a
// write the kernel keeps refusing.
import { join } from 'node:path';
import { silentLogger, type Logger } from '../kube/index.js';
import {
  assertSafeFileName,
  cgroupDepth,
  cgroupDirPath,
  cgroupFilePath,
  controllerOfFile,
  isWithinCgroup,
  kubepodsDir,
  type CgroupDir,
  type CgroupLayout,
  type Controller,
} from './cgroup-layout.js';
import { canonicalValue, hierarchyRule, isForbiddenValue, sameValue } from './cgroup-values.js';
import type { CgroupValue, ProcValue, ResctrlPlan } from './desired.js';
import { errnoOf, readOptional, type Fs } from './fs.js';
import { formatSchemataLine, parseSchemata, sameSchemataValue } from './resctrl-schemata.js';

export interface ExecutorHooks {
  /** result: ok | error | dry-run | refused */
  write(kind: 'cgroup' | 'proc' | 'resctrl', file: string, result: string): void;
  overwrite(file: string): void;
}

export interface ExecutorOptions {
  fs: Fs;
  layout: CgroupLayout;
  procRoot: string;
  /** resctrl mount (e.g. /sys/fs/resctrl), or null when the node has none. */
  resctrlRoot: string | null;
  dryRun?: boolean;
  log?: Logger;
  hooks?: ExecutorHooks;
  now?: () => number;
  /** Where originals are kept across agent restarts (JSON); null keeps them in memory only. */
  stateFile?: string | null;
  /** Only resctrl groups with this prefix are created or removed. */
  resctrlGroupPrefix?: string;
  /** First back-off after a refused write, doubled per failure up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** After this many EINVAL-like refusals of the same value, report it unsupported. */
  unsupportedAfter?: number;
  /** This many overwrites by someone else within contestWindowMs: stop rewriting for contestHoldMs. */
  contestThreshold?: number;
  contestWindowMs?: number;
  contestHoldMs?: number;
}

export type FailureState = 'backoff' | 'unsupported';

export interface WriteFailure {
  path: string;
  file: string;
  value: string;
  code: string;
  message: string;
}

export interface ApplyReport {
  written: number;
  unchanged: number;
  restored: number;
  /** Values the plan asked for that the executor will not write (unsafe path, root cgroup, conflicts). */
  refused: { target: string; reason: string }[];
  failed: WriteFailure[];
  /** Writes skipped because of back-off after earlier refusals. */
  backedOff: string[];
  /** Writes skipped because someone else keeps rewriting the value. */
  contested: string[];
  /** In dry-run mode: what would have been written. */
  wouldWrite: { path: string; from: string | undefined; to: string }[];
}

export interface UnsupportedEntry {
  path: string;
  file: string;
  code: string;
  message: string;
}

interface Planned {
  path: string;
  dir: CgroupDir;
  file: string;
  controller: Controller;
  value: string;
  strategy: string;
  restore: boolean;
  current?: string;
}

interface Original {
  dir: CgroupDir;
  file: string;
  controller: Controller;
  value: string;
}

interface Failure {
  value: string;
  count: number;
  until: number;
  code: string;
  message: string;
}

interface Contest {
  times: number[];
  holdUntil: number;
}

const UNSUPPORTED_CODES = new Set(['EINVAL', 'ERANGE', 'EOPNOTSUPP', 'ENOTSUP', 'ENOENT']);
const GONE_CODES = new Set(['ESRCH', 'ENOENT']);
const GROUP_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

function emptyReport(): ApplyReport {
  return { written: 0, unchanged: 0, restored: 0, refused: [], failed: [], backedOff: [], contested: [], wouldWrite: [] };
}

export class Executor {
  private readonly fs: Fs;
  private readonly layout: CgroupLayout;
  private readonly procRoot: string;
  private readonly resctrlRoot: string | null;
  private readonly dryRun: boolean;
  private readonly log: Logger;
  private readonly hooks: ExecutorHooks | undefined;
  private readonly now: () => number;
  private readonly stateFile: string | null;
  private readonly groupPrefix: string;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly unsupportedAfter: number;
  private readonly contestThreshold: number;
  private readonly contestWindowMs: number;
  private readonly contestHoldMs: number;

  /** Value before our first write, per absolute path: what a restore puts back. */
  private readonly originals = new Map<string, Original>();
  /** What we last wrote, per absolute path (canonical): a different read means someone rewrote it. */
  private readonly lastWritten = new Map<string, string>();
  private readonly failures = new Map<string, Failure>();
  private readonly contests = new Map<string, Contest>();
  private stateLoaded = false;

  constructor(opts: ExecutorOptions) {
    this.fs = opts.fs;
    this.layout = opts.layout;
    this.procRoot = opts.procRoot;
    this.resctrlRoot = opts.resctrlRoot;
    this.dryRun = opts.dryRun ?? false;
    this.log = opts.log ?? silentLogger;
    this.hooks = opts.hooks;
    this.now = opts.now ?? Date.now;
    this.stateFile = opts.stateFile ?? null;
    this.groupPrefix = opts.resctrlGroupPrefix ?? 'tidepool-';
    this.backoffMs = opts.backoffMs ?? 10_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 600_000;
    this.unsupportedAfter = opts.unsupportedAfter ?? 3;
    this.contestThreshold = opts.contestThreshold ?? 3;
    this.contestWindowMs = opts.contestWindowMs ?? 600_000;
    this.contestHoldMs = opts.contestHoldMs ?? 600_000;
  }

  /** Paths whose writes the kernel keeps refusing with EINVAL-like errors. */
  unsupported(): UnsupportedEntry[] {
    const out: UnsupportedEntry[] = [];
    for (const [path, f] of this.failures) {
      if (f.count >= this.unsupportedAfter && UNSUPPORTED_CODES.has(f.code)) {
        out.push({ path, file: path.slice(path.lastIndexOf('/') + 1), code: f.code, message: f.message });
      }
    }
    return out;
  }

  /** Paths we stopped rewriting because something else keeps changing them. */
  contested(): string[] {
    const now = this.now();
    return [...this.contests.entries()].filter(([, c]) => c.holdUntil > now).map(([p]) => p);
  }

  /** Number of cgroup values the executor currently holds away from their originals. */
  ownedCount(): number {
    return this.originals.size;
  }

  // ---------------------------------------------------------------- cgroups

  /**
   * Make the cgroup files match `values`. Anything this executor changed earlier
   * that is no longer wanted is restored to its original value.
   */
  async applyCgroups(values: readonly CgroupValue[]): Promise<ApplyReport> {
    await this.loadState();
    const report = emptyReport();
    const planned = new Map<string, Planned>();
    for (const v of values) {
      const resolved = this.resolveCgroupTarget(v, report);
      if (resolved === null) continue;
      const prev = planned.get(resolved.path);
      if (prev !== undefined && !sameValue(v.file, prev.value, v.value)) {
        report.refused.push({ target: resolved.path, reason: `conflicting values: ${prev.strategy} wants "${prev.value}", ${v.strategy} wants "${v.value}"` });
        this.hooks?.write('cgroup', v.file, 'refused');
        continue;
      }
      planned.set(resolved.path, resolved);
    }
    for (const [path, orig] of this.originals) {
      if (!planned.has(path)) {
        planned.set(path, { path, dir: orig.dir, file: orig.file, controller: orig.controller, value: orig.value, strategy: 'restore', restore: true });
      }
    }

    // Read what is there now; drop targets whose cgroup is gone (the pod left).
    const live: Planned[] = [];
    for (const p of planned.values()) {
      const f = this.failures.get(p.path);
      if (f !== undefined && f.value === p.value && f.until > this.now()) {
        report.backedOff.push(p.path); // refused before: no re-read, no re-log until the back-off ends
        continue;
      }
      const current = await readOptional(this.fs, p.path);
      if (current === undefined) {
        const dirPath = cgroupDirPath(this.layout, p.dir, p.controller);
        if (await this.fs.isDirectory(dirPath)) {
          this.recordFailure(report, p.path, p.file, p.value, 'ENOENT', `${p.file} does not exist in ${dirPath}: the kernel lacks it or its controller is not enabled there`);
        }
        this.forget(p.path);
        continue;
      }
      p.current = current;
      this.detectOverwrite(p);
      live.push(p);
    }

    const hier = live.filter((p) => hierarchyRule(this.layout.version, p.file) !== null);
    const flat = live.filter((p) => hierarchyRule(this.layout.version, p.file) === null);
    await this.applyHierarchical(hier, planned, report);
    for (const p of flat) await this.writeIfChanged(p, p.value, report);
    await this.saveState();
    return report;
  }

  /** Put every value this executor changed back to its original (pod removal, uninstall). */
  async restoreAll(): Promise<ApplyReport> {
    const report = await this.applyCgroups([]);
    const r = await this.applyResctrl({ groups: [] });
    return mergeReports(report, r);
  }

  private resolveCgroupTarget(v: CgroupValue, report: ApplyReport): Planned | null {
    const refuse = (reason: string): null => {
      report.refused.push({ target: `${v.dir}/${v.file}`, reason });
      this.hooks?.write('cgroup', v.file, 'refused');
      this.log.warn({ dir: v.dir, file: v.file, strategy: v.strategy, reason }, 'refused cgroup write');
      return null;
    };
    if (v.dir === '') return refuse('never writes the root cgroup');
    try {
      assertSafeFileName(v.file);
    } catch (err) {
      return refuse((err as Error).message);
    }
    const top = kubepodsDir(this.layout);
    if (!isWithinCgroup(v.dir, top)) return refuse(`outside the pods' cgroup tree ${top}`);
    const forbidden = isForbiddenValue(this.layout.version, v.file, v.value);
    if (forbidden !== null) return refuse(forbidden);
    const controller = v.controller ?? controllerOfFile(v.file);
    if (controller === null) return refuse(`cannot tell the controller of ${v.file}`);
    let path: string;
    try {
      path = cgroupFilePath(this.layout, v.dir, v.file, controller);
    } catch (err) {
      return refuse((err as Error).message);
    }
    return { path, dir: v.dir, file: v.file, controller, value: v.value, strategy: v.strategy, restore: false };
  }

  /**
   * v1 limits are checked against parent and children on every write: widen
   * (union / max) top-down first so nothing ever leaves its parent, then write
   * the final values bottom-up, cutting down unnamed descendants on the way.
   */
  private async applyHierarchical(items: Planned[], planned: Map<string, Planned>, report: ApplyReport): Promise<void> {
    const fileOrder = (f: string): number => (f === 'cpuset.mems' ? 0 : 1); // mems before cpus
    const topDown = [...items].sort((a, b) => cgroupDepth(a.dir) - cgroupDepth(b.dir) || fileOrder(a.file) - fileOrder(b.file));
    const widenFailed = new Set<string>();
    for (const p of topDown) {
      const rule = hierarchyRule(this.layout.version, p.file)!;
      const current = p.current!;
      if (rule.within(p.value, current)) continue;
      if (this.blocked(p, report)) continue;
      const widened = rule.widen(current, p.value);
      if (await this.write(p, widened, report, 'widen')) {
        p.current = widened;
      } else {
        // The kernel refused the union, so it would refuse the value too: one failure,
        // kept under the wanted value so the back-off applies to it next cycle.
        widenFailed.add(p.path);
        const f = this.failures.get(p.path);
        if (f !== undefined) f.value = p.value;
      }
    }
    for (const p of [...topDown].reverse()) {
      if (widenFailed.has(p.path)) continue;
      const rule = hierarchyRule(this.layout.version, p.file)!;
      if (!sameValue(p.file, p.current!, p.value) && !rule.within(p.current!, p.value)) {
        await this.clampDescendants(p, planned, report);
      }
      await this.writeIfChanged(p, p.value, report);
    }
  }

  private async clampDescendants(p: Planned, planned: Map<string, Planned>, report: ApplyReport): Promise<void> {
    const rule = hierarchyRule(this.layout.version, p.file)!;
    const dirPath = cgroupDirPath(this.layout, p.dir, p.controller);
    const children = await this.childDirs(dirPath);
    for (const name of children) {
      const dir = `${p.dir}/${name}`;
      const path = cgroupFilePath(this.layout, dir, p.file, p.controller);
      if (planned.has(path)) continue;
      const child: Planned = { path, dir, file: p.file, controller: p.controller, value: '', strategy: 'clamp', restore: false };
      await this.clampDescendants({ ...child, value: p.value }, planned, report);
      const current = await readOptional(this.fs, path);
      if (current === undefined || rule.within(current, p.value)) continue;
      child.current = current;
      child.value = rule.clamp(current, p.value);
      await this.writeIfChanged(child, child.value, report);
    }
  }

  private async childDirs(dirPath: string): Promise<string[]> {
    try {
      return (await this.fs.readdir(dirPath)).filter((e) => e.isDirectory).map((e) => e.name);
    } catch (err) {
      if (GONE_CODES.has(errnoOf(err) ?? '')) return [];
      throw err;
    }
  }

  private async writeIfChanged(p: Planned, value: string, report: ApplyReport): Promise<void> {
    if (p.current !== undefined && sameValue(p.file, p.current, value)) {
      report.unchanged++;
      if (p.restore) this.forget(p.path);
      return;
    }
    if (this.blocked(p, report)) return;
    if (await this.write(p, value, report, p.restore ? 'restore' : 'set')) {
      p.current = value;
      if (p.restore) {
        report.restored++;
        this.forget(p.path);
      }
    }
  }

  private blocked(p: Planned, report: ApplyReport): boolean {
    const now = this.now();
    const contest = this.contests.get(p.path);
    if (contest !== undefined && contest.holdUntil > now && !p.restore) {
      report.contested.push(p.path);
      return true;
    }
    const f = this.failures.get(p.path);
    if (f !== undefined && f.value === p.value && f.until > now) {
      report.backedOff.push(p.path);
      return true;
    }
    return false;
  }

  private async write(p: Planned, value: string, report: ApplyReport, phase: string): Promise<boolean> {
    if (this.dryRun) {
      report.wouldWrite.push({ path: p.path, from: p.current, to: value });
      this.hooks?.write('cgroup', p.file, 'dry-run');
      this.log.info({ path: p.path, from: p.current?.trim(), to: value, phase, strategy: p.strategy }, 'dry-run: would write');
      return true;
    }
    if (!this.originals.has(p.path) && !p.restore && p.current !== undefined) {
      this.originals.set(p.path, { dir: p.dir, file: p.file, controller: p.controller, value: p.current.trim() });
    }
    try {
      await this.fs.writeFile(p.path, value);
    } catch (err) {
      const code = errnoOf(err) ?? 'EIO';
      if (code === 'ENOENT' && !(await this.fs.isDirectory(cgroupDirPath(this.layout, p.dir, p.controller)))) {
        this.forget(p.path); // the cgroup went away under us (pod deleted)
        return false;
      }
      this.recordFailure(report, p.path, p.file, value, code, `${phase} ${p.file}="${value}" in ${p.dir}: ${code}${explain(code, p.file)}`);
      this.hooks?.write('cgroup', p.file, 'error');
      return false;
    }
    this.failures.delete(p.path);
    this.lastWritten.set(p.path, canonicalValue(p.file, value));
    if (!p.restore) report.written++;
    this.hooks?.write('cgroup', p.file, 'ok');
    this.log.debug({ path: p.path, from: p.current?.trim(), to: value, phase, strategy: p.strategy }, 'wrote cgroup file');
    return true;
  }

  private detectOverwrite(p: Planned): void {
    const mine = this.lastWritten.get(p.path);
    if (mine === undefined || p.current === undefined || sameValue(p.file, mine, p.current)) return;
    // Someone else changed a value we set: count it; too often means stop fighting.
    this.hooks?.overwrite(p.file);
    this.lastWritten.delete(p.path);
    const now = this.now();
    const c = this.contests.get(p.path) ?? { times: [], holdUntil: 0 };
    c.times = [...c.times.filter((t) => now - t < this.contestWindowMs), now];
    if (c.times.length >= this.contestThreshold) {
      c.holdUntil = now + this.contestHoldMs;
      c.times = [];
      this.log.warn({ path: p.path, current: p.current.trim(), ours: mine }, 'value keeps being rewritten by another agent (kubelet?); leaving it alone for a while');
    } else {
      this.log.info({ path: p.path, current: p.current.trim(), ours: mine }, 'value was rewritten by another agent; setting it again');
    }
    this.contests.set(p.path, c);
  }

  private recordFailure(report: ApplyReport, path: string, file: string, value: string, code: string, message: string): void {
    const prev = this.failures.get(path);
    const count = prev !== undefined && prev.value === value ? prev.count + 1 : 1;
    const delay = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (count - 1));
    this.failures.set(path, { value, count, until: this.now() + delay, code, message });
    report.failed.push({ path, file, value, code, message });
    const level = count >= this.unsupportedAfter && UNSUPPORTED_CODES.has(code) ? 'warn' : 'error';
    this.log[level]({ path, value, code, attempts: count, retryInMs: delay }, count >= this.unsupportedAfter && UNSUPPORTED_CODES.has(code) ? `unsupported: ${message}` : message);
  }

  private forget(path: string): void {
    this.originals.delete(path);
    this.lastWritten.delete(path);
  }

  // ---------------------------------------------------------------- state

  private async loadState(): Promise<void> {
    if (this.stateLoaded || this.stateFile === null) return;
    this.stateLoaded = true;
    const text = await readOptional(this.fs, this.stateFile);
    if (text === undefined) return;
    try {
      const parsed = JSON.parse(text) as { originals?: Record<string, Original> };
      for (const [path, o] of Object.entries(parsed.originals ?? {})) {
        // Re-derive the path so a tampered state file cannot point outside the roots.
        const expected = cgroupFilePath(this.layout, o.dir, o.file, o.controller);
        if (expected === path && isWithinCgroup(o.dir, kubepodsDir(this.layout))) this.originals.set(path, o);
      }
    } catch (err) {
      this.log.warn({ stateFile: this.stateFile, err: (err as Error).message }, 'ignoring unreadable agent state file');
    }
  }

  private async saveState(): Promise<void> {
    if (this.stateFile === null || this.dryRun) return;
    const body = JSON.stringify({ originals: Object.fromEntries(this.originals) });
    try {
      await this.fs.writeFile(this.stateFile, body);
    } catch (err) {
      this.log.warn({ stateFile: this.stateFile, err: (err as Error).message }, 'cannot save agent state file; originals are kept in memory only');
    }
  }

  // ---------------------------------------------------------------- proc

  /** Per-process values (oom_score_adj). Processes that exited are skipped silently. */
  async applyProcs(values: readonly ProcValue[]): Promise<ApplyReport> {
    const report = emptyReport();
    for (const v of values) {
      if (!Number.isInteger(v.pid) || v.pid <= 0) {
        report.refused.push({ target: `${v.pid}/${v.file}`, reason: 'pid must be a positive integer' });
        continue;
      }
      if (v.file !== 'oom_score_adj') {
        report.refused.push({ target: `${v.pid}/${String(v.file)}`, reason: 'only oom_score_adj is managed under proc' });
        continue;
      }
      const path = join(this.procRoot, String(v.pid), v.file);
      const current = await readOptional(this.fs, path);
      if (current === undefined) continue;
      if (current.trim() === v.value.trim()) {
        report.unchanged++;
        continue;
      }
      if (this.dryRun) {
        report.wouldWrite.push({ path, from: current, to: v.value });
        this.log.info({ path, from: current.trim(), to: v.value, strategy: v.strategy }, 'dry-run: would write');
        this.hooks?.write('proc', v.file, 'dry-run');
        continue;
      }
      try {
        await this.fs.writeFile(path, v.value);
        report.written++;
        this.hooks?.write('proc', v.file, 'ok');
      } catch (err) {
        const code = errnoOf(err) ?? 'EIO';
        if (GONE_CODES.has(code)) continue;
        report.failed.push({ path, file: v.file, value: v.value, code, message: `write ${v.file}=${v.value} for pid ${v.pid}: ${code}` });
        this.hooks?.write('proc', v.file, 'error');
      }
    }
    return report;
  }

  // ---------------------------------------------------------------- resctrl

  /**
   * Make the resctrl groups with our prefix match the plan: create missing
   * groups, remove stale ones (their tasks fall back to the default group),
   * write schemata lines that differ, and add missing threads one TID per write.
   */
  async applyResctrl(plan: ResctrlPlan | null): Promise<ApplyReport> {
    const report = emptyReport();
    const root = this.resctrlRoot;
    if (root === null || plan === null) return report;
    if (!(await this.fs.isDirectory(root))) return report;
    const wanted = new Set(plan.groups.map((g) => g.name));
    for (const e of await this.fs.readdir(root)) {
      if (!e.isDirectory || !e.name.startsWith(this.groupPrefix) || wanted.has(e.name)) continue;
      await this.resctrlOp(report, join(root, e.name), 'rmdir', () => this.fs.rmdir(join(root, e.name)));
    }
    for (const g of plan.groups) {
      if (!g.name.startsWith(this.groupPrefix) || !GROUP_NAME_RE.test(g.name)) {
        report.refused.push({ target: g.name, reason: `resctrl group names must start with "${this.groupPrefix}" and be lowercase [a-z0-9-]` });
        continue;
      }
      const dir = join(root, g.name);
      if (!(await this.fs.isDirectory(dir))) {
        const ok = await this.resctrlOp(report, dir, 'mkdir', () => this.fs.mkdir(dir));
        if (!ok || this.dryRun) continue;
      }
      await this.applySchemata(report, root, dir, g.schemata);
      await this.applyTasks(report, dir, g.tids);
    }
    return report;
  }

  private async applySchemata(report: ApplyReport, root: string, dir: string, desired: Map<string, Map<number, string>>): Promise<void> {
    const path = join(dir, 'schemata');
    const current = parseSchemata((await readOptional(this.fs, path)) ?? '');
    for (const [resource, domains] of desired) {
      const have = current.get(resource) ?? new Map<number, string>();
      const changed = new Map([...domains].filter(([id, v]) => have.get(id) === undefined || !sameSchemataValue(resource, have.get(id)!, v)));
      if (changed.size === 0) {
        report.unchanged++;
        continue;
      }
      const line = formatSchemataLine(resource, changed);
      const key = `${path}#${resource}`;
      const f = this.failures.get(key);
      if (f !== undefined && f.value === line && f.until > this.now()) {
        report.backedOff.push(key);
        continue;
      }
      if (this.dryRun) {
        report.wouldWrite.push({ path, from: undefined, to: line });
        this.log.info({ path, to: line }, 'dry-run: would write');
        continue;
      }
      try {
        await this.fs.writeFile(path, `${line}\n`);
        this.failures.delete(key);
        report.written++;
        this.hooks?.write('resctrl', 'schemata', 'ok');
      } catch (err) {
        const code = errnoOf(err) ?? 'EIO';
        const status = ((await readOptional(this.fs, join(root, 'info/last_cmd_status'))) ?? '').trim();
        this.recordFailure(report, key, 'schemata', line, code, `write "${line}" to ${path}: ${code}${status === '' ? '' : ` (kernel: ${status})`}`);
        this.hooks?.write('resctrl', 'schemata', 'error');
      }
    }
  }

  private async applyTasks(report: ApplyReport, dir: string, tids: readonly number[]): Promise<void> {
    const path = join(dir, 'tasks');
    const present = new Set(
      ((await readOptional(this.fs, path)) ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .map(Number),
    );
    for (const tid of tids) {
      if (!Number.isInteger(tid) || tid <= 0 || present.has(tid)) continue;
      if (this.dryRun) {
        report.wouldWrite.push({ path, from: undefined, to: String(tid) });
        continue;
      }
      try {
        // One TID per write(2): the kernel parses a single id per write on older kernels.
        await this.fs.writeFile(path, String(tid));
        report.written++;
        this.hooks?.write('resctrl', 'tasks', 'ok');
      } catch (err) {
        const code = errnoOf(err) ?? 'EIO';
        if (code === 'ESRCH') continue; // the thread exited meanwhile
        report.failed.push({ path, file: 'tasks', value: String(tid), code, message: `move thread ${tid} into ${dir}: ${code}` });
        this.hooks?.write('resctrl', 'tasks', 'error');
      }
    }
  }

  private async resctrlOp(report: ApplyReport, path: string, op: 'mkdir' | 'rmdir', fn: () => Promise<void>): Promise<boolean> {
    if (this.dryRun) {
      report.wouldWrite.push({ path, from: undefined, to: op });
      this.log.info({ path, op }, `dry-run: would ${op}`);
      return true;
    }
    try {
      await fn();
      this.hooks?.write('resctrl', op, 'ok');
      return true;
    } catch (err) {
      const code = errnoOf(err) ?? 'EIO';
      const hint = op === 'mkdir' && code === 'ENOSPC' ? ' (no free CLOSID: too many resctrl groups)' : '';
      report.failed.push({ path, file: op, value: op, code, message: `${op} ${path}: ${code}${hint}` });
      this.hooks?.write('resctrl', op, 'error');
      this.log.error({ path, code }, `${op} failed${hint}`);
      return false;
    }
  }

}

function explain(code: string, file: string): string {
  if (code === 'EACCES' && file.startsWith('cpuset.')) return ' (value is not within the parent cgroup\'s cpuset)';
  if (code === 'EBUSY' && file.startsWith('cpuset.')) return ' (a child cgroup still uses CPUs outside the new value)';
  if (code === 'ENOSPC' && file.startsWith('cpuset.')) return ' (a populated cgroup cannot have an empty cpuset)';
  if (code === 'EINVAL' && file === 'cpu.cfs_quota_us') return ' (below 1000us, or above a limited parent\'s quota)';
  return '';
}

export function mergeReports(a: ApplyReport, b: ApplyReport): ApplyReport {
  return {
    written: a.written + b.written,
    unchanged: a.unchanged + b.unchanged,
    restored: a.restored + b.restored,
    refused: [...a.refused, ...b.refused],
    failed: [...a.failed, ...b.failed],
    backedOff: [...a.backedOff, ...b.backedOff],
    contested: [...a.contested, ...b.contested],
    wouldWrite: [...a.wouldWrite, ...b.wouldWrite],
  };
}
