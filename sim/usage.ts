// Simulated resource usage. A pod's usage comes from its annotations
// (`sim.tidepool.dev/cpu-usage`, `sim.tidepool.dev/memory-usage`: a quantity such as
// `500m` / `2Gi`, or a percentage of the pod's request such as `40%`); without them
// online pods use a share of their request that follows a day/night curve and offline
// pods run near their request, as batch work does. Stated absolute values are exact. Node usage is the sum of its
// running pods plus the system's own overhead. `sim.tidepool.dev/cpu-noise` (a percentage)
// makes a pod's CPU wander around that value, a new draw every simulated minute, the same for
// the same pod and minute on every run: the short bursts a day curve alone would not have.
// A pod whose requests were moved to kubernetes.io/batch-cpu|memory (offline work on reclaimed
// capacity) is measured against those, as it would use them.

import { BATCH_CPU, BATCH_MEMORY } from '../api/index.js';
import { parseQuantity, toMilli, toUnits } from '../kube/index.js';

export const CPU_USAGE_ANNOTATION = 'sim.tidepool.dev/cpu-usage';
export const MEMORY_USAGE_ANNOTATION = 'sim.tidepool.dev/memory-usage';
export const DURATION_ANNOTATION = 'sim.tidepool.dev/duration';
export const CPU_NOISE_ANNOTATION = 'sim.tidepool.dev/cpu-noise';

/** How long one noise draw lasts, in simulated ms. */
export const NOISE_PERIOD_MS = 60_000;

export interface UsageSpec {
  /** Absolute value, or undefined when given as a share of the request. */
  absolute?: number;
  /** Share of the request (0..n). */
  share?: number;
}

/** Parses an annotation value; throws with a message naming the annotation when malformed. */
export function parseUsageSpec(value: string, resource: 'cpu' | 'memory', annotation: string): UsageSpec {
  const v = value.trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (pct) return { share: Number(pct[1]) / 100 };
  try {
    const q = parseQuantity(v);
    return { absolute: resource === 'cpu' ? toMilli(q) : toUnits(q) };
  } catch (e) {
    throw new Error(`annotation ${annotation}: "${value}" is neither a quantity nor a percentage of the request (${(e as Error).message})`);
  }
}

export interface DayCurve {
  /** Length of one simulated day in milliseconds (24 h by default; shorter for demos). */
  dayLengthMs: number;
  /** Lowest and highest multiplier over the day. */
  low: number;
  high: number;
}

export const DEFAULT_DAY_CURVE: DayCurve = { dayLengthMs: 24 * 60 * 60 * 1000, low: 0.5, high: 1.0 };

/** Multiplier in [low, high]: lowest at the start of the day (night), highest at mid-day. */
export function dayFactor(curve: DayCurve, nowMs: number): number {
  const phase = (nowMs % curve.dayLengthMs) / curve.dayLengthMs;
  const wave = (1 - Math.cos(2 * Math.PI * phase)) / 2; // 0 at midnight, 1 at noon
  return curve.low + (curve.high - curve.low) * wave;
}

export interface PodUsageInput {
  offline: boolean;
  cpuRequestMilli: number;
  memoryRequestBytes: number;
  cpu?: UsageSpec;
  memory?: UsageSpec;
  /** CPU wanders by up to ± this share (0..1) around its value (cpu-noise annotation). */
  cpuNoise?: number;
  /** Which pod: the noise differs between pods (a hash of its uid). */
  noiseSeed?: number;
}

/** Parses `sim.tidepool.dev/cpu-noise` ("20%"): a share in [0, 1]; throws naming the annotation. */
export function parseNoise(value: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  const share = m ? Number(m[1]) / 100 : NaN;
  if (!(share >= 0 && share <= 1)) throw new Error(`annotation ${CPU_NOISE_ANNOTATION}: "${value}" is not a percentage from 0% to 100%`);
  return share;
}

/** A 32-bit hash of a string (FNV-1a), to seed a pod's noise from its uid. */
export function hashSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A deterministic draw in [-1, 1] for (seed, period index): the same pod and minute always get the same. */
export function noiseDraw(seed: number, period: number): number {
  let t = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(period | 0, 0xc2b2ae35)) >>> 0;
  t = Math.imul(t ^ (t >>> 16), 0x7feb352d);
  t = Math.imul(t ^ (t >>> 15), 0x846ca68b);
  t = (t ^ (t >>> 16)) >>> 0;
  return (t / 4294967295) * 2 - 1;
}

/**
 * The requests a pod's usage is measured against: cpu and memory plus their batch
 * counterparts (an offline pod mutated onto reclaimed capacity requests only those).
 */
export function usageRequests(requests: Readonly<Record<string, number>>): { cpuRequestMilli: number; memoryRequestBytes: number } {
  return {
    cpuRequestMilli: (requests['cpu'] ?? 0) + (requests[BATCH_CPU] ?? 0),
    memoryRequestBytes: (requests['memory'] ?? 0) + (requests[BATCH_MEMORY] ?? 0),
  };
}

/** Default shares of the request used when a pod states nothing. */
const ONLINE_CPU_SHARE = 0.6;
const ONLINE_MEMORY_SHARE = 0.7;
const OFFLINE_CPU_SHARE = 0.9;
const OFFLINE_MEMORY_SHARE = 0.8;

export function podUsage(p: PodUsageInput, curve: DayCurve, nowMs: number): { cpuMilli: number; memoryBytes: number } {
  // A stated absolute value is taken as is; shares of the request breathe with the day for online pods.
  const factor = p.offline ? 1 : dayFactor(curve, nowMs);
  let cpu = p.cpu?.absolute ?? (p.cpu?.share ?? (p.offline ? OFFLINE_CPU_SHARE : ONLINE_CPU_SHARE)) * p.cpuRequestMilli * factor;
  if (p.cpuNoise) cpu *= 1 + p.cpuNoise * noiseDraw(p.noiseSeed ?? 0, Math.floor(nowMs / NOISE_PERIOD_MS));
  const mem = p.memory?.absolute ?? (p.memory?.share ?? (p.offline ? OFFLINE_MEMORY_SHARE : ONLINE_MEMORY_SHARE)) * p.memoryRequestBytes;
  return { cpuMilli: Math.round(cpu), memoryBytes: Math.round(mem) };
}

/** What the node's own daemons use: 100m + 2 % of capacity, 512 MiB + 2 % of memory. */
export function systemUsage(cpuCapacityMilli: number, memoryCapacityBytes: number): { cpuMilli: number; memoryBytes: number } {
  return {
    cpuMilli: Math.round(100 + 0.02 * cpuCapacityMilli),
    memoryBytes: Math.round(512 * 1024 * 1024 + 0.02 * memoryCapacityBytes),
  };
}

/** Parses `sim.tidepool.dev/duration` ("90s", "5m", "1h30m", or plain seconds). */
export function parseDurationMs(value: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of v.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    consumed += m[0].length;
  }
  if (consumed !== v.length || v.length === 0) throw new Error(`annotation ${DURATION_ANNOTATION}: "${value}" is not a duration like 90s, 5m or 1h30m`);
  return total;
}
