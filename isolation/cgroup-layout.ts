// Where kubelet puts pods in the cgroup tree, for cgroup v1 and v2 with the
// cgroupfs and systemd drivers, and how a cgroup file maps to a path on disk.
//
//   cgroupfs: kubepods/pod<uid>                      (Guaranteed)
//             kubepods/burstable/pod<uid>/<container id>
//             kubepods/besteffort/pod<uid>/<container id>
//   systemd:  kubepods.slice/kubepods-pod<uid_>.slice
//             kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope
//             (uid dashes become underscores; docker-<id>.scope, crio-<id>.scope likewise)
import { join } from 'node:path';
import type { KubeQosClass } from '../kube/index.js';
import type { Fs } from './fs.js';

export type CgroupVersion = 'v1' | 'v2';
export type CgroupDriver = 'cgroupfs' | 'systemd';
export type Controller = 'cpu' | 'cpuacct' | 'cpuset' | 'memory';

export const CONTROLLERS: readonly Controller[] = ['cpu', 'cpuacct', 'cpuset', 'memory'];

export interface CgroupLayout {
  /** The cgroup mount root, e.g. /sys/fs/cgroup. */
  readonly root: string;
  readonly version: CgroupVersion;
  readonly driver: CgroupDriver;
  /** kubelet's --cgroup-root as a relative cgroup path ('' for the default "/"). */
  readonly kubepodsParent: string;
  /** Absolute directory of each controller's hierarchy root; null when not mounted/enabled. */
  readonly mounts: Readonly<Record<Controller, string | null>>;
}

/** A relative cgroup path ("kubepods/burstable/pod…"); '' is the root cgroup. */
export type CgroupDir = string;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Static pods carry a hash UID (32 hex) in their kubelet-side cgroup name.
const HASH_UID_RE = /^[0-9a-f]{32}$/;
const CONTAINER_ID_RE = /^[0-9a-f]{64}$/;
const SEGMENT_RE = /^[A-Za-z0-9_.:@-]+$/;

export function isValidPodUid(uid: string): boolean {
  return UUID_RE.test(uid) || HASH_UID_RE.test(uid);
}

export function isValidContainerId(id: string): boolean {
  return CONTAINER_ID_RE.test(id);
}

/** Thrown for identifiers or paths the agent refuses to turn into filesystem paths. */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
}

/** Validate a relative cgroup path: plain segments only, no '.', '..', empty parts or absolute paths. */
export function assertSafeCgroupDir(dir: CgroupDir): void {
  if (dir === '') return;
  if (dir.startsWith('/') || dir.endsWith('/')) throw new UnsafePathError(`cgroup path "${dir}" must be relative without slashes at the ends`);
  for (const seg of dir.split('/')) {
    if (seg === '' || seg === '.' || seg === '..' || !SEGMENT_RE.test(seg)) {
      throw new UnsafePathError(`cgroup path "${dir}" has an unsafe segment "${seg}"`);
    }
  }
}

export function assertSafeFileName(file: string): void {
  if (file === '' || file === '.' || file === '..' || !SEGMENT_RE.test(file)) {
    throw new UnsafePathError(`file name "${file}" is not a plain kernel file name`);
  }
}

export function joinCgroup(...parts: string[]): CgroupDir {
  return parts.filter((p) => p !== '').join('/');
}

export function parentCgroup(dir: CgroupDir): CgroupDir {
  const i = dir.lastIndexOf('/');
  return i < 0 ? '' : dir.slice(0, i);
}

export function cgroupDepth(dir: CgroupDir): number {
  return dir === '' ? 0 : dir.split('/').length;
}

/** Is `dir` equal to or below `ancestor`? */
export function isWithinCgroup(dir: CgroupDir, ancestor: CgroupDir): boolean {
  return ancestor === '' || dir === ancestor || dir.startsWith(`${ancestor}/`);
}

export function kubepodsDir(l: CgroupLayout): CgroupDir {
  return joinCgroup(l.kubepodsParent, l.driver === 'systemd' ? 'kubepods.slice' : 'kubepods');
}

/** The QoS tier cgroup kubelet manages for a class (Guaranteed pods sit directly in kubepods). */
export function qosTierDir(l: CgroupLayout, qos: KubeQosClass): CgroupDir {
  const base = kubepodsDir(l);
  if (qos === 'Guaranteed') return base;
  const tier = qos === 'Burstable' ? 'burstable' : 'besteffort';
  return joinCgroup(base, l.driver === 'systemd' ? `kubepods-${tier}.slice` : tier);
}

export function podDirName(l: CgroupLayout, uid: string, qos: KubeQosClass): string {
  if (!isValidPodUid(uid)) throw new UnsafePathError(`pod UID "${uid}" is not a UUID or a 32-hex static pod hash`);
  if (l.driver === 'cgroupfs') return `pod${uid}`;
  const escaped = uid.replaceAll('-', '_');
  if (qos === 'Guaranteed') return `kubepods-pod${escaped}.slice`;
  return `kubepods-${qos === 'Burstable' ? 'burstable' : 'besteffort'}-pod${escaped}.slice`;
}

