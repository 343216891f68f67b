/**
 * Spark and Flink on Kubernetes, as their submitters label the pods: which app a pod belongs to
 * and whether it leads the app (Spark driver, Flink jobmanager: losing it loses the job) or
 * works for it (Spark executor, Flink taskmanager: losing one costs a retried task).
 */

/** Spark: set by spark-submit on the driver and every executor. */
export const SPARK_ROLE_LABEL = 'spark-role';
export const SPARK_ROLE_DRIVER = 'driver';
export const SPARK_ROLE_EXECUTOR = 'executor';
/** Spark: the app id, the same on the driver and its executors. */
export const SPARK_APP_SELECTOR_LABEL = 'spark-app-selector';

/** Flink native Kubernetes: `type=flink-native-kubernetes`, `app=<cluster id>`, `component=jobmanager|taskmanager`. */
export const FLINK_TYPE_LABEL = 'type';
export const FLINK_NATIVE_TYPE = 'flink-native-kubernetes';
export const FLINK_APP_LABEL = 'app';
export const FLINK_COMPONENT_LABEL = 'component';
export const FLINK_JOBMANAGER = 'jobmanager';
export const FLINK_TASKMANAGER = 'taskmanager';

/** The labels these rules read: projections that keep only some labels must keep these. */
export const WORKLOAD_LABELS: readonly string[] = [SPARK_ROLE_LABEL, SPARK_APP_SELECTOR_LABEL, FLINK_TYPE_LABEL, FLINK_APP_LABEL, FLINK_COMPONENT_LABEL];

export type WorkloadRole = 'leader' | 'worker';

/** Spark/Flink app membership, for app affinity and gangs. */
export interface AppRef {
  /** e.g. "spark:ns/spark-abc123" or "flink:ns/wordcount". */
  key: string;
  /** driver / jobmanager = leader; executor / taskmanager = worker. */
  role: WorkloadRole;
}

type Labels = Readonly<Record<string, string>>;

function isSparkRole(v: string | undefined): boolean {
  return v === SPARK_ROLE_DRIVER || v === SPARK_ROLE_EXECUTOR;
}

function isFlinkNative(l: Labels): boolean {
  return l[FLINK_TYPE_LABEL] === FLINK_NATIVE_TYPE;
}

/** The pod's role in a Spark or Flink app, from its labels alone; undefined for any other pod. */
export function workloadRoleOf(labels: Labels | undefined): WorkloadRole | undefined {
  const l = labels ?? {};
  const spark = l[SPARK_ROLE_LABEL];
  if (spark === SPARK_ROLE_DRIVER) return 'leader';
  if (spark === SPARK_ROLE_EXECUTOR) return 'worker';
  if (!isFlinkNative(l)) return undefined;
  const component = l[FLINK_COMPONENT_LABEL];
  if (component === FLINK_JOBMANAGER) return 'leader';
  if (component === FLINK_TASKMANAGER) return 'worker';
  return undefined;
}

/**
 * The Spark or Flink app a pod belongs to. Spark: driver and executors share
 * `spark-app-selector`; Flink native: jobmanager and taskmanagers share `app` (the cluster id).
 * A role without its app label names no app: there is nothing to group it with.
 */
export function appRefOf(pod: { readonly metadata?: { readonly namespace?: string; readonly labels?: Labels } }): AppRef | undefined {
  const l = pod.metadata?.labels ?? {};
  const ns = pod.metadata?.namespace ?? 'default';
  const role = workloadRoleOf(l);
  if (role === undefined) return undefined;
  const sparkApp = l[SPARK_APP_SELECTOR_LABEL];
  if (isSparkRole(l[SPARK_ROLE_LABEL])) return sparkApp ? { key: `spark:${ns}/${sparkApp}`, role } : undefined;
  const flinkApp = l[FLINK_APP_LABEL];
  return flinkApp ? { key: `flink:${ns}/${flinkApp}`, role } : undefined;
}
