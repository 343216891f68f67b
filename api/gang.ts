/**
 * Gangs: pods that must be placed together or not at all (a Spark driver and its minimum
 * executors). Tidepool reads the conventions users already follow instead of inventing one:
 * the coscheduling PodGroup (scheduling.x-k8s.io), Volcano's group annotation, YuniKorn's app
 * id, and for plain Spark the app selector.
 */
import { SPARK_APP_SELECTOR_LABEL } from './workloads.js';

/** The scheduler-plugins coscheduling PodGroup CRD (`minMember`, `minResources`, `scheduleTimeoutSeconds`). */
export const POD_GROUP_GROUP = 'scheduling.x-k8s.io';
export const POD_GROUP_VERSION = 'v1alpha1';
export const POD_GROUP_KIND = 'PodGroup';
export const POD_GROUP_PLURAL = 'podgroups';
/** Label on a member pod: the PodGroup's name (same namespace). */
export const POD_GROUP_LABEL = 'scheduling.x-k8s.io/pod-group';
/** Volcano: annotation on a member pod naming its (Volcano) PodGroup. */
export const VOLCANO_GROUP_NAME_ANNOTATION = 'scheduling.k8s.io/group-name';
/** YuniKorn: the application id, a label or an annotation on every pod of the app. */
export const YUNIKORN_APP_ID = 'yunikorn.apache.org/app-id';

export type GangSource = 'pod-group' | 'volcano' | 'yunikorn' | 'spark';

export interface GangRef {
  /** namespace/name: pods with the same key form one gang. */
  key: string;
  /** The group's own name (PodGroup name, Volcano group, YuniKorn app id, Spark app id). */
  name: string;
  /** Which convention named it: only a PodGroup has a minMember to read; the others use policy defaults. */
  source: GangSource;
}

/** Labels and annotations gangOf reads. */
export const GANG_INPUT_LABELS: readonly string[] = [POD_GROUP_LABEL, YUNIKORN_APP_ID, SPARK_APP_SELECTOR_LABEL];
export const GANG_INPUT_ANNOTATIONS: readonly string[] = [VOLCANO_GROUP_NAME_ANNOTATION, YUNIKORN_APP_ID];

interface GangPod {
  readonly metadata?: {
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
}

/** The gang a pod belongs to, first convention found wins (most explicit first); undefined when none. */
export function gangOf(pod: GangPod): GangRef | undefined {
  const ns = pod.metadata?.namespace ?? 'default';
  const labels = pod.metadata?.labels ?? {};
  const annotations = pod.metadata?.annotations ?? {};
  const found: Array<[GangSource, string | undefined]> = [
    ['pod-group', labels[POD_GROUP_LABEL]],
    ['volcano', annotations[VOLCANO_GROUP_NAME_ANNOTATION]],
    ['yunikorn', labels[YUNIKORN_APP_ID] ?? annotations[YUNIKORN_APP_ID]],
    ['spark', labels[SPARK_APP_SELECTOR_LABEL]],
  ];
  for (const [source, name] of found) {
    if (name) return { key: `${ns}/${name}`, name, source };
  }
  return undefined;
}
