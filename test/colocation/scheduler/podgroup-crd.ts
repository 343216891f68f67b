// The coscheduling PodGroup CRD (scheduler-plugins, scheduling.x-k8s.io/v1alpha1), trimmed to the
// fields Tidepool reads. The sim serves CRDs; tests install this one when they need PodGroups.
export const POD_GROUP_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'podgroups.scheduling.x-k8s.io' },
  spec: {
    group: 'scheduling.x-k8s.io',
    names: { kind: 'PodGroup', listKind: 'PodGroupList', plural: 'podgroups', singular: 'podgroup', shortNames: ['pg', 'pgs'] },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                properties: {
                  minMember: { type: 'integer', format: 'int32' },
                  minResources: {
                    type: 'object',
                    additionalProperties: { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true },
                  },
                  scheduleTimeoutSeconds: { type: 'integer', format: 'int32' },
                },
              },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
};

export function podGroup(name: string, minMember: number, minResources: Record<string, string>, namespace = 'default', scheduleTimeoutSeconds?: number) {
  return {
    apiVersion: 'scheduling.x-k8s.io/v1alpha1',
    kind: 'PodGroup',
    metadata: { name, namespace },
    spec: { minMember, minResources, ...(scheduleTimeoutSeconds !== undefined ? { scheduleTimeoutSeconds } : {}) },
  };
}
