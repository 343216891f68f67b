import { describe, expect, it } from 'vitest';
import { nodeFs } from '../../isolation/fs.js';
import { readTopology } from '../../isolation/topology.js';
import { FakeFs } from './fake-fs.js';
import { buildSys } from './fake-kernel.js';

describe('CPU topology from sysfs', () => {
  it('groups hyperthread siblings into cores and orders cores by NUMA node', async () => {
    const fs = new FakeFs();
    buildSys(fs, '/sys', { numaNodes: 2, coresPerNode: 2, threadsPerCore: 2 });
    const t = await readTopology(fs, '/sys');
    expect(t.threadsPerCore).toBe(2);
    expect(t.cores.map((c) => c.cpus)).toEqual([[0, 4], [1, 5], [2, 6], [3, 7]]);
    expect(t.cores.map((c) => c.numaNode)).toEqual([0, 0, 1, 1]);
    expect(t.numaNodes).toEqual([{ id: 0, cpus: [0, 1, 4, 5] }, { id: 1, cpus: [2, 3, 6, 7] }]);
    expect(t.cpus.find((c) => c.id === 6)).toMatchObject({ core: 2, numaNode: 1 });
  });

  it('treats a kernel without NUMA directories as one node', async () => {
    const fs = new FakeFs();
    fs.addFile('/sys/devices/system/cpu/online', '0-1\n');
    const t = await readTopology(fs, '/sys');
    expect(t.numaNodes).toEqual([{ id: 0, cpus: [0, 1] }]);
    expect(t.cores.map((c) => c.cpus)).toEqual([[0], [1]]);
  });

  it('says which flag to check when the sys root is wrong', async () => {
    await expect(readTopology(new FakeFs(), '/nowhere')).rejects.toThrow('check --sys-root');
  });

  it('reads this machine\'s real /sys', async () => {
    const t = await readTopology(nodeFs, '/sys');
    expect(t.cpus.length).toBeGreaterThan(0);
    expect(t.cores.flatMap((c) => c.cpus).sort((a, b) => a - b)).toEqual(t.cpus.map((c) => c.id).sort((a, b) => a - b));
  });
});
