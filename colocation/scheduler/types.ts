/**
 * The scheduler's view of pods: what filter, score, queue and gang code read, projected once
 * from the Pod JSON (pod-info.ts) so that per-node checks never touch raw objects.
 *
 * Amounts are integers as kube/ keeps them: cpu in millicores, memory and batch-memory in
 * bytes, batch-cpu in millicores (its unit is already the millicore), everything else in units.
 */
import type { GangRef, TidepoolQos, WorkloadRole } from '../../api/index.js';
import type { LabelSelector, NodeSelectorTerm, ResourceAmounts, Toleration } from '../../kube/index.js';

/** A required (anti-)affinity term: pods matched by `selector` in `namespaces`, per `topologyKey` domain. */
export interface PodAffinityTerm {
  readonly selector: LabelSelector;
  /** Namespaces the selector looks in; empty means the pod's own namespace. */
  readonly namespaces: readonly string[];
  readonly topologyKey: string;
}

export interface SchedPod {
  /** namespace/name */
  readonly key: string;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** spec.nodeName; '' while unscheduled. */
  readonly node: string;
  readonly phase: string;
  readonly terminating: boolean;
  readonly schedulerName: string;
  readonly priority: number;
  readonly qos: TidepoolQos;
  /** Effective requests (init containers, sidecars, overhead), zero amounts dropped. */
  readonly requests: Readonly<ResourceAmounts>;
  readonly nodeSelector: Readonly<Record<string, string>> | undefined;
  /** Required node affinity terms (ORed); undefined when the pod has none. */
  readonly nodeAffinity: readonly NodeSelectorTerm[] | undefined;
  readonly tolerations: readonly Toleration[];
  /** Required pod anti-affinity terms. */
  readonly antiAffinity: readonly PodAffinityTerm[];
  /** metadata.creationTimestamp in ms (0 when absent). */
  readonly createdAt: number;
  readonly gang: GangRef | undefined;
  /** Spark driver / Flink jobmanager = leader; executor / taskmanager = worker. */
  readonly role: WorkloadRole | undefined;
  /**
   * Why the pod cannot be scheduled as written (a malformed quantity, an unparseable
   * affinity...): such a pod gets an Event and is parked until it changes.
   */
  readonly invalid: string | undefined;
}

/** True for phases that hold no resources any more. */
export function isTerminal(phase: string): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Does a bound pod still count on its node? */
export function holdsResources(pod: SchedPod): boolean {
  return pod.node !== '' && !isTerminal(pod.phase);
}
