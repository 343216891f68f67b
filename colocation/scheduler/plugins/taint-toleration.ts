/** NoSchedule / NoExecute taints the pod does not tolerate (kube-scheduler's TaintToleration filter). */
import type { FilterPlugin } from '../framework/interfaces.js';
import { unresolvable, type Status } from '../framework/status.js';
import { untoleratedTaint } from '../../../kube/index.js';
import { ROW_TAINTED } from '../node-table.js';

export const TAINT_TOLERATION = 'TaintToleration';

/** One Status per distinct taint, so a big cluster with one taint makes one object. */
const statuses = new Map<string, Status>();

export function taintToleration(): FilterPlugin {
  const filter: FilterPlugin['filter'] = (_state, pod, info) => {
    const taints = info.taints;
    if (taints.length === 0) return undefined;
    const t = untoleratedTaint(taints, pod.tolerations);
    if (!t) return undefined;
    const reason = `node(s) had untolerated taint {${t.key}: ${t.value}}`;
    let s = statuses.get(reason);
    if (!s) {
      if (statuses.size > 1000) statuses.clear();
      statuses.set(reason, (s = unresolvable(reason)));
    }
    return s;
  };
  return {
    name: TAINT_TOLERATION,
    events: ['NodeAdded', 'NodeChanged'],
    filter,
    filterRows(state, pod, table, rows, count, out) {
      const flags = table.flags;
      for (let j = 0; j < count; j++) {
        const row = rows[j]!;
        out[j] = (flags[row]! & ROW_TAINTED) === 0 ? undefined : filter(state, pod, table.nodes[row]!);
      }
    },
  };
}