export function podDir(l: CgroupLayout, uid: string, qos: KubeQosClass): CgroupDir {
  return joinCgroup(qosTierDir(l, qos), podDirName(l, uid, qos));
}

export type ContainerDirKind = 'container' | 'conmon';

/**
 * Recognise a container cgroup directory name inside a pod cgroup and return
 * the runtime's container ID. Anything else (unknown names) yields null.
 */
export function parseContainerDirName(name: string): { id: string; kind: ContainerDirKind } | null {
  if (isValidContainerId(name)) return { id: name, kind: 'container' };
  const m = /^(cri-containerd|docker|crio|crio-conmon|cri-o)-([0-9a-f]{64})\.scope$/.exec(name) ?? /^(crio|crio-conmon)-([0-9a-f]{64})$/.exec(name);
  if (m === null) return null;
  return { id: m[2]!, kind: m[1] === 'crio-conmon' ? 'conmon' : 'container' };
}

/** The cgroup controller a file belongs to, from its name prefix. */
export function controllerOfFile(file: string): Controller | null {
  if (file.startsWith('cpuset.')) return 'cpuset';
  if (file.startsWith('cpuacct.')) return 'cpuacct';
  if (file.startsWith('cpu.')) return 'cpu';
  if (file.startsWith('memory.')) return 'memory';
  return null;
}

/**
 * Absolute directory of a cgroup. In v1 each controller has its own hierarchy;
 * `controller` picks it (core files like cgroup.procs need it said explicitly).
 */
export function cgroupDirPath(l: CgroupLayout, dir: CgroupDir, controller: Controller): string {
  assertSafeCgroupDir(dir);
  const mount = l.mounts[controller];
  if (mount === null) throw new UnsafePathError(`cgroup controller "${controller}" is not available on this node`);
  return dir === '' ? mount : join(mount, dir);
}

export function cgroupFilePath(l: CgroupLayout, dir: CgroupDir, file: string, controller?: Controller): string {
  assertSafeFileName(file);
  const ctrl = controller ?? controllerOfFile(file);
  if (ctrl === null) throw new UnsafePathError(`cannot tell which controller owns "${file}"; name it explicitly`);
  return join(cgroupDirPath(l, dir, ctrl), file);
}

export interface DetectLayoutOptions {
  root: string;
  driver?: CgroupDriver | 'auto';
  kubepodsParent?: string;
}

/**
 * Detect the cgroup version and per-controller mounts under `root`, and the driver
 * from where kubepods lives (unless given). v2 is recognised by cgroup.controllers
 * at the root; a hybrid host (v1 controllers + cgroup2 at root/unified) is v1.
 */
export async function detectLayout(fs: Fs, opts: DetectLayoutOptions): Promise<CgroupLayout> {
  const root = opts.root;
  const kubepodsParent = opts.kubepodsParent ?? '';
  assertSafeCgroupDir(kubepodsParent);
  if (!(await fs.isDirectory(root))) throw new Error(`cgroup root ${root} is not a directory (check --cgroup-root)`);

  let version: CgroupVersion;
  const mounts: Record<Controller, string | null> = { cpu: null, cpuacct: null, cpuset: null, memory: null };
  if (await fs.exists(join(root, 'cgroup.controllers'))) {
    version = 'v2';
    const enabled = (await fs.readFile(join(root, 'cgroup.controllers'))).trim().split(/\s+/);
    for (const c of CONTROLLERS) {
      // cpuacct has no v2 controller: cpu.stat carries usage and is always present.
      if (c === 'cpuacct' || enabled.includes(c)) mounts[c] = root;
    }
  } else {
    version = 'v1';
    const entries = await fs.readdir(root);
    for (const c of CONTROLLERS) {
      if (await fs.isDirectory(join(root, c))) {
        mounts[c] = join(root, c);
        continue;
      }
      // Co-mounted hierarchies ("cpu,cpuacct") without the usual symlinks.
      const joint = entries.find((e) => e.isDirectory && e.name.split(',').includes(c));
      if (joint !== undefined) mounts[c] = join(root, joint.name);
    }
    if (CONTROLLERS.every((c) => mounts[c] === null)) {
      throw new Error(`no cgroup v1 controllers (cpu, cpuacct, cpuset, memory) and no cgroup v2 found under ${root}`);
    }
  }

  let driver: CgroupDriver;
  if (opts.driver !== undefined && opts.driver !== 'auto') {
    driver = opts.driver;
  } else {
    const probe = mounts.cpu ?? mounts.memory ?? mounts.cpuset ?? root;
    const base = kubepodsParent === '' ? probe : join(probe, kubepodsParent);
    if (await fs.isDirectory(join(base, 'kubepods.slice'))) driver = 'systemd';
    else driver = 'cgroupfs';
  }
  return { root, version, driver, kubepodsParent, mounts };
}
