/**
 * What placement needs of a pod, read once from the Kubernetes object: requests, selectors,
 * tolerations, Spark/Flink app membership.
 */
import { appRefOf, qosClassOf, type AppRef, type TidepoolQos } from '../api/index.js';
import { podRequests, type PodLike, type ResourceAmounts } from '../kube/index.js';
import type { NodeSelectorTerm, Toleration } from '../kube/index.js';


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

/** Reads a pod for placement. Throws (naming the pod) on malformed quantities. */
export function placementPod(pod: PodObject, key?: string): PlacementPod {
  const ns = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name;
  if (!name && key === undefined) throw new Error('placement: the pod has no metadata.name');
  const app = appRefOf(pod);
  const requests = podRequests(pod);
  return {
    key: key ?? `${ns}/${name!}`,
    namespace: ns,
    requests,
    nodeSelector: pod.spec?.nodeSelector,
    affinityTerms: pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [],
    tolerations: pod.spec?.tolerations ?? [],
    qos: qosClassOf(pod, { requests }),
    app,
  };
}

