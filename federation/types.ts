/**
 * The shapes federation/ owns: what the capacity model is fed (the event interface every source
 * speaks), and the capacity document the API, the CLI and the page all show.
 *
 * Amounts are integers: cpu in millicores, memory in bytes, pods and extended resources in units.
 */
import type { AppRef, TidepoolQos } from '../api/index.js';
import type { ResourceAmounts } from '../kube/index.js';

/** A node taint as Kubernetes states it. */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string;
}


/** The projected node the model keeps: never the full object. */
export interface NodeInfo {
  name: string;
  /** allocatable per resource: cpu (millicores), memory (bytes), pods, extended resources. */
  allocatable: ResourceAmounts;
  labels: Readonly<Record<string, string>>;
  taints: readonly Taint[];
  ready: boolean;
  /** spec.unschedulable (cordoned). */
  unschedulable: boolean;
}

/** The projected pod the model keeps. */
export interface PodInfo {
  /** namespace/name in the member cluster. */
  key: string;
  namespace: string;
  nodeName?: string;
  /** Pending, Running, Succeeded, Failed, Unknown. Terminal pods hold no capacity. */
  phase: string;
  requests: ResourceAmounts;
  qos: TidepoolQos;
  /** Placed by Tidepool (label tidepool.dev/managed-by): counts as lent capacity. */
  lent: boolean;
  app?: AppRef;
}

/** Measured usage of a node (metrics.k8s.io or the isolation agent's stream). */
export interface NodeUsage {
  cpu: number;
  memory: number;
}

/**
 * The small event interface between sources and the model. A source (informer, test, benchmark)
 * turns whatever it watches into these; the model never sees a Kubernetes object.
 */
export type CapacityEvent =
  | { kind: 'node-upsert'; node: NodeInfo }
  | { kind: 'node-delete'; name: string }
  | { kind: 'pod-upsert'; pod: PodInfo }
  | { kind: 'pod-delete'; key: string }
  | { kind: 'node-usage'; name: string; usage: NodeUsage };

/** Anything that takes a cluster's events: the model, or a recorder in tests. */
export interface CapacitySink {
  apply(event: CapacityEvent): void;
  /** A relist: forget everything and start from this state (O(n), only after 410 or a reconnect). */
  replace(nodes: readonly NodeInfo[], pods: readonly PodInfo[]): void;
}

/** How much of its idle capacity a cluster keeps for itself, never lent. */
export interface Headroom {
  /** Share of the cluster's idle capacity kept back (0..1). */
  fraction?: number;
  /** Absolute amounts kept back (cpu millicores, memory bytes). */
  cpu?: number;
  memory?: number;
}

/** The per-cluster policy the model and placement need (from config file or MemberCluster). */
export interface ClusterPolicy {
  weight: number;
  labels: Readonly<Record<string, string>>;
  /** Cluster taints: only pods that tolerate them go there. */
  taints: readonly Taint[];
  headroom: Headroom;
  /** Caps on what is lent at once. */
  maxPods?: number;
  maxCpu?: number;
  paused: boolean;
  /** Namespace policy: allow-list (empty = all) and deny-list. */
  namespaces: { allow: readonly string[]; deny: readonly string[] };
  /** Share of allocatable that batch work may reclaim from measured usage (0..1). */
  reclaimThreshold: number;
  /** Mirrors may use the node's network namespace (spec.hostNetwork, as Spark often runs). Default false. */
  allowHostNetwork?: boolean;
}

export const DEFAULT_POLICY: ClusterPolicy = {
  weight: 1,
  labels: {},
  taints: [],
  headroom: {},
  paused: false,
  namespaces: { allow: [], deny: [] },
  reclaimThreshold: 0.8,
};

/** One resource's figures in the capacity document (integers). */
export interface ResourceFigures {
  allocatable: number;
  requested: number;
  /** Σ over schedulable nodes of max(0, allocatable − requests) minus headroom and caps. */
  idle: number;
  /** Requests of pods Tidepool placed there (reported or still assumed). */
  lent: number;
  /** Reclaimable capacity for batch work from measured usage. */
  batch: number;
  usage: number;
  /** The largest free amount on one schedulable node. */
  largestSlot: number;
}

export interface HistogramBucket {
  /** Lower bound, inclusive (millicores or bytes). */
  from: number;
  /** Upper bound, exclusive; null for the last bucket. */
  to: number | null;
  nodes: number;
}

export interface NodeCapacity {
  name: string;
  schedulable: boolean;
  virtual: boolean;
  allocatable: ResourceAmounts;
  requested: ResourceAmounts;
  free: ResourceAmounts;
  usage: NodeUsage | null;
}

export interface ClusterCapacity {
  name: string;
  ready: boolean;
  nodes: number;
  cpu: ResourceFigures;
  memory: ResourceFigures;
  /** Extra detail beyond the documented keys. */
  pods?: { allocatable: number; requested: number; idle: number; lent: number };
  schedulableNodes?: number;
  virtualNodes?: string[];
  paused?: boolean;
  conditions?: Condition[];
  fragmentation?: { cpu: HistogramBucket[]; memory: HistogramBucket[] };
  nodeList?: NodeCapacity[];
}

export interface CapacityDocument {
  clusters: ClusterCapacity[];
  total: { cpu: ResourceFigures; memory: ResourceFigures };
}

export interface Condition {
  type: 'Ready' | 'Reachable' | 'Synced' | 'SpecValid' | string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}
