import { describe, expect, it } from 'vitest';
import { contiguousMask, formatMask, isContiguous, waysForPercent } from '../../isolation/cbm.js';
import { Executor } from '../../isolation/executor.js';
import { makePolicy } from '../../isolation/policy.js';
import { readResctrlInfo } from '../../isolation/resctrl-info.js';
import { formatSchemataLine, parseSchemata } from '../../isolation/resctrl-schemata.js';
import { mbValue, planResctrl } from '../../isolation/strategy-resctrl.js';
import { FakeNode } from './fake-node.js';
import type { ResctrlSpec } from './fake-kernel.js';

function node(spec: Partial<ResctrlSpec> = {}): FakeNode {
  return new FakeNode({
    cgroup: 'v1',
    driver: 'cgroupfs',
    resctrl: { vendor: 'intel', cbmLen: 20, minCbmBits: 2, numClosids: 4, cacheIds: [0, 1], mb: { gran: 10, min: 10, max: 100 }, ...spec },
  });
}

function executor(n: FakeNode): Executor {
  return new Executor({ fs: n.fs, layout: n.layout, procRoot: n.procRoot, resctrlRoot: n.resctrlRoot });
}

describe('schemata', () => {
  it('parses lines by cache id, keeping gaps in the ids', () => {
    const ids = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
    const text = `    L3:${ids.map((i) => `${i}=fff`).join(';')}\n    MB:0=100;16=50\n`;
    const s = parseSchemata(text);
    expect([...s.get('L3')!.keys()]).toEqual(ids);
    expect(s.get('MB')).toEqual(new Map([[0, '100'], [16, '50']]));
    expect(formatSchemataLine('MB', s.get('MB')!)).toBe('MB:0=100;16=50');
    expect(() => parseSchemata('L3 0=ff')).toThrow('missing "<resource>:"');
  });
});

describe('cache bit masks', () => {
  it('builds contiguous masks at either end of cbm_mask', () => {
    expect(formatMask(contiguousMask(0xfffffn, 6, 'low'))).toBe('3f');
    expect(formatMask(contiguousMask(0xfffffn, 6, 'high'))).toBe('fc000');
    expect(isContiguous(0x3cn)).toBe(true);
    expect(isContiguous(0x5n)).toBe(false);
  });

  it('rounds a percentage to ways, honouring min_cbm_bits', () => {
    expect(waysForPercent(20, 2, 30)).toBe(6);
    expect(waysForPercent(11, 2, 5)).toBe(2);
    expect(waysForPercent(11, 1, 100)).toBe(11);
  });

  it('sets MB to the granularity and minimum (Intel percent) or a share of the maximum (AMD)', () => {
    expect(mbValue({ bandwidthGran: 10, minBandwidth: 10, numClosids: 4, domainIds: [0], maxValue: 100, unit: 'percent' }, 35)).toBe(30);
    expect(mbValue({ bandwidthGran: 10, minBandwidth: 10, numClosids: 4, domainIds: [0], maxValue: 100, unit: 'percent' }, 5)).toBe(10);
    expect(mbValue({ bandwidthGran: 1, minBandwidth: 0, numClosids: 16, domainIds: [0], maxValue: 2048, unit: 'amd-eighth-gbps' }, 30)).toBe(614);
    expect(mbValue({ bandwidthGran: 1, minBandwidth: 0, numClosids: 16, domainIds: [0], maxValue: 2048, unit: 'mbps' }, 30)).toBeNull();
  });
});

describe('resctrl discovery', () => {
  it('reads L3, MB, closids and ids with gaps from info/ and the default schemata', async () => {
    const n = node({ cacheIds: [0, 1, 2, 3, 16, 17] });
    const info = (await readResctrlInfo(n.fs, n.resctrlRoot, n.procRoot))!;
    expect(info.vendor).toBe('intel');
    expect(info.l3).toEqual([{ name: 'L3', cbmMask: 0xfffffn, cbmLen: 20, minCbmBits: 2, numClosids: 4, sparse: false, domainIds: [0, 1, 2, 3, 16, 17] }]);
    expect(info.mb).toMatchObject({ bandwidthGran: 10, minBandwidth: 10, unit: 'percent', maxValue: 100, domainIds: [0, 1, 2, 3, 16, 17] });
    expect(info.numClosids).toBe(4);
  });

  it('sees CDP as L3CODE + L3DATA and AMD bandwidth as absolute', async () => {
    const n = new FakeNode({ cgroup: 'v1', driver: 'cgroupfs', resctrl: { vendor: 'amd', cbmLen: 16, minCbmBits: 0, numClosids: 16, cacheIds: [0, 1, 2, 3], cdp: true, mb: { gran: 1, min: 0, max: 2048 } } });
    const info = (await readResctrlInfo(n.fs, n.resctrlRoot, n.procRoot))!;
    expect(info.l3.map((r) => r.name)).toEqual(['L3CODE', 'L3DATA']);
    expect(info.l3[0]!.sparse).toBe(true);
    expect(info.mb).toMatchObject({ unit: 'amd-eighth-gbps', maxValue: 2048 });
    const plan = planResctrl({ info, policy: makePolicy({ offlineL3Percent: 25, offlineMbPercent: 50 }), offlineTids: [], onlineTids: [] }).plan;
    const off = plan.groups[0]!;
    expect(off.schemata.get('L3CODE')!.get(0)).toBe('f');
    expect(off.schemata.get('L3DATA')!.get(3)).toBe('f');
    expect(off.schemata.get('MB')!.get(2)).toBe('1024');
  });

  it('returns null when resctrl is not mounted', async () => {
    const n = new FakeNode({ cgroup: 'v1', driver: 'cgroupfs' });
    expect(await readResctrlInfo(n.fs, n.resctrlRoot, n.procRoot)).toBeNull();
  });

  it('keeps online threads in the default group when only two CLOSIDs exist', async () => {
    const n = node({ numClosids: 2 });
    const info = (await readResctrlInfo(n.fs, n.resctrlRoot, n.procRoot))!;
    const d = planResctrl({ info, policy: makePolicy(), offlineTids: [1], onlineTids: [2] });
    expect(d.plan.groups.map((g) => g.name)).toEqual(['tidepool-offline']);
    expect(d.notes).toEqual(['only 2 CLOSIDs: online threads stay in the default group']);
  });
});

