/**
 * Gang scheduling, with the Spark deadlock in mind (see gang/reservations.ts):
 * - pre-filter: a gang whose PodGroup is missing waits for it; a gang without a leader (a plain
 *   PodGroup) waits until it has minMember pods at all (coscheduling's rule: holding room for a
 *   gang that cannot complete only blocks others);
 * - reserve, leader: the leader is placed only if slots for its minimum workers can be held
 *   too (simulated placement through the profile's own filters); they are held for a timeout;
 * - reserve, worker: takes one of its gang's slots;
 * - score: workers prefer the nodes holding their gang's slots;
 * - permit, worker: waits until minMember members are placed (bound, assumed, or waiting here),
 *   then all waiting members go to binding together; past the timeout every waiting member is
 *   rejected and its room released (all or nothing). Later members of a complete gang pass.
 *
 * Only a PodGroup states its minMember. A gang known by Volcano's annotation, YuniKorn's app id
 * or Spark's labels has the scheduler's default minimum, which may be more than the app will
 * ever create (a Spark app with one executor): for those, members wait for the default minimum
 * or for every member that exists, whichever is fewer, and the member-count rule does not
 * apply. Their protection against the driver deadlock is the leader's reservation.
 */
import type { SchedulerCache } from '../cache.js';
import { stateKey } from '../framework/cycle-state.js';
import type { PermitPlugin, PreFilterPlugin, PreScorePlugin, ReservePlugin, ScorePlugin } from '../framework/interfaces.js';
import { SKIP, unschedulable, type Status } from '../framework/status.js';
import type { WaitingPod } from '../framework/waiting-pods.js';
import type { GangMembers } from '../gang/members.js';
import type { PodGroupLister } from '../gang/pod-groups.js';
import type { ReservationBook, Slot } from '../gang/reservations.js';
import { inBatchCurrency, resolveGang, workerShape, type GangSettings, type GangSpec } from '../gang/spec.js';
import type { NodeInfo } from '../node-info.js';
import type { SchedPod } from '../types.js';
import { formatResourceList, type Clock, type ResourceAmounts, type TimerHandle } from '../../../kube/index.js';

export const GANG = 'Gang';

interface GangCycle {
  spec: GangSpec;
  /** This cycle created the gang's reservation (leader). */
  created: boolean;
  /** The slot this cycle's worker took. */
  consumed: Slot | undefined;
}

const GANG_STATE = stateKey<GangCycle>(GANG);

/** Checks a would-be worker against the profile's filters: a node test, or why none can pass. */
export type WorkerFeasibility = (worker: SchedPod) => ((node: NodeInfo) => boolean) | string;

export interface GangDeps {
  cache: SchedulerCache;
  members: GangMembers;
  podGroups: PodGroupLister;
  reservations: ReservationBook;
  /** Pods held at permit (the framework's). */
  waiting: { values(): Iterable<WaitingPod> };
  settings: () => GangSettings;
  workerFeasibility: WorkerFeasibility;
  clock: Clock;
}

export interface GangPlugin extends PreFilterPlugin, PreScorePlugin, ScorePlugin, ReservePlugin, PermitPlugin {
  /** A gang lost its last live member: forget that it was complete. */
  gangEmptied(gang: string): void;
  /** Is the gang known to have reached minMember? */
  isComplete(gang: string): boolean;
  close(): void;
}

