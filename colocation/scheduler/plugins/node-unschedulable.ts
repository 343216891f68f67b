/**
 * Nodes that take no new pods: cordoned (spec.unschedulable) or not Ready. The node lifecycle
 * controller taints such nodes; this plugin gives the same answer from the fields themselves,
 * so a node is refused from the moment it changes, not from when the taint lands.
 */
import type { FilterPlugin } from '../framework/interfaces.js';
import { unresolvable, type Status } from '../framework/status.js';
import { tolerates } from '../../../kube/index.js';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';

const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' };
const NOT_READY_TAINT = { key: 'node.kubernetes.io/not-ready', value: '', effect: 'NoSchedule' };
const CORDONED: Status = unresolvable('node(s) were unschedulable');
const NOT_READY: Status = unresolvable('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');

export function nodeUnschedulable(): FilterPlugin {
  return {
    name: NODE_UNSCHEDULABLE,
    events: ['NodeAdded', 'NodeChanged'],
    filter(_state, pod, info) {
      if (info.unschedulable && !pod.tolerations.some((t) => tolerates(t, UNSCHEDULABLE_TAINT))) return CORDONED;
      if (!info.ready && !pod.tolerations.some((t) => tolerates(t, NOT_READY_TAINT))) return NOT_READY;
      return undefined;
    },
  };
}
