// A whole fake node: sys topology, proc, cgroup v1 or v2 (cgroupfs or systemd
// layout), optional resctrl, and a tiny "kubelet + runtime" that creates pod and
// container cgroups and starts fake processes in them the way they would.
import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import {
  joinCgroup,
  podDir,
  qosTierDir,
  controllerOfFile,
  parentCgroup,
  type CgroupDriver,
  type CgroupLayout,
  type CgroupVersion,
  type Controller,
} from '../../isolation/cgroup-layout.js';
import type { KubeQosClass } from '../../kube/index.js';
import type { TidepoolQos } from '../../api/index.js';
import type { PodInfo } from '../../isolation/pods.js';
import { FakeFs } from './fake-fs.js';
import {
  CgroupV1Hierarchy,
  CgroupV2Hierarchy,
  FakeProc,
  FakeResctrl,
  ProcessTable,
  buildSys,
  type ResctrlSpec,
  type TopologySpec,
  type V1Controller,
} from './fake-kernel.js';

export interface FakeNodeOptions {
  cgroup: CgroupVersion;
  driver: CgroupDriver;
  topology?: TopologySpec;
  resctrl?: ResctrlSpec | null;
  cpuIdle?: boolean;
  recursiveProt?: boolean;
  vendor?: 'intel' | 'amd';
}

export interface FakePodSpec {
  name: string;
  qos: TidepoolQos;
  qosClass?: KubeQosClass;
  cpuMilli?: number;
  memoryBytes?: number;
  cpuLimitMilli?: number | null;
  memoryLimitBytes?: number | null;
  batchCpuMilli?: number;
  batchMemoryBytes?: number;
  batchCpuLimitMilli?: number | null;
  batchMemoryLimitBytes?: number | null;
  priority?: number;
  containers?: number;
  threadsPerProcess?: number;
}

export interface FakePod {
  info: PodInfo;
  dir: string;
  containerDirs: string[];
  sandboxDir: string;
  /** The pause container's process. */
  sandboxPid: number;
  /** The app containers' processes. */
  pids: number[];
}

const V1_CONTROLLERS: readonly V1Controller[] = ['cpu', 'cpuacct', 'cpuset', 'memory'];

export class FakeNode {
  readonly fs = new FakeFs();
  readonly procs = new ProcessTable();
  readonly proc: FakeProc;
  readonly cpus: number[];
  readonly cgroupRoot = '/sys/fs/cgroup';
  readonly procRoot = '/proc';
  readonly sysRoot = '/sys';
  readonly resctrlRoot = '/sys/fs/resctrl';
  readonly v1: Record<V1Controller, CgroupV1Hierarchy> | null = null;
  readonly v2: CgroupV2Hierarchy | null = null;
  readonly resctrl: FakeResctrl | null = null;
  readonly layout: CgroupLayout;
  private createdAt = 1_700_000_000_000;

  constructor(readonly opts: FakeNodeOptions) {
    const topo = opts.topology ?? { numaNodes: 1, coresPerNode: 4, threadsPerCore: 1 };
    this.cpus = buildSys(this.fs, this.sysRoot, topo);
    const mems = Array.from({ length: topo.numaNodes }, (_, i) => i);
    const mounts: string[] = [];
    if (opts.cgroup === 'v2') mounts.push(`cgroup2 ${this.cgroupRoot} cgroup2 rw,nosuid,nodev,noexec,relatime${opts.recursiveProt === true ? ',memory_recursiveprot' : ''} 0 0`);
    if (opts.resctrl) mounts.push(`resctrl ${this.resctrlRoot} resctrl rw,relatime 0 0`);
    this.proc = new FakeProc(this.fs, this.procRoot, this.procs, { vendor: opts.vendor ?? opts.resctrl?.vendor ?? 'intel', mounts: mounts.join('\n') + '\n' });
    const controllerMounts: Record<Controller, string | null> = { cpu: null, cpuacct: null, cpuset: null, memory: null };
    if (opts.cgroup === 'v1') {
      this.fs.addDir(this.cgroupRoot);
      const h = {} as Record<V1Controller, CgroupV1Hierarchy>;
      for (const c of V1_CONTROLLERS) {
        h[c] = new CgroupV1Hierarchy(this.fs, join(this.cgroupRoot, c), c, this.procs, { onlineCpus: this.cpus, mems, cpuIdle: opts.cpuIdle ?? true });
        controllerMounts[c] = join(this.cgroupRoot, c);
      }
      this.v1 = h;
    } else {
      this.v2 = new CgroupV2Hierarchy(this.fs, this.cgroupRoot, this.procs, { onlineCpus: this.cpus, mems });
      for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory'] as const) controllerMounts[c] = this.cgroupRoot;
    }
    if (opts.resctrl) this.resctrl = new FakeResctrl(this.fs, this.resctrlRoot, this.procs, opts.resctrl);
    this.layout = { root: this.cgroupRoot, version: opts.cgroup, driver: opts.driver, kubepodsParent: '', mounts: controllerMounts };
    this.kubeletSetup();
    this.fs.writes.length = 0;
  }

