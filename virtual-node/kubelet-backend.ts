/**
 * What the kubelet HTTP API (virtual-node/kubelet-api/) asks of the rest of the virtual node:
 * where a host pod's mirror runs, and which host pods the node holds. The pod controller
 * implements it; tests swap in an in-memory one.
 */
import type { KubeClient, RawObject } from '../kube/index.js';

/** A host pod's mirror in a member cluster, and a client for that member's API. */
export interface MirrorLocation {
  /** Member cluster name. */
  cluster: string;
  client: KubeClient;
  namespace: string;
  name: string;
}

export interface KubeletBackend {
  /** The virtual nodes this process serves (the aggregate node and/or one per member). */
  nodeNames(): string[];
  /** The mirror of host pod namespace/name, when it has one; undefined when the pod is unknown or not placed yet. */
  mirrorOf(namespace: string, name: string): MirrorLocation | undefined;
  /** True when host pod namespace/name is bound to one of our nodes (known even before it is placed). */
  hasPod(namespace: string, name: string): boolean;
  /** Host pods bound to our nodes, as the host API has them (for /pods and /stats/summary). */
  hostPods(): RawObject[];
}
