// Discover what the resctrl filesystem offers: L3 (or L3CODE/L3DATA with CDP)
// cache masks and MB bandwidth, their limits and the cache/domain ids.
import { join } from 'node:path';
import { parseMask, popcount } from './cbm.js';
import { readOptional, type Fs } from './fs.js';
import { parseSchemata } from './resctrl-schemata.js';

export type CpuVendor = 'intel' | 'amd' | 'unknown';

export interface CacheResourceInfo {
  /** Schemata resource name: L3, or L3CODE and L3DATA when CDP is on. */
  name: string;
  cbmMask: bigint;
  cbmLen: number;
  minCbmBits: number;
  numClosids: number;
  /** Non-contiguous masks accepted (AMD, or info/<res>/sparse_masks = 1). */
  sparse: boolean;
  domainIds: number[];
}

export type MbUnit = 'percent' | 'amd-eighth-gbps' | 'mbps';

export interface MbInfo {
  bandwidthGran: number;
  minBandwidth: number;
  numClosids: number;
  domainIds: number[];
  /** Value of an unthrottled group (100 for percent; e.g. 2048 on AMD). */
  maxValue: number;
  unit: MbUnit;
}

export interface ResctrlInfo {
  root: string;
  vendor: CpuVendor;
  l3: CacheResourceInfo[];
  mb: MbInfo | null;
  /** CLOSIDs usable by all managed resources (the default group holds one). */
  numClosids: number;
}

async function num(fs: Fs, path: string): Promise<number | undefined> {
  const t = await readOptional(fs, path);
  if (t === undefined) return undefined;
  const n = Number(t.trim());
  return Number.isFinite(n) ? n : undefined;
}

export async function readCpuVendor(fs: Fs, procRoot: string): Promise<CpuVendor> {
  const text = (await readOptional(fs, join(procRoot, 'cpuinfo'))) ?? '';
  const m = /^vendor_id\s*:\s*(\S+)/m.exec(text);
  if (m?.[1] === 'GenuineIntel') return 'intel';
  if (m?.[1] === 'AuthenticAMD' || m?.[1] === 'HygonGenuine') return 'amd';
  return 'unknown';
}

/** Mount options of the resctrl mount at `root`, from <proc>/mounts. */
async function mountOptions(fs: Fs, procRoot: string, root: string): Promise<string[]> {
  const text = (await readOptional(fs, join(procRoot, 'mounts'))) ?? '';
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[2] === 'resctrl' && (f[1] === root || f[1] === '/sys/fs/resctrl')) return (f[3] ?? '').split(',');
  }
  return [];
}

/** Read resctrl's info directory; null when resctrl is not mounted at `root`. */
export async function readResctrlInfo(fs: Fs, root: string, procRoot: string): Promise<ResctrlInfo | null> {
  if (!(await fs.isDirectory(join(root, 'info')))) return null;
  const vendor = await readCpuVendor(fs, procRoot);
  const rootSchemata = parseSchemata((await readOptional(fs, join(root, 'schemata'))) ?? '');
  const l3: CacheResourceInfo[] = [];
  for (const name of ['L3', 'L3CODE', 'L3DATA']) {
    const dir = join(root, 'info', name);
    const maskText = await readOptional(fs, join(dir, 'cbm_mask'));
    if (maskText === undefined) continue;
    const cbmMask = parseMask(maskText);
    const sparseFile = await num(fs, join(dir, 'sparse_masks'));
    l3.push({
      name,
      cbmMask,
      cbmLen: popcount(cbmMask),
      minCbmBits: (await num(fs, join(dir, 'min_cbm_bits'))) ?? 1,
      numClosids: (await num(fs, join(dir, 'num_closids'))) ?? 1,
      sparse: sparseFile === undefined ? vendor === 'amd' : sparseFile === 1,
      domainIds: [...(rootSchemata.get(name)?.keys() ?? [])].sort((a, b) => a - b),
    });
  }
  let mb: MbInfo | null = null;
  const mbDir = join(root, 'info', 'MB');
  if (await fs.isDirectory(mbDir)) {
    const defaults = rootSchemata.get('MB') ?? new Map<number, string>();
    const options = await mountOptions(fs, procRoot, root);
    const unit: MbUnit = options.includes('mba_MBps') ? 'mbps' : vendor === 'amd' ? 'amd-eighth-gbps' : 'percent';
    const maxValue = unit === 'percent' ? 100 : Math.max(0, ...[...defaults.values()].map(Number));
    mb = {
      bandwidthGran: (await num(fs, join(mbDir, 'bandwidth_gran'))) ?? 1,
      minBandwidth: (await num(fs, join(mbDir, 'min_bandwidth'))) ?? 0,
      numClosids: (await num(fs, join(mbDir, 'num_closids'))) ?? 1,
      domainIds: [...defaults.keys()].sort((a, b) => a - b),
      maxValue,
      unit,
    };
  }
  const closids = [...l3.map((r) => r.numClosids), ...(mb === null ? [] : [mb.numClosids])];
  return { root, vendor, l3, mb, numClosids: closids.length === 0 ? 0 : Math.min(...closids) };
}