  /** Absolute path of a cgroup dir in a controller's hierarchy. */
  path(dir: string, controller: Controller = 'cpu'): string {
    const mount = this.layout.mounts[controller]!;
    return dir === '' ? mount : join(mount, dir);
  }

  /** Read a cgroup file of this node (trimmed). */
  read(dir: string, file: string, controller?: Controller): string {
    const ctrl = controller ?? controllerOfFile(file) ?? 'cpu';
    return this.fs.readFileSync(join(this.path(dir, ctrl), file)).trim();
  }

  private mkdirAll(dir: string): void {
    const parts = dir.split('/');
    const controllers: Controller[] = this.opts.cgroup === 'v1' ? [...V1_CONTROLLERS] : ['cpu'];
    for (const c of controllers) {
      let cur = '';
      for (const p of parts) {
        cur = joinCgroup(cur, p);
        const abs = this.path(cur, c);
        if (this.fs.hasDir(abs)) continue;
        // systemd/kubelet delegate the controllers down to the container cgroups.
        if (this.v2 !== null) this.v2.node(dirname(abs)).subtree = new Set(['cpuset', 'cpu', 'memory']);
        this.fs.mkdirSync(abs);
        this.inheritCpuset(cur, c);
      }
    }
  }

  /** runc/kubelet copy the parent's cpus/mems into a new v1 cpuset cgroup. */
  private inheritCpuset(dir: string, c: Controller): void {
    if (this.opts.cgroup !== 'v1' || c !== 'cpuset') return;
    const h = this.v1!.cpuset;
    const node = h.node(this.path(dir, 'cpuset'));
    const parentPath = this.path(parentCgroup(dir), 'cpuset');
    const parent = h.node(parentPath);
    node.cpus = [...parent.cpus];
    node.mems = [...parent.mems];
  }

  private kubeletSetup(): void {
    for (const q of ['Guaranteed', 'Burstable', 'BestEffort'] as const) this.mkdirAll(qosTierDir(this.layout, q));
    if (this.v2 !== null) {
      // kubelet enables the controllers down the tree.
      for (const dir of ['', 'kubepods', 'kubepods.slice', qosTierDir(this.layout, 'Burstable'), qosTierDir(this.layout, 'BestEffort')]) {
        const abs = this.path(dir);
        if (this.fs.hasDir(abs)) this.v2.node(abs).subtree = new Set(['cpuset', 'cpu', 'memory']);
      }
    }
    this.kubeletQosUpdate();
  }

  /** What kubelet's QoS manager does every minute: besteffort gets minimum shares; systemd resets its quota. */
  kubeletQosUpdate(): void {
    const be = qosTierDir(this.layout, 'BestEffort');
    if (this.v1 !== null) {
      this.v1.cpu.node(this.path(be)).shares = 2;
      if (this.opts.driver === 'systemd') this.v1.cpu.node(this.path(be)).quota = -1;
    } else {
      this.v2!.node(this.path(be)).weight = 1;
      if (this.opts.driver === 'systemd') this.v2!.node(this.path(be)).max = 'max 100000';
    }
  }

  addPod(spec: FakePodSpec): FakePod {
    return this.fs.quiet(() => this.addPodQuietly(spec));
  }

