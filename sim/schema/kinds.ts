// Which schema definition describes each built-in kind, and the kind's scope. Importing
// this module loads every definition.
import './defs/meta.js';
import './defs/core.js';
import './defs/workloads.js';
import './defs/other.js';
import './defs/rbac.js';
import './defs/policy.js';
import './defs/cronjob.js';
import './defs/networking.js';
import './defs/storage.js';
import './defs/quota.js';
import './defs/admissionregistration.js';
import './defs/autoscaling.js';
import './defs/authentication.js';
import './defs/authorization.js';
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
  K('', 'v1', 'PersistentVolume', `${CORE}.PersistentVolume`, false),
  K('', 'v1', 'ResourceQuota', `${CORE}.ResourceQuota`, true),
  K('', 'v1', 'LimitRange', `${CORE}.LimitRange`, true),
  K('batch', 'v1', 'CronJob', 'io.k8s.api.batch.v1.CronJob', true),
  K('policy', 'v1', 'PodDisruptionBudget', 'io.k8s.api.policy.v1.PodDisruptionBudget', true),
  K('rbac.authorization.k8s.io', 'v1', 'Role', 'io.k8s.api.rbac.v1.Role', true),
  K('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'io.k8s.api.rbac.v1.ClusterRole', false),
  K('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'io.k8s.api.rbac.v1.RoleBinding', true),
  K('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'io.k8s.api.rbac.v1.ClusterRoleBinding', false),
  K('networking.k8s.io', 'v1', 'NetworkPolicy', 'io.k8s.api.networking.v1.NetworkPolicy', true),
  K('networking.k8s.io', 'v1', 'Ingress', 'io.k8s.api.networking.v1.Ingress', true),
  K('networking.k8s.io', 'v1', 'IngressClass', 'io.k8s.api.networking.v1.IngressClass', false),
  K('storage.k8s.io', 'v1', 'StorageClass', 'io.k8s.api.storage.v1.StorageClass', false),
  K('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration', false),
  K('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration', false),
  K('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler', true),
  K('authentication.k8s.io', 'v1', 'TokenRequest', 'io.k8s.api.authentication.v1.TokenRequest', true),
  K('authentication.k8s.io', 'v1', 'TokenReview', 'io.k8s.api.authentication.v1.TokenReview', false),
  K('authentication.k8s.io', 'v1', 'SelfSubjectReview', 'io.k8s.api.authentication.v1.SelfSubjectReview', false),
  K('authorization.k8s.io', 'v1', 'SubjectAccessReview', 'io.k8s.api.authorization.v1.SubjectAccessReview', false),
  K('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'io.k8s.api.authorization.v1.SelfSubjectAccessReview', false),
  K('authorization.k8s.io', 'v1', 'LocalSubjectAccessReview', 'io.k8s.api.authorization.v1.LocalSubjectAccessReview', true),
  K('authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'io.k8s.api.authorization.v1.SelfSubjectRulesReview', false),
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
