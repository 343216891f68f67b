/**
 * Tidepool's QoS classes and the one rule that gives a pod its class. The scheduler, the
 * admission webhook, federation and the isolation agent all call qosClassOf, so a pod is
 * classified the same everywhere.
 *
 * - `online`: a service sharing cores with other online pods;
 * - `online-exclusive`: a service on cores of its own (what the kubelet's static CPU manager
 *   would give a Guaranteed pod with whole CPUs);
 * - `offline`: batch work on reclaimed capacity, throttled and evicted first.
 */
import { podRequests, qosClass, containerRequests, type KubeQosClass, type PodLike, type ResourceAmounts } from '../kube/resources.js';
import { OFFLINE_PRIORITY_CLASS } from './priority.js';
import { requestsBatchResources } from './resources.js';
import { FLINK_JOBMANAGER, FLINK_TASKMANAGER, SPARK_ROLE_DRIVER, SPARK_ROLE_EXECUTOR, SPARK_ROLE_LABEL, WORKLOAD_LABELS, workloadRoleOf } from './workloads.js';

export type TidepoolQos = 'online' | 'online-exclusive' | 'offline';
export const QOS_CLASSES: readonly TidepoolQos[] = ['online', 'online-exclusive', 'offline'];

/** Label that states a pod's Tidepool QoS class outright. */
export const QOS_LABEL = 'tidepool.dev/qos';

/** Koordinator's QoS label (values LSE, LSR, LS, BE, SYSTEM); BE is its offline class. */
export const KOORDINATOR_QOS_LABEL = 'koordinator.sh/qosClass';
export const KOORDINATOR_QOS_BE = 'BE';
const KOORDINATOR_QOS_VALUES: ReadonlySet<string> = new Set(['LSE', 'LSR', 'LS', 'BE', 'SYSTEM']);
/**
 * Volcano's QoS level, an annotation in its docs (some users set it as a label; both are read):
 * LC, HLS, LS, BE, or an integer from -7 to 7 where below 0 is offline.
 */
export const VOLCANO_QOS_LEVEL = 'volcano.sh/qos-level';
export const VOLCANO_QOS_BE = 'BE';

/** Labels qosClassOf reads: projections that keep only some labels must keep these. */
export const QOS_INPUT_LABELS: readonly string[] = [QOS_LABEL, KOORDINATOR_QOS_LABEL, VOLCANO_QOS_LEVEL, ...WORKLOAD_LABELS];
/** Annotations qosClassOf reads. */
export const QOS_INPUT_ANNOTATIONS: readonly string[] = [VOLCANO_QOS_LEVEL];

const CLASSES: ReadonlySet<string> = new Set(QOS_CLASSES);

export function isTidepoolQos(v: unknown): v is TidepoolQos {
  return typeof v === 'string' && CLASSES.has(v);
}

/** A pod as qosClassOf reads it: kube's PodLike plus annotations (Volcano's level). */
export interface QosPod extends PodLike {
  readonly metadata?: PodLike['metadata'] & { readonly annotations?: Readonly<Record<string, string>> };
}

/** What a caller may have computed already, so it is not computed twice. */
export interface KnownFigures {
  readonly kubeQos?: KubeQosClass;
  /** podRequests(pod). */
  readonly requests?: Readonly<ResourceAmounts>;
}

export interface QosDecision {
  qos: TidepoolQos;
  /** Why, in words a user can check against the pod (for Events and logs). */
  why: string;
}

/**
 * A pod's Tidepool QoS class, decided in this order (first match wins):
 * 1. the `tidepool.dev/qos` label, when it holds a valid class: the owner said so;
 * 2. requests for batch resources: the pod was placed on reclaimed capacity, so it must be
 *    throttled and evicted like offline work whatever else it says;
 * 3. priority class `tidepool-offline`: the webhook (or an admin) made it preemptible batch work;
 * 4. what users of other systems already set: Koordinator `koordinator.sh/qosClass` (BE is
 *    offline, LSE/LSR/LS/SYSTEM online) and Volcano `volcano.sh/qos-level` (BE or below 0 is
 *    offline, any other valid level online);
 * 5. Spark executors and Flink native taskmanagers are offline (losing one costs a retried
 *    task); Spark drivers and Flink jobmanagers are online (losing one loses the job);
 * 6. a Guaranteed pod whose every long-running container (app containers and sidecars)
 *    requests whole CPUs is online-exclusive;
 * 7. everything else is online.
 * Steps 4–5 decide only offline versus online: an online pod still gets exclusive cores by 6.
 * Throws (naming the pod) when a quantity the rule reads is malformed.
 */