  private addPodQuietly(spec: FakePodSpec): FakePod {
    const uid = randomUUID();
    const qosClass: KubeQosClass =
      spec.qosClass ?? (spec.qos === 'offline' && (spec.cpuMilli ?? 0) === 0 && (spec.memoryBytes ?? 0) === 0 ? 'BestEffort' : spec.qos === 'online-exclusive' ? 'Guaranteed' : 'Burstable');
    const dir = podDir(this.layout, uid, qosClass);
    this.mkdirAll(dir);
    const n = spec.containers ?? 1;
    const containerIds = Array.from({ length: n }, () => randomBytes(32).toString('hex'));
    const sandboxId = randomBytes(32).toString('hex');
    const name = (id: string): string => (this.opts.driver === 'systemd' ? `cri-containerd-${id}.scope` : id);
    const sandboxDir = joinCgroup(dir, name(sandboxId));
    const containerDirs = containerIds.map((id) => joinCgroup(dir, name(id)));
    const pids: number[] = [];
    let sandboxPid = 0;
    for (const d of [sandboxDir, ...containerDirs]) {
      this.mkdirAll(d);
      const pid = this.proc.spawn(spec.threadsPerProcess ?? 2);
      this.attach(d, pid);
      if (d !== sandboxDir) pids.push(pid);
      else sandboxPid = pid;
    }
    const cpu = spec.cpuMilli ?? 0;
    const mem = spec.memoryBytes ?? 0;
    const info: PodInfo = {
      uid,
      namespace: 'default',
      name: spec.name,
      phase: 'Running',
      qosClass,
      tidepoolQos: spec.qos,
      priority: spec.priority ?? 0,
      requests: { cpuMilli: cpu, memoryBytes: mem, batchCpuMilli: spec.batchCpuMilli ?? 0, batchMemoryBytes: spec.batchMemoryBytes ?? 0 },
      limits: {
        cpuMilli: spec.cpuLimitMilli ?? null,
        memoryBytes: spec.memoryLimitBytes ?? null,
        batchCpuMilli: spec.batchCpuLimitMilli ?? null,
        batchMemoryBytes: spec.batchMemoryLimitBytes ?? null,
      },
      containers: containerIds.map((id, i) => ({ name: `c${i}`, id, requests: { cpuMilli: Math.floor(cpu / n), memoryBytes: Math.floor(mem / n) } })),
      createdAtMs: this.createdAt++,
    };
    return { info, dir, containerDirs, sandboxDir, sandboxPid, pids };
  }

  /** The runtime puts a process into a container cgroup (every v1 hierarchy). */
  attach(dir: string, pid: number): void {
    const controllers: Controller[] = this.opts.cgroup === 'v1' ? [...V1_CONTROLLERS] : ['cpu'];
    for (const c of controllers) this.fs.writeFileSync(join(this.path(dir, c), 'cgroup.procs'), String(pid));
  }

  /** Pod deleted: processes exit, the runtime and kubelet remove the cgroups. */
  removePod(pod: FakePod): void {
    this.fs.quiet(() => this.removePodQuietly(pod));
  }

  private removePodQuietly(pod: FakePod): void {
    for (const h of this.hierarchies()) {
      for (const d of [pod.sandboxDir, ...pod.containerDirs]) h.procsOf(d).forEach((pid) => this.proc.exit(pid));
    }
    const controllers: Controller[] = this.opts.cgroup === 'v1' ? [...V1_CONTROLLERS] : ['cpu'];
    for (const c of controllers) {
      for (const d of [pod.sandboxDir, ...pod.containerDirs]) this.clearProcs(this.path(d, c));
      for (const d of [pod.sandboxDir, ...pod.containerDirs, pod.dir]) this.fs.rmdirSync(this.path(d, c));
    }
  }

  private clearProcs(abs: string): void {
    if (this.v1 !== null) for (const h of Object.values(this.v1)) h.nodes.get(abs)?.procs.clear();
    else this.v2!.nodes.get(abs)?.procs.clear();
  }

  private hierarchies(): { procsOf(dir: string): number[] }[] {
    if (this.v1 !== null) return [{ procsOf: (d) => [...(this.v1!.cpu.nodes.get(this.path(d, 'cpu'))?.procs ?? [])] }];
    return [{ procsOf: (d) => [...(this.v2!.nodes.get(this.path(d))?.procs ?? [])] }];
  }

  /** Set a pod's cumulative CPU time (ns) and memory use, as the kernel would account it. */
  setUsage(pod: FakePod, cpuNs: bigint, memoryBytes: number): void {
    if (this.v1 !== null) {
      this.v1.cpuacct.node(this.path(pod.dir, 'cpuacct')).usageNs = cpuNs;
      this.v1.memory.node(this.path(pod.dir, 'memory')).memUsage = memoryBytes;
    } else {
      const n = this.v2!.node(this.path(pod.dir));
      n.usageUs = cpuNs / 1000n;
      n.current = memoryBytes;
    }
  }

  /** Successful writes (path -> data) since construction or the last reset. */
  writes(): { path: string; data: string }[] {
    return this.fs.okWrites().map(({ path, data }) => ({ path, data }));
  }

  resetWrites(): void {
    this.fs.writes.length = 0;
  }
}
