/**
 * The batch capacity of one node, and the breakdown that explains it:
 *
 *   batch = allocatable × reclaimPercent − max(online usage over the window) − system usage − reserved
 *
 * per resource, floored at 0, in integer millicores and bytes. Online usage is its peak over
 * the policy's window, so a lull does not lend out capacity the next burst needs back; system
 * usage (the node's daemons, the kernel) is the latest figure, as it moves slowly. With no load
 * data, or data older than the policy's staleAfterSeconds, the result is 0: offline work is
 * only placed on capacity known to be idle.
 *
 * Pure: the controller gathers the inputs and publishes the result.
 */
import type { EffectiveColocation } from '../../api/index.js';
import { onlineCpuOf, onlineMemoryOf, systemCpuOf, systemMemoryOf, type LoadPeak, type NodeLoadSample } from '../load/index.js';

export interface CpuMemory {
  /** Millicores. */
  cpu: number;
  /** Bytes. */
  memory: number;
}

export interface BatchInputs {
  node: string;
  allocatable: CpuMemory;
  settings: EffectiveColocation;
  /** The policy the settings came from; null for the built-in defaults. */
  policy: string | null;
  reserved: CpuMemory;
  /** The latest sample (undefined: no data) and the peak over the settings' window (undefined: none in it). */
  latest: NodeLoadSample | undefined;
  peak: LoadPeak | undefined;
  now: number;
}

/** Why a node offers no batch capacity whatever its load. */
export type Degraded = 'no-load-data' | 'stale-load-data';

/** What `tidepool.dev/batch-breakdown` holds (JSON) and the capacity API shows. */
export interface BatchBreakdown {
  node: string;
  allocatable: CpuMemory;
  reclaimPercent: CpuMemory;
  /** Peak online usage over the window. */
  onlineUsageMax: CpuMemory;
  systemUsage: CpuMemory;
  reserved: CpuMemory;
  result: CpuMemory;
  /** Age of the latest load sample when computed; null with no data. */
  dataAgeSeconds: number | null;
  source: NodeLoadSample['source'] | null;
  windowSeconds: number;
  staleAfterSeconds: number;
  /** Samples the window held. */
  samples: number;
  policy: string | null;
  pool: string | null;
  /** Set when the result is 0 because the data cannot be trusted. */
  degraded?: Degraded;
  computedAt: string;
}

const ZERO: CpuMemory = { cpu: 0, memory: 0 };

export function computeBatch(i: BatchInputs): BatchBreakdown {
  const s = i.settings;
  const base = {
    node: i.node,
    allocatable: i.allocatable,
    reclaimPercent: { cpu: s.thresholds.reclaimPercent.cpu, memory: s.thresholds.reclaimPercent.memory },
    reserved: i.reserved,
    windowSeconds: s.usageWindowSeconds,
    staleAfterSeconds: s.staleAfterSeconds,
    policy: i.policy,
    pool: s.pool,
    computedAt: new Date(i.now).toISOString(),
  };
  if (i.latest === undefined) {
    return { ...base, onlineUsageMax: ZERO, systemUsage: ZERO, result: ZERO, dataAgeSeconds: null, source: null, samples: 0, degraded: 'no-load-data' };
  }
  const age = ageOf(i.latest, i.now);
  // No sample inside the window (a window shorter than the staleness bound): the latest is all there is.
  const onlineUsageMax = i.peak ? { cpu: i.peak.onlineCpu, memory: i.peak.onlineMemory } : { cpu: onlineCpuOf(i.latest), memory: onlineMemoryOf(i.latest) };
  const systemUsage = { cpu: systemCpuOf(i.latest), memory: systemMemoryOf(i.latest) };
  const stale = age > s.staleAfterSeconds;
  const result = stale
    ? ZERO
    : {
        cpu: reclaimable(i.allocatable.cpu, base.reclaimPercent.cpu, onlineUsageMax.cpu, systemUsage.cpu, i.reserved.cpu),
        memory: reclaimable(i.allocatable.memory, base.reclaimPercent.memory, onlineUsageMax.memory, systemUsage.memory, i.reserved.memory),
      };
  return {
    ...base,
    onlineUsageMax,
    systemUsage,
    result,
    dataAgeSeconds: age,
    source: i.latest.source,
    samples: i.peak?.samples ?? 1,
    ...(stale ? { degraded: 'stale-load-data' as const } : {}),
  };
}

function reclaimable(allocatable: number, percent: number, onlineMax: number, system: number, reserved: number): number {
  // percent may be fractional (65.5): multiply first, floor once, so the result is an integer.
  return Math.max(0, Math.floor((allocatable * percent) / 100 - onlineMax - system - reserved));
}

/** Seconds, to the millisecond. */
function ageOf(s: NodeLoadSample, now: number): number {
  return Math.max(0, now - s.sampledAt) / 1000;
}