export function qosDecisionOf(pod: QosPod, known: KnownFigures = {}): QosDecision {
  const labels = pod.metadata?.labels ?? {};
  const explicit = labels[QOS_LABEL];
  if (isTidepoolQos(explicit)) return { qos: explicit, why: `label ${QOS_LABEL}=${explicit}` };

  if (requestsBatchResources(known.requests ?? podRequests(pod))) return { qos: 'offline', why: 'it requests batch resources' };
  if (pod.spec?.priorityClassName === OFFLINE_PRIORITY_CLASS) return { qos: 'offline', why: `priority class ${OFFLINE_PRIORITY_CLASS}` };

  const koord = labels[KOORDINATOR_QOS_LABEL];
  if (koord !== undefined && KOORDINATOR_QOS_VALUES.has(koord)) {
    const why = `label ${KOORDINATOR_QOS_LABEL}=${koord}`;
    return koord === KOORDINATOR_QOS_BE ? { qos: 'offline', why } : onlineUnlessExclusive(pod, known, why);
  }
  const volcanoSource = labels[VOLCANO_QOS_LEVEL] !== undefined ? 'label' : 'annotation';
  const volcano = labels[VOLCANO_QOS_LEVEL] ?? pod.metadata?.annotations?.[VOLCANO_QOS_LEVEL];
  const volcanoOffline = volcano === undefined ? undefined : isVolcanoOffline(volcano);
  if (volcanoOffline !== undefined) {
    const why = `${volcanoSource} ${VOLCANO_QOS_LEVEL}=${volcano}`;
    return volcanoOffline ? { qos: 'offline', why } : onlineUnlessExclusive(pod, known, why);
  }

  const role = workloadRoleOf(labels);
  if (role === 'worker') {
    const why = labels[SPARK_ROLE_LABEL] === SPARK_ROLE_EXECUTOR ? 'a Spark executor' : `a Flink ${FLINK_TASKMANAGER}`;
    return { qos: 'offline', why };
  }
  if (role === 'leader') {
    return { qos: 'online', why: labels[SPARK_ROLE_LABEL] === SPARK_ROLE_DRIVER ? 'a Spark driver' : `a Flink ${FLINK_JOBMANAGER}` };
  }
  return onlineUnlessExclusive(pod, known, 'an online pod');
}

/** The pod's Tidepool QoS class; see qosDecisionOf for the rule. */
export function qosClassOf(pod: QosPod, known?: KnownFigures): TidepoolQos {
  return qosDecisionOf(pod, known).qos;
}

/** Volcano's level: true = offline, false = online, undefined = not a level Volcano knows. */
function isVolcanoOffline(level: string): boolean | undefined {
  const v = level.trim();
  if (v === VOLCANO_QOS_BE) return true;
  if (v === 'LC' || v === 'HLS' || v === 'LS') return false;
  if (/^-?[0-7]$/.test(v)) return Number(v) < 0;
  return undefined;
}

function onlineUnlessExclusive(pod: PodLike, known: KnownFigures, why: string): QosDecision {
  if ((known.kubeQos ?? qosClass(pod)) === 'Guaranteed' && requestsWholeCpus(pod)) {
    return { qos: 'online-exclusive', why: `${why}, Guaranteed with whole CPUs` };
  }
  return { qos: 'online', why };
}

function requestsWholeCpus(pod: PodLike): boolean {
  const where = `pod ${pod.metadata?.namespace ? `${pod.metadata.namespace}/` : ''}${pod.metadata?.name ?? '(unnamed)'}`;
  const podLevel = pod.spec?.resources;
  if (podLevel?.requests?.['cpu'] !== undefined || podLevel?.limits?.['cpu'] !== undefined) {
    return isWholeCpus(containerRequests({ name: 'spec.resources', resources: podLevel }, where)['cpu']);
  }
  const longRunning = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  return longRunning.length > 0 && longRunning.every((c) => isWholeCpus(containerRequests(c, where)['cpu']));
}

function isWholeCpus(milli: number | undefined): boolean {
  return milli !== undefined && milli > 0 && milli % 1000 === 0;
}
