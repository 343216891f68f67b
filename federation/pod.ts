/**
 * What placement needs of a pod, read once from the Kubernetes object: requests, selectors,
 * tolerations, Spark/Flink app membership.
 */
import { podRequests, tidepoolQos, type PodLike, type ResourceAmounts, type TidepoolQos } from '../kube/index.js';
import type { NodeSelectorTerm } from './matching.js';
import type { AppRef, Toleration } from './types.js';

/** Label that marks pods Tidepool placed into a member cluster (mirror pods). */
export const MANAGED_BY_LABEL = 'tidepool.dev/managed-by';

/** The pod fields read here, beyond what kube/resources reads. */
export interface PodObject extends PodLike {
  readonly metadata?: PodLike['metadata'] & { readonly uid?: string };
  readonly spec?: PodLike['spec'] & {
    readonly nodeName?: string;
    readonly nodeSelector?: Readonly<Record<string, string>>;
    readonly tolerations?: readonly Toleration[];
    readonly affinity?: {
      readonly nodeAffinity?: {
        readonly requiredDuringSchedulingIgnoredDuringExecution?: { readonly nodeSelectorTerms?: readonly NodeSelectorTerm[] };
      };
    };
  };
  readonly status?: PodLike['status'] & { readonly phase?: string };
}

export interface PlacementPod {
  /** namespace/name the pod will have in the member cluster: the assumption's key. */
  key: string;
  namespace: string;
  requests: ResourceAmounts;
  nodeSelector: Readonly<Record<string, string>> | undefined;
  affinityTerms: readonly NodeSelectorTerm[];
  tolerations: readonly Toleration[];
  qos: TidepoolQos;
  app: AppRef | undefined;
}

/**
 * Spark: driver and executors share `spark-app-selector`; Flink native: jobmanager and
 * taskmanagers share `app` (the cluster id) with `component`.
 */
export function appRefOf(pod: PodLike): AppRef | undefined {
  const l = pod.metadata?.labels ?? {};
  const ns = pod.metadata?.namespace ?? 'default';
  const spark = l['spark-app-selector'];
  const role = l['spark-role'];
  if (spark && (role === 'driver' || role === 'executor')) return { key: `spark:${ns}/${spark}`, role: role === 'driver' ? 'leader' : 'worker' };
  const flink = l['app'];
  const comp = l['component'];
  if (flink && (comp === 'jobmanager' || comp === 'taskmanager')) return { key: `flink:${ns}/${flink}`, role: comp === 'jobmanager' ? 'leader' : 'worker' };
  return undefined;
}

/** Reads a pod for placement. Throws (naming the pod) on malformed quantities. */
export function placementPod(pod: PodObject, key?: string): PlacementPod {
  const ns = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name;
  if (!name && key === undefined) throw new Error('placement: the pod has no metadata.name');
  const app = appRefOf(pod);
  return {
    key: key ?? `${ns}/${name!}`,
    namespace: ns,
    requests: podRequests(pod),
    nodeSelector: pod.spec?.nodeSelector,
    affinityTerms: pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [],
    tolerations: pod.spec?.tolerations ?? [],
    qos: tidepoolQos(pod),
    app,
  };
}

