/** spec.nodeSelector and required node affinity (kube-scheduler's NodeAffinity filter). */
import type { FilterPlugin, PreFilterPlugin } from '../framework/interfaces.js';
import { SKIP, unresolvable, type Status } from '../framework/status.js';
import { nodeSelectorTermsMatch } from '../../../kube/index.js';

export const NODE_AFFINITY = 'NodeAffinity';

const MISMATCH: Status = unresolvable("node(s) didn't match Pod's node affinity/selector");

export function nodeAffinity(): PreFilterPlugin & FilterPlugin {
  return {
    name: NODE_AFFINITY,
    events: ['NodeAdded', 'NodeChanged'],
    preFilter(_state, pod) {
      return pod.nodeSelector === undefined && pod.nodeAffinity === undefined ? SKIP : undefined;
    },
    filter(_state, pod, info) {
      const labels = info.labels;
      const sel = pod.nodeSelector;
      if (sel) for (const k in sel) if (labels[k] !== sel[k]) return MISMATCH;
      if (pod.nodeAffinity && !nodeSelectorTermsMatch(pod.nodeAffinity, info.name, labels)) return MISMATCH;
      return undefined;
    },
  };
}
