/**
 * Does the pod's request fit the node's free room? Free = allocatable (Node status, batch
 * resources included: kubernetes.io/batch-cpu and batch-memory as the batch controller
 * publishes them) − requests of the pods bound or assumed there − room held for others (gangs,
 * a starving pod: starvation.ts) but not the pod's own. Also the node's pod count. Every short
 * resource is a reason, as in kube-scheduler ("Insufficient cpu", "Too many pods").
 */
import { stateKey } from '../framework/cycle-state.js';
import type { FilterPlugin, PreFilterPlugin } from '../framework/interfaces.js';
import { unschedulable, type Status } from '../framework/status.js';
import { slotOf } from '../node-info.js';
import { ROW_RESERVED } from '../node-table.js';
import { holdKey } from '../starvation.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';

interface FitState {
  names: string[];
  /** Vector slot per name (node-info.ts), -1 for resources outside the vector. */
  slots: number[];
  amounts: number[];
  /** Room held for the pod's gang and for the pod itself (a starvation hold) is free to it. */
  gang: string | undefined;
  own: string;
  /** Every requested resource has a slot: the table's columns can answer for unreserved nodes. */
  allSlots: boolean;
}

const FIT_STATE = stateKey<FitState>(NODE_RESOURCES_FIT);
const TOO_MANY_PODS = 'Too many pods';
const single = new Map<string, Status>();

const insufficientReasons = new Map<string, string>();

/** "Insufficient <resource>", made once per resource name (nodes that are full say it often). */
function insufficient(resource: string): string {
  let r = insufficientReasons.get(resource);
  if (r === undefined) {
    if (insufficientReasons.size > 1000) insufficientReasons.clear();
    insufficientReasons.set(resource, (r = `Insufficient ${resource}`));
  }
  return r;
}

function statusOf(reasons: string[]): Status {
  if (reasons.length !== 1) return unschedulable(...reasons);
  const r = reasons[0]!;
  let s = single.get(r);
  if (!s) {
    if (single.size > 1000) single.clear();
    single.set(r, (s = unschedulable(r)));
  }
  return s;
}

export function nodeResourcesFit(): PreFilterPlugin & FilterPlugin {
  return {
    name: NODE_RESOURCES_FIT,
    events: ['NodeAdded', 'NodeChanged', 'PodGone', 'GangChanged'],
    preFilter(state, pod) {
      const names: string[] = [];
      const slots: number[] = [];
      const amounts: number[] = [];
      for (const r in pod.requests) {
        const v = pod.requests[r]!;
        if (v > 0 && r !== 'pods') {
          names.push(r);
          slots.push(slotOf(r));
          amounts.push(v);
        }
      }
      state.write(FIT_STATE, { names, slots, amounts, gang: pod.gang?.key, own: holdKey(pod.key), allSlots: slots.every((s) => s >= 0) });
      return undefined;
    },
    filter,
    filterRows(state, pod, table, rows, count, out) {
      const fit = state.read(FIT_STATE)!;
      if (!fit.allSlots) {
        for (let j = 0; j < count; j++) out[j] = filter(state, pod, table.nodes[rows[j]!]!);
        return;
      }
      const { flags, podCount, maxPods, alloc, used } = table;
      const n = fit.slots.length;
      for (let j = 0; j < count; j++) {
        const row = rows[j]!;
        // Held room depends on whose it is: the NodeInfo answers.
        if ((flags[row]! & ROW_RESERVED) !== 0) {
          out[j] = filter(state, pod, table.nodes[row]!);
          continue;
        }
        let fits = podCount[row]! + 1 <= maxPods[row]!;
        for (let i = 0; i < n && fits; i++) {
          const slot = fit.slots[i]!;
          fits = fit.amounts[i]! <= alloc[slot]![row]! - used[slot]![row]!;
        }
        // A node that does not fit is judged again by filter(), which names every short resource.
        out[j] = fits ? undefined : filter(state, pod, table.nodes[row]!);
      }
    },
  };
}

const filter: FilterPlugin['filter'] = (state, _pod, info) => {
  const fit = state.read(FIT_STATE)!;
  let reasons: string[] | undefined;
  if (info.podCount + 1 > info.maxPods) (reasons ??= []).push(TOO_MANY_PODS);
  for (let i = 0; i < fit.names.length; i++) {
    const slot = fit.slots[i]!;
    const free = slot >= 0 ? info.freeAt(slot, fit.gang, fit.own) : info.free(fit.names[i]!, fit.gang, fit.own);
    if (fit.amounts[i]! > free) (reasons ??= []).push(insufficient(fit.names[i]!));
  }
  return reasons ? statusOf(reasons) : undefined;
};
