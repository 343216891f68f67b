// Which schema definition describes each built-in kind, and the kind's scope. Importing
// this module loads every definition.
import './defs/meta.js';
import './defs/core.js';
import './defs/workloads.js';
import './defs/other.js';
import type { GroupVersionKind } from './types.js';

export interface BuiltinKind extends GroupVersionKind {
  /** components.schemas name, e.g. io.k8s.api.core.v1.Pod. */
  definition: string;
  namespaced: boolean;
}

const K = (
  group: string,
  version: string,
  kind: string,
  definition: string,
  namespaced: boolean,
): BuiltinKind => ({ group, version, kind, definition, namespaced });

const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const BUILTIN_KINDS: readonly BuiltinKind[] = [
  K('', 'v1', 'Namespace', `${CORE}.Namespace`, false),
  K('', 'v1', 'Node', `${CORE}.Node`, false),
  K('', 'v1', 'Pod', `${CORE}.Pod`, true),
  K('', 'v1', 'ConfigMap', `${CORE}.ConfigMap`, true),
  K('', 'v1', 'Secret', `${CORE}.Secret`, true),
  K('', 'v1', 'ServiceAccount', `${CORE}.ServiceAccount`, true),
  K('', 'v1', 'Event', `${CORE}.Event`, true),
  K('', 'v1', 'Service', `${CORE}.Service`, true),
  K('', 'v1', 'Endpoints', `${CORE}.Endpoints`, true),
  K('', 'v1', 'Binding', `${CORE}.Binding`, true),
  K('', 'v1', 'PersistentVolumeClaim', `${CORE}.PersistentVolumeClaim`, true),
  K('', 'v1', 'Status', `${META}.Status`, false),
  K('', 'v1', 'DeleteOptions', `${META}.DeleteOptions`, false),
  K('apps', 'v1', 'Deployment', 'io.k8s.api.apps.v1.Deployment', true),
  K('apps', 'v1', 'ReplicaSet', 'io.k8s.api.apps.v1.ReplicaSet', true),
  K('apps', 'v1', 'StatefulSet', 'io.k8s.api.apps.v1.StatefulSet', true),
  K('apps', 'v1', 'DaemonSet', 'io.k8s.api.apps.v1.DaemonSet', true),
  K('batch', 'v1', 'Job', 'io.k8s.api.batch.v1.Job', true),
  K('coordination.k8s.io', 'v1', 'Lease', 'io.k8s.api.coordination.v1.Lease', true),
  K('scheduling.k8s.io', 'v1', 'PriorityClass', 'io.k8s.api.scheduling.v1.PriorityClass', false),
  K('events.k8s.io', 'v1', 'Event', 'io.k8s.api.events.v1.Event', true),
  K('policy', 'v1', 'Eviction', 'io.k8s.api.policy.v1.Eviction', true),
  K(
    'apiextensions.k8s.io',
    'v1',
    'CustomResourceDefinition',
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
    false,
  ),
  K('metrics.k8s.io', 'v1beta1', 'NodeMetrics', 'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics', false),
  K('metrics.k8s.io', 'v1beta1', 'PodMetrics', 'io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics', true),
];

/** The built-in kind with this group, version and kind, if the sim knows it. */
export function builtinKind(gvk: GroupVersionKind): BuiltinKind | undefined {
  return BUILTIN_KINDS.find((k) => k.group === gvk.group && k.version === gvk.version && k.kind === gvk.kind);
}

/** "apps/v1" for group apps, "v1" for the core group. */
export function apiVersionOf(gvk: { group: string; version: string }): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}
