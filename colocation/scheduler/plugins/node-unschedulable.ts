/**
 * Nodes that take no new pods: cordoned (spec.unschedulable) or not Ready. The node lifecycle
 * controller taints such nodes; this plugin gives the same answer from the fields themselves,
 * so a node is refused from the moment it changes, not from when the taint lands.
 */
import type { FilterPlugin } from '../framework/interfaces.js';
import { unresolvable, type Status } from '../framework/status.js';
import { tolerates } from '../../../kube/index.js';
import { ROW_NOT_READY, ROW_UNSCHEDULABLE } from '../node-table.js';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';

const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' };
const NOT_READY_TAINT = { key: 'node.kubernetes.io/not-ready', value: '', effect: 'NoSchedule' };
const CORDONED: Status = unresolvable('node(s) were unschedulable');
const NOT_READY: Status = unresolvable('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');

export function nodeUnschedulable(): FilterPlugin {
  const filter: FilterPlugin['filter'] = (_state, pod, info) => {
    if (info.unschedulable && !pod.tolerations.some((t) => tolerates(t, UNSCHEDULABLE_TAINT))) return CORDONED;
    if (!info.ready && !pod.tolerations.some((t) => tolerates(t, NOT_READY_TAINT))) return NOT_READY;
    return undefined;
  };
  return {
    name: NODE_UNSCHEDULABLE,
    events: ['NodeAdded', 'NodeChanged'],
    filter,
    filterRows(state, pod, table, rows, count, out) {
      const flags = table.flags;
      for (let j = 0; j < count; j++) {
        const row = rows[j]!;
        // Schedulable and ready (nearly every node): nothing to check.
        out[j] = (flags[row]! & (ROW_UNSCHEDULABLE | ROW_NOT_READY)) === 0 ? undefined : filter(state, pod, table.nodes[row]!);
      }
    },
  };
}
