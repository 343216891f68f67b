// meta/v1 types shared by every kind: ObjectMeta, ListMeta, LabelSelector, Status,
// DeleteOptions, Condition.
import { any, bool, def, int32, int64, list, obj, ref, str, strList, strMap, time, valueTime } from '../dsl.js';

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const ownerReference = def(
  `${META}.OwnerReference`,
  obj(
    { apiVersion: str, kind: str, name: str, uid: str, controller: bool, blockOwnerDeletion: bool },
    ['apiVersion', 'kind', 'name', 'uid'],
  ),
);

export const managedFieldsEntry = def(
  `${META}.ManagedFieldsEntry`,
  obj({
    manager: str,
    operation: str,
    apiVersion: str,
    time,
    fieldsType: str,
    // FieldsV1 is an opaque trie of field sets.
    fieldsV1: any,
    subresource: str,
  }),
);

export const objectMeta = def(
  `${META}.ObjectMeta`,
  obj({
    name: str,
    generateName: str,
    namespace: str,
    selfLink: str,
    uid: str,
    resourceVersion: str,
    generation: int64,
    creationTimestamp: time,
    deletionTimestamp: time,
    deletionGracePeriodSeconds: int64,
    labels: strMap,
    annotations: strMap,
    ownerReferences: list(ownerReference, { mergeKey: 'uid', mapKeys: ['uid'] }),
    finalizers: list(str, { strategy: 'merge', listType: 'set' }),
    managedFields: list(managedFieldsEntry, { listType: 'atomic' }),
  }),
);

export const listMeta = def(
  `${META}.ListMeta`,
  obj({ selfLink: str, resourceVersion: str, continue: str, remainingItemCount: int64 }),
);

export const labelSelectorRequirement = def(
  `${META}.LabelSelectorRequirement`,
  obj({ key: str, operator: str, values: strList }, ['key', 'operator']),
);

export const labelSelector = def(
  `${META}.LabelSelector`,
  obj({ matchLabels: strMap, matchExpressions: list(labelSelectorRequirement, { listType: 'atomic' }) }),
);

export const condition = def(
  `${META}.Condition`,
  obj(
    { type: str, status: str, observedGeneration: int64, lastTransitionTime: valueTime, reason: str, message: str },
    ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  ),
);

export const statusCause = def(`${META}.StatusCause`, obj({ reason: str, message: str, field: str }));

export const statusDetails = def(
  `${META}.StatusDetails`,
  obj({
    name: str,
    group: str,
    kind: str,
    uid: str,
    causes: list(statusCause, { listType: 'atomic' }),
    retryAfterSeconds: int32,
  }),
);

export const status = def(
  `${META}.Status`,
  obj({
    apiVersion: str,
    kind: str,
    metadata: listMeta,
    status: str,
    message: str,
    reason: str,
    details: statusDetails,
    code: int32,
  }),
  [{ group: '', version: 'v1', kind: 'Status' }],
);

export const preconditions = def(`${META}.Preconditions`, obj({ uid: str, resourceVersion: str }));

export const deleteOptions = def(
  `${META}.DeleteOptions`,
  obj({
    apiVersion: str,
    kind: str,
    gracePeriodSeconds: int64,
    preconditions,
    orphanDependents: bool,
    propagationPolicy: str,
    dryRun: strList,
    ignoreStoreReadErrorWithClusterBreakingPotential: bool,
  }),
  [{ group: '', version: 'v1', kind: 'DeleteOptions' }],
);

/** The fields every top-level kind starts with. */
export function typeMeta(): { apiVersion: typeof str; kind: typeof str; metadata: ReturnType<typeof ref> } {
  return { apiVersion: str, kind: str, metadata: objectMeta };
}
