/**
 * What a gang needs, from the most explicit source there is: a PodGroup's minMember,
 * minResources and scheduleTimeoutSeconds; for gangs named only by Volcano's annotation,
 * YuniKorn's app id or Spark's app selector, the scheduler's defaults (api/gang.ts: only a
 * PodGroup has a minMember to read).
 */
import { BATCH_EQUIVALENTS, type GangRef } from '../../../api/index.js';
import type { ResourceAmounts } from '../../../kube/index.js';
import type { SchedPod } from '../types.js';
import type { GangMembers } from './members.js';
import type { PodGroupLister } from './pod-groups.js';

export interface GangSettings {
  /** Workers a leader needs besides itself when no PodGroup says (Spark's spark.executor.instances default, 2). */
  minWorkers: number;
  /** One worker's requests when neither a PodGroup's minResources nor an existing worker tells (Spark's defaults: 1 core, 1 GiB + 384 MiB overhead). */
  workerRequests: Readonly<ResourceAmounts>;
  /** How long a leader's reservation holds room for its workers. Default 5 min. */
  reservationTimeoutMs: number;
  /** How long placed members wait at permit for the rest of their gang (a PodGroup's scheduleTimeoutSeconds overrides). Default 60 s. */
  permitTimeoutMs: number;
}

export const DEFAULT_GANG_SETTINGS: Readonly<GangSettings> = Object.freeze({
  minWorkers: 2,
  workerRequests: Object.freeze({ cpu: 1000, memory: 1408 * 1024 * 1024 }),
  reservationTimeoutMs: 5 * 60_000,
  permitTimeoutMs: 60_000,
});

export interface GangSpec {
  readonly ref: GangRef;
  /** Members (leader included) that must be placed before any worker binds. */
  readonly minMember: number;
  readonly minResources: Readonly<ResourceAmounts> | undefined;
  readonly permitTimeoutMs: number;
  /** Set when the gang's PodGroup is named but not (yet) there. */
  readonly missing: string | undefined;
}

export function resolveGang(ref: GangRef, groups: PodGroupLister, settings: GangSettings): GangSpec {
  if (ref.source === 'pod-group') {
    const pg = groups.get(ref.key);
    if (!pg) return { ref, minMember: 1, minResources: undefined, permitTimeoutMs: settings.permitTimeoutMs, missing: `PodGroup ${ref.name} not found` };
    return {
      ref,
      minMember: pg.minMember,
      minResources: pg.minResources,
      permitTimeoutMs: pg.scheduleTimeoutSeconds !== undefined ? pg.scheduleTimeoutSeconds * 1000 : settings.permitTimeoutMs,
      missing: undefined,
    };
  }
  return { ref, minMember: 1 + settings.minWorkers, minResources: undefined, permitTimeoutMs: settings.permitTimeoutMs, missing: undefined };
}

/** Where a worker's shape came from: what the hold may assume about its currency. */
export type WorkerShapeSource = 'pod-group' | 'worker' | 'default';

/**
 * One worker's requests, for the leader's reservation: the PodGroup's minResources less the
 * leader's, shared among the other members; else a worker that already exists; else the default.
 */
export function workerShape(spec: GangSpec, leader: SchedPod, members: GangMembers, settings: GangSettings): { amounts: ResourceAmounts; source: WorkerShapeSource } {
  const workers = spec.minMember - 1;
  if (spec.minResources && workers > 0) {
    const out: ResourceAmounts = {};
    for (const r in spec.minResources) {
      const each = Math.ceil(Math.max(0, spec.minResources[r]! - (leader.requests[r] ?? 0)) / workers);
      if (each > 0) out[r] = each;
    }
    if (Object.keys(out).length > 0) return { amounts: out, source: 'pod-group' };
  }
  const existing = members.worker(spec.ref.key);
  if (existing && Object.keys(existing.requests).length > 0) return { amounts: { ...existing.requests }, source: 'worker' };
  return { amounts: { ...settings.workerRequests }, source: 'default' };
}

/**
 * The default worker as the admission webhook stores a Spark executor or Flink taskmanager:
 * cpu and memory moved to the batch resources. A leader's hold on a node that publishes batch
 * capacity is taken in that currency (its workers will ask for it); holding plain cpu there
 * would reserve room the workers never use, on nodes full of online requests.
 */
export function inBatchCurrency(amounts: ResourceAmounts): ResourceAmounts {
  const out: ResourceAmounts = { ...amounts };
  for (const [resource, batch] of BATCH_EQUIVALENTS) {
    const v = out[resource];
    if (v === undefined) continue;
    delete out[resource];
    out[batch] = (out[batch] ?? 0) + v;
  }
  return out;
}