export function gangPlugin(deps: GangDeps): GangPlugin {
  const complete = new Set<string>();
  const timers = new Map<string, TimerHandle>();

  const placedCount = (gang: string): number => {
    let n = 0;
    for (const m of deps.members.members(gang)) if (deps.cache.pod(m.key)?.node) n++;
    return n;
  };

  const clearTimer = (gang: string): void => {
    const t = timers.get(gang);
    if (t !== undefined) deps.clock.clearTimeout(t);
    timers.delete(gang);
  };

  const waitingOf = (gang: string) => [...deps.waiting.values()].filter((w) => w.pod.gang?.key === gang);

  const markComplete = (gang: string): void => {
    complete.add(gang);
    clearTimer(gang);
    for (const w of waitingOf(gang)) w.allow(GANG);
    // The gang has its minimum: room still held for it would only keep others out.
    deps.reservations.release(gang);
  };

  /** Holds slots for the leader's minimum workers; a reason when they do not fit. */
  const reserveWorkers = (leader: SchedPod, spec: GangSpec, leaderNode: string): string | undefined => {
    const gang = spec.ref.key;
    let alreadyPlaced = 0;
    for (const m of deps.members.members(gang)) if (m.role !== 'leader' && deps.cache.pod(m.key)?.node) alreadyPlaced++;
    const need = spec.minMember - 1 - alreadyPlaced;
    if (need <= 0) return undefined;
    const { amounts, source } = workerShape(spec, leader, deps.members, deps.settings());
    // A Spark driver's or Flink jobmanager's workers are batch work once the webhook has seen them:
    // with no better word on their shape, hold batch room on nodes that publish it, plain elsewhere.
    const batchShape = source === 'default' && leader.role === 'leader' ? inBatchCurrency(amounts) : undefined;
    const holdFor = (requests: ResourceAmounts): SchedPod => ({
      ...leader,
      key: `${leader.namespace}/${leader.name}.worker-reservation`,
      uid: '',
      name: `${leader.name}.worker-reservation`,
      node: '',
      role: 'worker',
      qos: 'offline',
      requests,
      antiAffinity: [],
      gang: undefined,
    });
    // The leader's node first: executors beside their driver keep its traffic local.
    const here = deps.cache.node(leaderNode);
    const nodes = here?.node ? [here, ...deps.cache.nodes().filter((n) => n !== here)] : deps.cache.nodes();
    const publishesBatch = (info: NodeInfo): boolean => info.allocBatchCpu > 0 || info.allocBatchMemory > 0;
    const words = `${spec.ref.name} needs room for ${need} more worker(s) of ${describe(batchShape && nodes.some(publishesBatch) ? batchShape : amounts)} beside its leader`;
    const fitsPlain = deps.workerFeasibility(holdFor(amounts));
    if (typeof fitsPlain === 'string') return `${words}: ${fitsPlain}`;
    const fitsBatch = batchShape ? deps.workerFeasibility(holdFor(batchShape)) : undefined;
    if (typeof fitsBatch === 'string') return `${words}: ${fitsBatch}`;
    const shapeOn = (info: NodeInfo): { shape: ResourceAmounts; fits: (n: NodeInfo) => boolean } =>
      batchShape && fitsBatch && publishesBatch(info) ? { shape: batchShape, fits: fitsBatch } : { shape: amounts, fits: fitsPlain };
    const slots: Slot[] = [];
    for (const info of nodes) {
      const { shape, fits } = shapeOn(info);
      while (slots.length < need && fits(info)) {
        deps.cache.reserve(gang, info.name, shape);
        slots.push({ node: info.name, amounts: shape });
      }
      if (slots.length === need) break;
    }
    if (slots.length < need) {
      for (const s of slots) deps.cache.unreserve(gang, s.node, s.amounts);
      return `${words}, and only ${slots.length} fit`;
    }
    deps.reservations.adopt(gang, leader.key, slots, deps.settings().reservationTimeoutMs);
    return undefined;
  };

  return {
    name: GANG,
    events: ['GangChanged', 'PodGone', 'NodeAdded', 'NodeChanged'],

    preFilter(state, pod) {
      if (!pod.gang) return SKIP;
      const spec = resolveGang(pod.gang, deps.podGroups, deps.settings());
      if (spec.missing) return unschedulable(`gang ${spec.ref.name}: ${spec.missing}`);
      state.write(GANG_STATE, { spec, created: false, consumed: undefined });
      const gang = spec.ref.key;
      if (spec.ref.source === 'pod-group' && pod.role !== 'leader' && !complete.has(gang) && deps.members.leader(gang) === undefined) {
        const total = Math.max(deps.members.count(gang), 1);
        if (total < spec.minMember) {
          return unschedulable(`gang ${spec.ref.name} has ${total} pod(s), fewer than its minMember ${spec.minMember}`);
        }
      }
      // Nothing for a per-node filter to check: the gang's rules are whole-cluster ones.
      return SKIP;
    },

    preScore(state, pod) {
      const gang = pod.gang?.key;
      return gang !== undefined && pod.role !== 'leader' && deps.reservations.has(gang) && state.read(GANG_STATE) ? undefined : SKIP;
    },

    score(_state, pod, info) {
      return deps.reservations.slotsOn(pod.gang!.key, info.name) > 0 ? 100 : 0;
    },

    reserve(state, pod, node): Status | undefined {
      const st = state.read(GANG_STATE);
      if (!st) return undefined;
      const gang = st.spec.ref.key;
      if (pod.role !== 'leader') {
        st.consumed = deps.reservations.consume(gang, node);
        return undefined;
      }
      if (complete.has(gang) || st.spec.minMember <= 1 || deps.reservations.has(gang)) return undefined;
      const why = reserveWorkers(pod, st.spec, node);
      if (why) return unschedulable(`gang ${why}`);
      st.created = true;
      return undefined;
    },

    unreserve(state) {
      const st = state.read(GANG_STATE);
      if (!st) return;
      const gang = st.spec.ref.key;
      if (st.created) {
        deps.reservations.release(gang);
        st.created = false;
      }
      if (st.consumed) {
        deps.reservations.restore(gang, st.consumed);
        st.consumed = undefined;
      }
    },

    permit(state, pod) {
      const st = state.read(GANG_STATE);
      if (!st || pod.role === 'leader') return { status: undefined };
      const gang = st.spec.ref.key;
      if (complete.has(gang)) return { status: undefined };
      const placed = placedCount(gang);
      if (placed >= requiredMembers(st.spec, deps.members)) {
        markComplete(gang);
        return { status: undefined };
      }
      const timeoutMs = st.spec.permitTimeoutMs;
      if (!timers.has(gang)) {
        timers.set(
          gang,
          deps.clock.setTimeout(() => {
            timers.delete(gang);
            if (complete.has(gang)) return;
            const n = placedCount(gang);
            const need = requiredMembers(st.spec, deps.members);
            if (n >= need) {
              markComplete(gang);
              return;
            }
            for (const w of waitingOf(gang)) {
              w.reject(GANG, `gang ${st.spec.ref.name}: only ${n} of its minMember ${need} pods could be placed within ${Math.round(timeoutMs / 1000)}s; released`);
            }
          }, timeoutMs),
        );
      }
      // The gang's own timer rejects first; this is the backstop.
      return { status: { code: 'Wait', reasons: [] }, timeoutMs: timeoutMs + 1_000 };
    },

    gangEmptied(gang) {
      complete.delete(gang);
      clearTimer(gang);
      deps.reservations.release(gang, false);
    },

    isComplete(gang) {
      return complete.has(gang);
    },

    close() {
      for (const t of timers.values()) deps.clock.clearTimeout(t);
      timers.clear();
    },
  };
}

/** minMember for a PodGroup; for a gang with a default minimum, no more than the members that exist. */
function requiredMembers(spec: GangSpec, members: GangMembers): number {
  if (spec.ref.source === 'pod-group') return spec.minMember;
  return Math.max(1, Math.min(spec.minMember, members.count(spec.ref.key)));
}

function describe(amounts: Readonly<ResourceAmounts>): string {
  return Object.entries(formatResourceList(amounts)).map(([k, v]) => `${k} ${v}`).join(', ');
}
