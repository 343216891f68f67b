/**
 * Required pod anti-affinity, both ways (kube-scheduler's InterPodAffinity filter, anti part):
 * - the pod's own terms: no node in a topology domain (node label `topologyKey`, e.g.
 *   kubernetes.io/hostname or a zone) that already runs a pod its selector matches;
 * - existing pods' terms: no node in a domain where a running pod's anti-affinity matches the
 *   new pod.
 * Pre-filter scans the pods once and turns both into sets of forbidden domains, so the
 * per-node check is a few label lookups. With no anti-affinity anywhere the filter is skipped.
 * Required pod *affinity* is not supported (yet): such pods are scheduled as if it were absent.
 */
import type { SchedulerCache } from '../cache.js';
import { stateKey } from '../framework/cycle-state.js';
import type { FilterPlugin, PreFilterPlugin } from '../framework/interfaces.js';
import { SKIP, unschedulable, type Status } from '../framework/status.js';
import { labelSelectorMatches } from '../../../kube/index.js';
import type { PodAffinityTerm, SchedPod } from '../types.js';

export const INTER_POD_ANTI_AFFINITY = 'InterPodAntiAffinity';

interface AntiState {
  /** Per own term: its topology key and the domains it forbids. */
  own: Array<{ key: string; domains: Set<string> }>;
  /** topology key -> domains forbidden by existing pods' terms. */
  existing: Map<string, Set<string>>;
}

const ANTI_STATE = stateKey<AntiState>(INTER_POD_ANTI_AFFINITY);
const OWN: Status = unschedulable("node(s) didn't match pod anti-affinity rules");
const EXISTING: Status = unschedulable("node(s) didn't satisfy existing pods anti-affinity rules");

function termMatches(term: PodAffinityTerm, owner: SchedPod, candidate: SchedPod): boolean {
  const namespaces = term.namespaces.length > 0 ? term.namespaces : [owner.namespace];
  return namespaces.includes(candidate.namespace) && labelSelectorMatches(term.selector, candidate.labels);
}

export function interPodAntiAffinity(cache: SchedulerCache): PreFilterPlugin & FilterPlugin {
  return {
    name: INTER_POD_ANTI_AFFINITY,
    events: ['PodGone', 'NodeAdded', 'NodeChanged'],
    preFilter(state, pod) {
      if (pod.antiAffinity.length === 0 && cache.antiAffinityPods === 0) return SKIP;
      const own = pod.antiAffinity.map((t) => ({ key: t.topologyKey, domains: new Set<string>() }));
      const existing = new Map<string, Set<string>>();
      for (const other of cache.allPods()) {
        if (other.key === pod.key) continue;
        const labels = cache.node(other.node)?.node?.labels;
        if (!labels) continue;
        pod.antiAffinity.forEach((t, i) => {
          const domain = labels[t.topologyKey];
          if (domain !== undefined && termMatches(t, pod, other)) own[i]!.domains.add(domain);
        });
        for (const t of other.antiAffinity) {
          const domain = labels[t.topologyKey];
          if (domain === undefined || !termMatches(t, other, pod)) continue;
          let set = existing.get(t.topologyKey);
          if (!set) existing.set(t.topologyKey, (set = new Set()));
          set.add(domain);
        }
      }
      state.write(ANTI_STATE, { own, existing });
      return undefined;
    },
    filter(state, _pod, info) {
      const s = state.read(ANTI_STATE);
      if (!s) return undefined;
      const labels = info.labels;
      for (const t of s.own) {
        const v = labels[t.key];
        if (v !== undefined && t.domains.has(v)) return OWN;
      }
      for (const [key, domains] of s.existing) {
        const v = labels[key];
        if (v !== undefined && domains.has(v)) return EXISTING;
      }
      return undefined;
    },
  };
}
