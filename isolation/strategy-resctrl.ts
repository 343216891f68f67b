// resctrl strategy: offline threads share a group limited to a slice of the L3
// ways (low end of the mask) and of memory bandwidth; online threads get their
// own group at the high end when a CLOSID is free for it.
import { contiguousMask, formatMask, waysForPercent } from './cbm.js';
import type { ResctrlGroupPlan, ResctrlPlan } from './desired.js';
import type { IsolationPolicy } from './policy.js';
import type { MbInfo, ResctrlInfo } from './resctrl-info.js';

export const OFFLINE_GROUP = 'tidepool-offline';
export const ONLINE_GROUP = 'tidepool-online';

export interface ResctrlStrategyInput {
  info: ResctrlInfo;
  policy: IsolationPolicy;
  offlineTids: readonly number[];
  onlineTids: readonly number[];
}

export interface ResctrlDecision {
  plan: ResctrlPlan;
  notes: string[];
}

/** MB schemata value for a percentage, honouring granularity and minimum. */
export function mbValue(mb: MbInfo, percent: number): number | null {
  if (mb.unit === 'mbps') return null; // software controller: absolute MBps, not managed by percent
  if (mb.unit === 'amd-eighth-gbps') {
    return Math.max(mb.minBandwidth, 1, Math.floor((mb.maxValue * percent) / 100));
  }
  const gran = Math.max(1, mb.bandwidthGran);
  let v = Math.floor(percent / gran) * gran;
  if (v < mb.minBandwidth) v = Math.ceil(mb.minBandwidth / gran) * gran;
  return Math.min(100, Math.max(gran, v));
}

function group(name: string, info: ResctrlInfo, l3Percent: number, mbPercent: number, end: 'low' | 'high', tids: readonly number[]): ResctrlGroupPlan {
  const schemata = new Map<string, Map<number, string>>();
  for (const r of info.l3) {
    const ways = waysForPercent(r.cbmLen, r.minCbmBits, l3Percent);
    const mask = formatMask(contiguousMask(r.cbmMask, ways, end));
    schemata.set(r.name, new Map(r.domainIds.map((id) => [id, mask])));
  }
  if (info.mb !== null) {
    const v = mbValue(info.mb, mbPercent);
    if (v !== null) schemata.set('MB', new Map(info.mb.domainIds.map((id) => [id, String(v)])));
  }
  return { name, schemata, tids: [...tids] };
}

export function planResctrl(i: ResctrlStrategyInput): ResctrlDecision {
  const notes: string[] = [];
  const { info, policy } = i;
  if (info.l3.length === 0 && info.mb === null) return { plan: { groups: [] }, notes: ['resctrl has neither L3 nor MB resources'] };
  if (info.mb?.unit === 'mbps') notes.push('resctrl mounted with mba_MBps: memory bandwidth is in MBps and left unmanaged');
  // CLOSID 0 is the default group; each of our groups needs one more.
  if (info.numClosids < 2) return { plan: { groups: [] }, notes: [...notes, `only ${info.numClosids} CLOSID(s): no room for an offline group`] };
  const groups = [group(OFFLINE_GROUP, info, policy.offlineL3Percent, policy.offlineMbPercent, 'low', i.offlineTids)];
  if (info.numClosids >= 3) {
    groups.push(group(ONLINE_GROUP, info, policy.onlineL3Percent, policy.onlineMbPercent, 'high', i.onlineTids));
  } else {
    notes.push(`only ${info.numClosids} CLOSIDs: online threads stay in the default group`);
  }
  return { plan: { groups }, notes };
}
