/**
 * What offline eviction keeps of a pod: where it runs, its class (api's qosClassOf), priority,
 * what losing it costs (a Spark executor whose shuffle outlives it, one whose shuffle dies with
 * it, a Flink taskmanager whose loss restarts the job from a checkpoint, or other batch work),
 * when it started, and what evicting it should give back (its batch requests, else its
 * cpu/memory requests).
 */
import { BATCH_CPU, BATCH_MEMORY, qosClassOf, SPARK_ROLE_EXECUTOR, SPARK_ROLE_LABEL, workloadRoleOf, type QosPod, type TidepoolQos } from '../../api/index.js';
import { hasShuffleService } from '../../api/eviction.js';
import { podFields, podRequests, type FieldSchema, type RawObject } from '../../kube/index.js';

export type OfflineWorkload = 'spark-executor-shuffle-service' | 'spark-executor' | 'batch' | 'flink-taskmanager';

export interface EvictionPod {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  phase: string;
  terminating: boolean;
  qos: TidepoolQos;
  priority: number;
  workload: OfflineWorkload;
  /** Clock ms the pod started (status.startTime, else its creation). */
  startedAt: number;
  /** What evicting it should give back: millicores and bytes. */
  release: { cpu: number; memory: number };
}

export const EVICTION_POD_FIELDS: FieldSchema = podFields({
  // All annotations: api's qosClassOf and the shuffle-service marker read them from the raw pod.
  metadata: { labels: true, annotations: true, deletionTimestamp: true, creationTimestamp: true },
  spec: { nodeName: true, priority: true, priorityClassName: true },
  status: { phase: true, startTime: true },
});

export function projectEvictionPod(raw: RawObject): EvictionPod {
  const meta = (raw.metadata ?? {}) as {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    creationTimestamp?: string;
  };
  const spec = (raw['spec'] ?? {}) as { nodeName?: string; priority?: number };
  const status = (raw['status'] ?? {}) as { phase?: string; startTime?: string };
  const pod = raw as unknown as QosPod;
  const requests = podRequests(pod);
  const started = Date.parse(status.startTime ?? meta.creationTimestamp ?? '');
  return {
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    node: spec.nodeName ?? '',
    phase: status.phase ?? 'Pending',
    terminating: typeof meta.deletionTimestamp === 'string' && meta.deletionTimestamp !== '',
    qos: qosClassOf(pod, { requests }),
    priority: typeof spec.priority === 'number' ? spec.priority : 0,
    workload: workloadOf(meta.labels, meta.annotations),
    startedAt: Number.isFinite(started) ? started : 0,
    release: { cpu: requests[BATCH_CPU] || requests['cpu'] || 0, memory: requests[BATCH_MEMORY] || requests['memory'] || 0 },
  };
}

function workloadOf(labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined): OfflineWorkload {
  if (workloadRoleOf(labels) !== 'worker') return 'batch';
  if (labels?.[SPARK_ROLE_LABEL] !== SPARK_ROLE_EXECUTOR) return 'flink-taskmanager';
  return hasShuffleService(labels, annotations) ? 'spark-executor-shuffle-service' : 'spark-executor';
}
