/**
 * The MemberCluster custom resource (cluster-scoped): one member cluster whose idle capacity
 * the virtual node pools. federation/member-spec.ts validates a spec into federation's policy.
 */
export const MEMBER_GROUP = 'tidepool.dev';
export const MEMBER_VERSION = 'v1alpha1';
export const MEMBER_KIND = 'MemberCluster';
export const MEMBER_PLURAL = 'memberclusters';

/** `.spec` as written (in a MemberCluster or one `members` entry of the config file). */
export interface MemberClusterSpec {
  /** A Secret in the host cluster holding the member's kubeconfig. */
  kubeconfigSecretRef?: { name: string; namespace?: string; key?: string; context?: string };
  /** Config file only: a kubeconfig file instead of a Secret. */
  kubeconfig?: string;
  context?: string;
  /** Placement weight, 0..1000. */
  weight?: number;
  /** Share of allocatable batch work may reclaim from measured usage, 0..1. */
  reclaimThreshold?: number;
  /** Mirror pods may use host networking (spec.hostNetwork) in this member. Default false. */
  allowHostNetwork?: boolean;
  maxPods?: number;
  /** A cpu quantity: the most Tidepool lends at once. */
  maxCPU?: string | number;
  paused?: boolean;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }>;
  /** Idle capacity the member keeps for itself: a fraction and/or absolute quantities. */
  headroom?: { fraction?: number; cpu?: string | number; memory?: string | number };
  namespaces?: { allow?: string[]; deny?: string[] };
}

export interface MemberCluster {
  apiVersion: `${typeof MEMBER_GROUP}/${typeof MEMBER_VERSION}`;
  kind: typeof MEMBER_KIND;
  metadata: { name: string; [key: string]: unknown };
  spec: MemberClusterSpec;
  status?: { conditions?: Array<{ type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; lastTransitionTime: string }> };
}
