// Strategic-merge metadata for the built-in types the simulator serves: which lists merge
// by key and which are replaced whole. This mirrors the `patchStrategy` / `patchMergeKey`
// struct tags in k8s.io/api (core/v1, apps/v1, batch/v1, policy/v1 types.go). A field not
// described here behaves like an untagged field: maps merge, lists are replaced.
//
// Deliberately atomic (no tags upstream, so a patch replaces them whole):
// spec.tolerations, spec.readinessGates, node spec.taints, status.containerStatuses,
// status.initContainerStatuses, status.ephemeralContainerStatuses, container envFrom,
// container resizePolicy, node status.images, statefulset volumeClaimTemplates.

/** The struct-tag patch strategy. `retainKeys` only matters to patch *generation*. */
export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

export interface FieldMeta {
  strategy?: PatchStrategy;
  /** For lists of objects merged by key: the key field (e.g. `name`). */
  mergeKey?: string;
  /** Schema of the field's value, or of each element when the field is a list. */
  schema?: StructMeta;
}

export interface StructMeta {
  readonly fields: Readonly<Record<string, FieldMeta>>;
}

const struct = (fields: Record<string, FieldMeta>): StructMeta => ({ fields });
const mergeBy = (mergeKey: string, schema?: StructMeta): FieldMeta => ({ strategy: 'merge', mergeKey, ...(schema ? { schema } : {}) });
const nested = (schema: StructMeta): FieldMeta => ({ schema });
/** A list of primitives with patchStrategy merge: an unordered set (finalizers, podCIDRs). */
const primitiveSet: FieldMeta = { strategy: 'merge' };
const conditions = mergeBy('type');

export const OBJECT_META = struct({
  finalizers: primitiveSet,
  ownerReferences: mergeBy('uid'),
});

const CONTAINER = struct({
  ports: mergeBy('containerPort'),
  env: mergeBy('name'),
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
});

const POD_SPEC = struct({
  volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  initContainers: mergeBy('name', CONTAINER),
  containers: mergeBy('name', CONTAINER),
  ephemeralContainers: mergeBy('name', CONTAINER),
  imagePullSecrets: mergeBy('name'),
  hostAliases: mergeBy('ip'),
  topologySpreadConstraints: mergeBy('topologyKey'),
  schedulingGates: mergeBy('name'),
  resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name' },
});

const POD_STATUS = struct({
  conditions,
  podIPs: mergeBy('ip'),
  hostIPs: mergeBy('ip'),
  resourceClaimStatuses: { strategy: 'merge,retainKeys', mergeKey: 'name' },
});

const POD_TEMPLATE_SPEC = struct({ metadata: nested(OBJECT_META), spec: nested(POD_SPEC) });

const WITH_CONDITIONS = struct({ conditions });

/** A top-level object: metadata plus the given spec/status (or other top-level fields). */
const object = (fields: Record<string, FieldMeta> = {}): StructMeta => struct({ metadata: nested(OBJECT_META), ...fields });

const workload = (specExtra: Record<string, FieldMeta> = {}): StructMeta =>
  object({
    spec: nested(struct({ template: nested(POD_TEMPLATE_SPEC), ...specExtra })),
    status: nested(WITH_CONDITIONS),
  });

const JOB_SPEC = struct({ template: nested(POD_TEMPLATE_SPEC) });

/** Keyed by `<group>/<Kind>`, the core group being the empty string (`/Pod`). */
const BY_KIND: Readonly<Record<string, StructMeta>> = {
  '/Pod': object({ spec: nested(POD_SPEC), status: nested(POD_STATUS) }),
  '/PodTemplate': object({ template: nested(POD_TEMPLATE_SPEC) }),
  '/ReplicationController': workload(),
  '/Node': object({
    spec: nested(struct({ podCIDRs: primitiveSet })),
    status: nested(struct({ conditions, addresses: mergeBy('type') })),
  }),
  '/Service': object({
    spec: nested(struct({ ports: mergeBy('port') })),
    status: nested(WITH_CONDITIONS),
  }),
  '/Namespace': object({ status: nested(WITH_CONDITIONS) }),
  '/ServiceAccount': object({ secrets: mergeBy('name') }),
  '/PersistentVolumeClaim': object({ status: nested(WITH_CONDITIONS) }),
  'apps/Deployment': workload({ strategy: { strategy: 'retainKeys' } }),
  'apps/ReplicaSet': workload(),
  'apps/StatefulSet': workload(),
  'apps/DaemonSet': workload(),
  'batch/Job': workload(),
  'batch/CronJob': object({
    spec: nested(struct({ jobTemplate: nested(struct({ metadata: nested(OBJECT_META), spec: nested(JOB_SPEC) })) })),
  }),
  'policy/PodDisruptionBudget': object({ status: nested(WITH_CONDITIONS) }),
  // kube tags both configurations' webhooks lists with patchMergeKey name.
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': object({ webhooks: mergeBy('name') }),
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': object({ webhooks: mergeBy('name') }),
};

/** Metadata-only schema: what every built-in kind not listed above gets (ConfigMap, Secret, Lease, ...). */
const METADATA_ONLY = object();

/** API groups served by kube-apiserver itself; kinds in them take strategic merge patches. */
const BUILTIN_GROUPS: ReadonlySet<string> = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

export function isBuiltinGroup(group: string): boolean {
  return BUILTIN_GROUPS.has(group);
}

/** The strategic-merge schema for a built-in kind (metadata-only for kinds without tagged lists). */
export function patchMetaFor(group: string, kind: string): StructMeta {
  return BY_KIND[`${group}/${kind}`] ?? METADATA_ONLY;
}
