/** Queue sort: higher spec.priority first, then the pod that has waited longest, first come first served (kube-scheduler's PrioritySort). */
import type { QueueSortPlugin, QueuedPod } from '../framework/interfaces.js';

export const PRIORITY_SORT = 'PrioritySort';

export function prioritySort(): QueueSortPlugin {
  return {
    name: PRIORITY_SORT,
    less(a: QueuedPod, b: QueuedPod): boolean {
      if (a.pod.priority !== b.pod.priority) return a.pod.priority > b.pod.priority;
      if (a.initialQueuedAt !== b.initialQueuedAt) return a.initialQueuedAt < b.initialQueuedAt;
      return a.seq < b.seq;
    },
  };
}