describe('resctrl through the executor and the fake kernel', () => {
  it('the fake kernel refuses a non-contiguous mask on Intel, and the error carries last_cmd_status', async () => {
    const n = node();
    const ex = executor(n);
    const r = await ex.applyResctrl({ groups: [{ name: 'tidepool-offline', schemata: new Map([['L3', new Map([[0, '5'], [1, 'f']])]]), tids: [] }] });
    expect(r.failed).toEqual([
      expect.objectContaining({ code: 'EINVAL', message: expect.stringContaining('(kernel: The mask 5 has non-consecutive 1-bits)') }),
    ]);
    expect(n.resctrl!.group('tidepool-offline')!.schemata.get('L3')!.get(1)).toBe('fffff'); // the whole line was rejected
  });

  it('refuses masks shorter than min_cbm_bits and MB below the minimum', async () => {
    const n = node();
    const ex = executor(n);
    const r = await ex.applyResctrl({
      groups: [{ name: 'tidepool-offline', schemata: new Map([['L3', new Map([[0, '1']])], ['MB', new Map([[0, '5']])]]), tids: [] }],
    });
    expect(r.failed.map((f) => f.message)).toEqual([
      expect.stringContaining('Need at least 2 bits in the mask'),
      expect.stringContaining('MB value 5 out of range [10,100]'),
    ]);
  });

  it('AMD accepts sparse masks', async () => {
    const n = node({ vendor: 'amd', minCbmBits: 0 });
    const r = await executor(n).applyResctrl({ groups: [{ name: 'tidepool-offline', schemata: new Map([['L3', new Map([[0, '5']])]]), tids: [] }] });
    expect(r.failed).toEqual([]);
  });

  it('writes only the domains that differ, one TID per write, ignoring threads that exited', async () => {
    const n = node();
    const pid = n.proc.spawn(3);
    const ex = executor(n);
    const plan = { groups: [{ name: 'tidepool-offline', schemata: new Map([['L3', new Map([[0, '3f'], [1, 'fffff']])]]), tids: [pid, pid + 1, pid + 2, 99999] }] };
    const r = await ex.applyResctrl(plan);
    expect(r.failed).toEqual([]);
    const writes = n.writes().filter((w) => w.path.startsWith('/sys/fs/resctrl/tidepool-offline/'));
    expect(writes).toEqual([
      { path: '/sys/fs/resctrl/tidepool-offline/schemata', data: 'L3:0=3f\n' },
      { path: '/sys/fs/resctrl/tidepool-offline/tasks', data: String(pid) },
      { path: '/sys/fs/resctrl/tidepool-offline/tasks', data: String(pid + 1) },
      { path: '/sys/fs/resctrl/tidepool-offline/tasks', data: String(pid + 2) },
    ]);
    expect(n.fs.writes.find((w) => w.data === '99999')?.code).toBe('ESRCH');
    n.resetWrites();
    await ex.applyResctrl(plan);
    expect(n.writes().filter((w) => !w.data.startsWith('9'))).toEqual([]);
  });

  it('removes stale tidepool groups, never touches other groups or the default group', async () => {
    const n = node();
    n.fs.mkdirSync('/sys/fs/resctrl/tidepool-old');
    n.fs.mkdirSync('/sys/fs/resctrl/someone-else');
    const r = await executor(n).applyResctrl({ groups: [] });
    expect(r.failed).toEqual([]);
    expect(n.fs.hasDir('/sys/fs/resctrl/tidepool-old')).toBe(false);
    expect(n.fs.hasDir('/sys/fs/resctrl/someone-else')).toBe(true);
    const bad = await executor(n).applyResctrl({ groups: [{ name: '../x', schemata: new Map(), tids: [] }, { name: 'info', schemata: new Map(), tids: [] }] });
    expect(bad.refused).toHaveLength(2);
  });

  it('reports running out of CLOSIDs', async () => {
    const n = node({ numClosids: 2 });
    n.fs.mkdirSync('/sys/fs/resctrl/someone-else');
    const r = await executor(n).applyResctrl({ groups: [{ name: 'tidepool-offline', schemata: new Map(), tids: [] }] });
    expect(r.failed[0]!.message).toContain('no free CLOSID');
  });
});
