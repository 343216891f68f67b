/**
 * The virtual node's vocabulary: how a virtual node labels and taints itself, and how a mirror
 * pod in a member cluster names its origin. Every room that meets a virtual node or a mirror
 * (federation's capacity model, the virtual node, the scheduler) reads these names.
 */

/** Label every virtual-kubelet carries (the virtual-kubelet project's convention). */
export const VIRTUAL_NODE_TYPE_LABEL = 'type';
export const VIRTUAL_NODE_TYPE_VALUE = 'virtual-kubelet';
/** Tidepool's own marker on its virtual nodes. */
export const TIDEPOOL_VIRTUAL_NODE_LABEL = 'tidepool.dev/virtual-node';
/** The role label `kubectl get nodes` shows in ROLES. */
export const NODE_ROLE_LABEL = 'kubernetes.io/role';
export const VIRTUAL_NODE_ROLE = 'agent';

/** The taint that keeps DaemonSets and unaware pods off a virtual node. */
export const VIRTUAL_NODE_TAINT = { key: 'virtual-kubelet.io/provider', value: 'tidepool', effect: 'NoSchedule' } as const;

/** The largest pod (cpu, memory) that fits on one real member node right now. */
export const LARGEST_SLOT_ANNOTATION = 'tidepool.dev/largest-slot';
/** On a per-cluster virtual node: the member cluster it stands for. */
export const MEMBER_CLUSTER_LABEL = 'tidepool.dev/member-cluster';

/** Label on every object Tidepool made in a member cluster: the virtual node that made it. */
export const MANAGED_BY_LABEL = 'tidepool.dev/managed-by';
/** Label on mirrors and synced objects: the host cluster they came from (selectable, unlike annotations). */
export const ORIGIN_CLUSTER_LABEL = 'tidepool.dev/origin-cluster';
export const ORIGIN_CLUSTER_ANNOTATION = 'tidepool.dev/origin-cluster';
export const ORIGIN_NAMESPACE_ANNOTATION = 'tidepool.dev/origin-namespace';
export const ORIGIN_NAME_ANNOTATION = 'tidepool.dev/origin-name';
export const ORIGIN_UID_ANNOTATION = 'tidepool.dev/origin-uid';
/** On a synced ConfigMap/Secret/ServiceAccount: the mirrors (names) that reference it, comma-separated. */
export const REFERENCED_BY_ANNOTATION = 'tidepool.dev/referenced-by';

export function isVirtualNodeLabels(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[VIRTUAL_NODE_TYPE_LABEL] === VIRTUAL_NODE_TYPE_VALUE;
}

/** A toleration is the virtual node's own when it tolerates the provider taint key. */
export function isVirtualNodeToleration(t: { key?: string; operator?: string }): boolean {
  return t.key === VIRTUAL_NODE_TAINT.key;
}
