import { describe, expect, it } from 'vitest';
import {
  cgroupFilePath,
  detectLayout,
  parseContainerDirName,
  podDir,
  qosTierDir,
  type CgroupLayout,
} from '../../isolation/cgroup-layout.js';
import { nodeFs } from '../../isolation/fs.js';
import { FakeFs } from './fake-fs.js';

const UID = '6f1c2a4e-3b1d-4e0a-9c2f-0123456789ab';
const CID = 'a'.repeat(64);

function layout(version: 'v1' | 'v2', driver: 'cgroupfs' | 'systemd'): CgroupLayout {
  const r = '/sys/fs/cgroup';
  const m = version === 'v2' ? { cpu: r, cpuacct: r, cpuset: r, memory: r } : { cpu: `${r}/cpu,cpuacct`, cpuacct: `${r}/cpu,cpuacct`, cpuset: `${r}/cpuset`, memory: `${r}/memory` };
  return { root: r, version, driver, kubepodsParent: '', mounts: m };
}

describe('kubelet cgroup naming', () => {
  it('cgroupfs driver: kubepods/<tier>/pod<uid>', () => {
    const l = layout('v1', 'cgroupfs');
    expect(podDir(l, UID, 'Guaranteed')).toBe(`kubepods/pod${UID}`);
    expect(podDir(l, UID, 'Burstable')).toBe(`kubepods/burstable/pod${UID}`);
    expect(podDir(l, UID, 'BestEffort')).toBe(`kubepods/besteffort/pod${UID}`);
    expect(cgroupFilePath(l, podDir(l, UID, 'Burstable'), 'cpu.shares')).toBe(`/sys/fs/cgroup/cpu,cpuacct/kubepods/burstable/pod${UID}/cpu.shares`);
    expect(cgroupFilePath(l, podDir(l, UID, 'Burstable'), 'cpuset.cpus')).toBe(`/sys/fs/cgroup/cpuset/kubepods/burstable/pod${UID}/cpuset.cpus`);
  });

  it('systemd driver: nested slices with the UID\'s dashes turned into underscores', () => {
    const l = layout('v2', 'systemd');
    const u = UID.replaceAll('-', '_');
    expect(podDir(l, UID, 'Guaranteed')).toBe(`kubepods.slice/kubepods-pod${u}.slice`);
    expect(podDir(l, UID, 'Burstable')).toBe(`kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice`);
    expect(qosTierDir(l, 'BestEffort')).toBe('kubepods.slice/kubepods-besteffort.slice');
    expect(cgroupFilePath(l, podDir(l, UID, 'BestEffort'), 'cpu.max')).toBe(`/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${u}.slice/cpu.max`);
  });

  it('honours kubelet --cgroup-root as a parent', () => {
    const l = { ...layout('v1', 'cgroupfs'), kubepodsParent: 'k8s' };
    expect(podDir(l, UID, 'Burstable')).toBe(`k8s/kubepods/burstable/pod${UID}`);
  });

  it('accepts static-pod hash UIDs and refuses anything else', () => {
    const l = layout('v1', 'cgroupfs');
    expect(podDir(l, '0123456789abcdef0123456789abcdef', 'Guaranteed')).toBe('kubepods/pod0123456789abcdef0123456789abcdef');
    for (const bad of ['../../etc', '', 'ABC', `${UID}/x`, `${UID}\n`]) expect(() => podDir(l, bad, 'Burstable')).toThrow('is not a UUID');
  });

  it('recognises container cgroups of containerd, docker and CRI-O', () => {
    expect(parseContainerDirName(CID)).toEqual({ id: CID, kind: 'container' });
    expect(parseContainerDirName(`cri-containerd-${CID}.scope`)).toEqual({ id: CID, kind: 'container' });
    expect(parseContainerDirName(`docker-${CID}.scope`)).toEqual({ id: CID, kind: 'container' });
    expect(parseContainerDirName(`crio-${CID}.scope`)).toEqual({ id: CID, kind: 'container' });
    expect(parseContainerDirName(`crio-conmon-${CID}.scope`)).toEqual({ id: CID, kind: 'conmon' });
    expect(parseContainerDirName('cri-containerd-abc.scope')).toBeNull();
    expect(parseContainerDirName('..')).toBeNull();
  });

  it('refuses unsafe paths and files', () => {
    const l = layout('v1', 'cgroupfs');
    expect(() => cgroupFilePath(l, 'kubepods/../..', 'cpu.shares')).toThrow('unsafe segment');
    expect(() => cgroupFilePath(l, '/kubepods', 'cpu.shares')).toThrow('must be relative');
    expect(() => cgroupFilePath(l, 'kubepods', '../cpu.shares')).toThrow('not a plain kernel file name');
    expect(() => cgroupFilePath(l, 'kubepods', 'tasks')).toThrow('name it explicitly');
  });
});

describe('layout detection', () => {
  it('detects v1 with co-mounted cpu,cpuacct and the cgroupfs driver', async () => {
    const fs = new FakeFs();
    for (const d of ['cpu,cpuacct/kubepods', 'cpuset', 'memory', 'unified']) fs.addDir(`/cg/${d}`);
    const l = await detectLayout(fs, { root: '/cg' });
    expect(l.version).toBe('v1');
    expect(l.driver).toBe('cgroupfs');
    expect(l.mounts).toEqual({ cpu: '/cg/cpu,cpuacct', cpuacct: '/cg/cpu,cpuacct', cpuset: '/cg/cpuset', memory: '/cg/memory' });
  });

  it('detects v2 and the systemd driver from kubepods.slice', async () => {
    const fs = new FakeFs();
    fs.addFile('/cg/cgroup.controllers', 'cpuset cpu io memory pids\n');
    fs.addDir('/cg/kubepods.slice');
    const l = await detectLayout(fs, { root: '/cg' });
    expect(l).toMatchObject({ version: 'v2', driver: 'systemd', mounts: { cpu: '/cg', cpuset: '/cg', memory: '/cg', cpuacct: '/cg' } });
  });

  it('marks v2 controllers that are not enabled as unavailable', async () => {
    const fs = new FakeFs();
    fs.addFile('/cg/cgroup.controllers', 'memory pids\n');
    const l = await detectLayout(fs, { root: '/cg', driver: 'cgroupfs' });
    expect(l.mounts.cpuset).toBeNull();
    expect(l.mounts.cpu).toBeNull();
  });

  it('names the flag when the root is wrong', async () => {
    await expect(detectLayout(new FakeFs(), { root: '/nope' })).rejects.toThrow('check --cgroup-root');
    await expect(detectLayout(new FakeFs(), { root: '/', kubepodsParent: '../x' })).rejects.toThrow('unsafe segment');
  });

  it('detects this machine\'s real hierarchy (read-only)', async () => {
    const l = await detectLayout(nodeFs, { root: '/sys/fs/cgroup' });
    expect(['v1', 'v2']).toContain(l.version);
    expect(Object.values(l.mounts).some((m) => m !== null)).toBe(true);
  });
});
