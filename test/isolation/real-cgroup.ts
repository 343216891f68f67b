// A private, disposable kubelet-like cgroup tree on the machine's real cgroup v1
// hierarchies, for tests and the benchmark.
//
// Safety rules this module keeps (the machine is shared):
// - everything lives under one `tidepool-test-<random>` directory per controller
//   hierarchy; nothing is ever written to a hierarchy's root cgroup files;
// - only processes this module started are moved, and only into that subtree;
// - the memory hierarchy gets directories (the agent writes limits there) but no
//   processes: moving one out of the memory cgroup it was started in would take it
//   out from under the limits of whoever runs the tests;
// - `destroy()` kills the processes it started and removes every directory it made.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { joinCgroup, podDir, qosTierDir, type CgroupLayout, type Controller } from '../../isolation/cgroup-layout.js';
import type { KubeQosClass } from '../../kube/index.js';
import type { TidepoolQos } from '../../api/index.js';
import type { PodInfo } from '../../isolation/pods.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';
const V1: readonly Controller[] = ['cpu', 'cpuacct', 'cpuset', 'memory'];
/** Hierarchies processes are moved into (see the memory note above). */
const MOVE_INTO: readonly Controller[] = ['cpu', 'cpuacct', 'cpuset'];

/** Why real cgroup tests cannot run here, or null when they can. */
export function realCgroupUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return 'cgroup v2 host (these tests drive cgroup v1; v2 is covered by the fake kernel)';
  for (const c of V1) {
    const dir = join(CGROUP_ROOT, c);
    if (!existsSync(join(dir, 'cgroup.procs'))) return `cgroup v1 ${c} hierarchy not mounted at ${dir}`;
    const probe = join(dir, `tidepool-probe-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(probe);
      rmdirSync(probe);
    } catch (err) {
      return `cannot create cgroups in ${dir}: ${(err as Error).message}`;
    }
  }
  return null;
}

export interface RealPod {
  info: PodInfo;
  dir: string;
  containerDir: string;
  procs: ChildProcess[];
}

export interface RealPodSpec {
  name: string;
  qos: TidepoolQos;
  qosClass: KubeQosClass;
  cpuMilli?: number;
  memoryBytes?: number;
  batchMemoryLimitBytes?: number | null;
  /** Command run in the container cgroup (default: sleep). */
  command?: { file: string; args: string[] };
  processes?: number;
  /** The pod's UID (e.g. from the API server); random when absent. */
  uid?: string;
}

export class RealCgroupTree {
  readonly name = `tidepool-test-${randomBytes(6).toString('hex')}`;
  readonly layout: CgroupLayout;
  private readonly made: string[] = []; // absolute dirs, in creation order
  private readonly children: ChildProcess[] = [];

  constructor() {
    const mounts = Object.fromEntries(V1.map((c) => [c, join(CGROUP_ROOT, c)])) as Record<Controller, string>;
    this.layout = { root: CGROUP_ROOT, version: 'v1', driver: 'cgroupfs', kubepodsParent: this.name, mounts };
    this.mkdirAll(this.name);
    for (const q of ['Guaranteed', 'Burstable', 'BestEffort'] as const) this.mkdirAll(qosTierDir(this.layout, q));
  }

  /** Absolute path of a cgroup dir (relative to a hierarchy root) in one controller. */
  path(dir: string, controller: Controller): string {
    return join(this.layout.mounts[controller]!, dir);
  }

  read(dir: string, file: string, controller: Controller): string {
    return readFileSync(join(this.path(dir, controller), file), 'utf8').trim();
  }

  /** Write a file inside this tree (setup only; the agent's own writes go through its executor). */
  write(dir: string, file: string, controller: Controller, value: string): void {
    if (!dir.startsWith(`${this.name}/`) && dir !== this.name) throw new Error(`refusing to write outside ${this.name}: ${dir}`);
    writeFileSync(join(this.path(dir, controller), file), value);
  }

  private mkdirAll(dir: string): void {
    let cur = '';
    for (const seg of dir.split('/')) {
      cur = joinCgroup(cur, seg);
      for (const c of V1) {
        const abs = this.path(cur, c);
        if (existsSync(abs)) continue;
        mkdirSync(abs);
        this.made.push(abs);
        if (c === 'cpuset') {
          // A new v1 cpuset starts empty; runc/kubelet copy the parent's (mems first).
          const parent = join(abs, '..');
          writeFileSync(join(abs, 'cpuset.mems'), readFileSync(join(parent, 'cpuset.mems'), 'utf8').trim());
          writeFileSync(join(abs, 'cpuset.cpus'), readFileSync(join(parent, 'cpuset.cpus'), 'utf8').trim());
        }
      }
    }
  }

  /** kubelet-like pod: pod<uid>/<container id> with processes in the container cgroup. */
  addPod(spec: RealPodSpec): RealPod {
    const uid = spec.uid ?? randomUUID();
    const containerId = randomBytes(32).toString('hex');
    const dir = podDir(this.layout, uid, spec.qosClass);
    const containerDir = joinCgroup(dir, containerId);
    this.mkdirAll(containerDir);
    const procs: ChildProcess[] = [];
    const cmd = spec.command ?? { file: 'sleep', args: ['600'] };
    for (let i = 0; i < (spec.processes ?? 1); i++) procs.push(this.spawnIn(containerDir, cmd.file, cmd.args));
    const cpu = spec.cpuMilli ?? 0;
    const mem = spec.memoryBytes ?? 0;
    const info: PodInfo = {
      uid,
      namespace: 'default',
      name: spec.name,
      phase: 'Running',
      qosClass: spec.qosClass,
      tidepoolQos: spec.qos,
      priority: 0,
      requests: { cpuMilli: cpu, memoryBytes: mem, batchCpuMilli: 0, batchMemoryBytes: 0 },
      limits: { cpuMilli: null, memoryBytes: null, batchCpuMilli: null, batchMemoryBytes: spec.batchMemoryLimitBytes ?? null },
      containers: [{ name: 'c0', id: containerId, requests: { cpuMilli: cpu, memoryBytes: mem } }],
      createdAtMs: Date.now(),
    };
    return { info, dir, containerDir, procs };
  }

  /** Start a process and move it into a cgroup of this tree (stdout piped, the rest ignored). */
  spawnIn(dir: string, file: string, args: string[]): ChildProcess {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    if (child.pid === undefined) throw new Error(`cannot start ${file}`);
    this.children.push(child);
    try {
      this.attach(dir, child.pid);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    return child;
  }

  /** Move a process this module started into a container cgroup. */
  attach(dir: string, pid: number): void {
    if (!this.children.some((c) => c.pid === pid)) throw new Error(`pid ${pid} was not started by this test tree`);
    for (const c of MOVE_INTO) writeFileSync(join(this.path(dir, c), 'cgroup.procs'), String(pid));
  }

  /** Kill every process started here and remove every directory made here (deepest first). */
  async destroy(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    const errors: string[] = [];
    for (const abs of [...this.made].reverse()) {
      // Anything the code under test created below our dirs goes too.
      for (let attempt = 0; ; attempt++) {
        try {
          removeTree(abs);
          break;
        } catch (err) {
          // A killed task can take a moment to leave its cgroup.
          if (attempt >= 50) {
            errors.push(`${abs}: ${(err as Error).message}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
    if (errors.length > 0) throw new Error(`could not remove test cgroups: ${errors.join('; ')}`);
  }
}

function removeTree(abs: string): void {
  if (!existsSync(abs)) return;
  for (const name of readdirSync(abs)) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) removeTree(p);
  }
  rmdirSync(abs);
}

/** The CPUs a process may run on, as the kernel reports it. */
export function cpusAllowed(pid: number): string {
  const m = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ?? '';
}
