/**
 * The one narrow interface the virtual node reaches the federation through, as virtual-kubelet's
 * controllers reach their provider: where can this pod run (place), drop a placement (forget),
 * what the pool offers (capacity), which members exist and how to talk to them, and a callback
 * when any of that may have changed. `Federation` implements it; a test can implement it in
 * memory.
 */
import type { KubeClient } from '../kube/index.js';
import type { PlacementResult } from './placement.js';
import type { PodObject } from './pod.js';

/** The free room of one real node: the largest pod that fits there. */
export interface Slot {
  cluster: string;
  node: string;
  /** millicores */
  cpu: number;
  /** bytes */
  memory: number;
}

export interface MemberStatus {
  name: string;
  ready: boolean;
  /** Why not ready (from the member's Ready condition). */
  reason?: string;
  message?: string;
  /** The member's policy lets mirrors use the node's network namespace. */
  allowHostNetwork: boolean;
}

/** What the pool offers now, over ready members: integers (millicores, bytes, units). */
export interface PoolCapacity {
  members: MemberStatus[];
  /**
   * Idle request capacity after each member's headroom and caps, plus the requests already lent
   * there: the host subtracts the pods bound to the virtual node itself. (Lent counts every
   * Tidepool mirror in the member, so with an aggregate and per-cluster nodes side by side each
   * node's figure is an upper bound; placement still checks real room.)
   */
  cpu: number;
  memory: number;
  pods: number;
  /** Free ephemeral storage on the members' schedulable nodes. */
  ephemeralStorage: number;
  /** Reclaimable capacity for batch work, from measured usage. */
  batchCpu: number;
  batchMemory: number;
  /**
   * The largest pods that fit on one node right now: the node with the most free CPU and the
   * node with the most free memory (one entry when they are the same node). Empty when none.
   */
  largestSlots: Slot[];
}

export interface PlaceRequest {
  /** namespace/name the pod will have in the member cluster (the assumption's key). */
  key: string;
  /** Only these members (a per-cluster virtual node); all when absent. */
  clusters?: readonly string[];
}

export interface PoolProvider {
  memberNames(): string[];
  /** Each member's readiness and policy (cheap: no capacity is computed). */
  members(): MemberStatus[];
  /** A client for a member's API (mirror writes, logs, exec); undefined for an unknown member. */
  memberClient(name: string): KubeClient | undefined;
  /** Places a pod (Kubernetes JSON) and holds its requests until the member reports the mirror. Throws on a malformed pod. */
  place(pod: PodObject, request: PlaceRequest): PlacementResult;
  /** Drops a placement (the mirror will not be made, or is gone). */
  forget(cluster: string, key: string): void;
  /** The pool's capacity over all members or only `clusters`. */
  capacity(clusters?: readonly string[]): PoolCapacity;
  /** Called (synchronously, often) after anything that capacity() or readiness shows may have moved. */
  onChange(cb: () => void): () => void;
}
