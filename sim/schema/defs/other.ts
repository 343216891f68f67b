// The small groups: coordination.k8s.io Lease, scheduling.k8s.io PriorityClass,
// events.k8s.io Event, policy Eviction, apiextensions.k8s.io CustomResourceDefinition and
// metrics.k8s.io NodeMetrics / PodMetrics.
import {
  any,
  bool,
  bytes,
  def,
  int32,
  int64,
  list,
  map,
  num,
  obj,
  ref,
  resourceList,
  str,
  strList,
  time,
  valueTime,
} from '../dsl.js';
import { deleteOptions, typeMeta } from './meta.js';
import { eventSource, objectReference } from './core.js';

// ---------------------------------------------------------------- coordination.k8s.io/v1

export const lease = def(
  'io.k8s.api.coordination.v1.Lease',
  obj({
    ...typeMeta(),
    spec: def(
      'io.k8s.api.coordination.v1.LeaseSpec',
      obj({
        holderIdentity: str,
        leaseDurationSeconds: int32,
        acquireTime: time,
        renewTime: time,
        leaseTransitions: int32,
        strategy: str,
        preferredHolder: str,
      }),
    ),
  }),
  [{ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' }],
);

// ---------------------------------------------------------------- scheduling.k8s.io/v1

export const priorityClass = def(
  'io.k8s.api.scheduling.v1.PriorityClass',
  obj({ ...typeMeta(), value: int32, globalDefault: bool, description: str, preemptionPolicy: str }, ['value']),
  [{ group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass' }],
);

// ---------------------------------------------------------------- events.k8s.io/v1

export const eventsV1Event = def(
  'io.k8s.api.events.v1.Event',
  obj(
    {
      ...typeMeta(),
      eventTime: time,
      series: def('io.k8s.api.events.v1.EventSeries', obj({ count: int32, lastObservedTime: time }, ['count', 'lastObservedTime'])),
      reportingController: str,
      reportingInstance: str,
      action: str,
      reason: str,
      regarding: objectReference,
      related: objectReference,
      note: str,
      type: str,
      deprecatedSource: eventSource,
      deprecatedFirstTimestamp: time,
      deprecatedLastTimestamp: time,
      deprecatedCount: int32,
    },
    ['eventTime'],
  ),
  [{ group: 'events.k8s.io', version: 'v1', kind: 'Event' }],
);

// ---------------------------------------------------------------- policy/v1

export const eviction = def(
  'io.k8s.api.policy.v1.Eviction',
  obj({ ...typeMeta(), deleteOptions }),
  [{ group: 'policy', version: 'v1', kind: 'Eviction' }],
);

// ---------------------------------------------------------------- apiextensions.k8s.io/v1

const AX = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';

const jsonSchemaPropsRef = ref(`${AX}.JSONSchemaProps`);
const schemaMap = map(jsonSchemaPropsRef);
const schemaList = list(jsonSchemaPropsRef, { listType: 'atomic' });

export const jsonSchemaProps = def(
  `${AX}.JSONSchemaProps`,
  obj({
    id: str,
    $schema: str,
    $ref: str,
    description: str,
    type: str,
    format: str,
    title: str,
    default: any,
    maximum: num,
    exclusiveMaximum: bool,
    minimum: num,
    exclusiveMinimum: bool,
    maxLength: int64,
    minLength: int64,
    pattern: str,
    maxItems: int64,
    minItems: int64,
    uniqueItems: bool,
    multipleOf: num,
    enum: list(any, { listType: 'atomic' }),
    maxProperties: int64,
    minProperties: int64,
    required: strList,
    // JSONSchemaPropsOrArray / OrBool / OrStringArray: a schema, a list of schemas, or a boolean.
    items: any,
    allOf: schemaList,
    oneOf: schemaList,
    anyOf: schemaList,
    not: jsonSchemaPropsRef,
    properties: schemaMap,
    additionalProperties: any,
    patternProperties: schemaMap,
    dependencies: map(any),
    additionalItems: any,
    definitions: schemaMap,
    externalDocs: def(`${AX}.ExternalDocumentation`, obj({ description: str, url: str })),
    example: any,
    nullable: bool,
    'x-kubernetes-preserve-unknown-fields': bool,
    'x-kubernetes-embedded-resource': bool,
    'x-kubernetes-int-or-string': bool,
    'x-kubernetes-list-map-keys': strList,
    'x-kubernetes-list-type': str,
    'x-kubernetes-map-type': str,
    'x-kubernetes-validations': list(
      def(
        `${AX}.ValidationRule`,
        obj(
          { rule: str, message: str, messageExpression: str, reason: str, fieldPath: str, optionalOldSelf: bool },
          ['rule'],
        ),
      ),
      { mergeKey: 'rule', mapKeys: ['rule'] },
    ),
  }),
);

const crdNames = def(
  `${AX}.CustomResourceDefinitionNames`,
  obj(
    { plural: str, singular: str, shortNames: strList, kind: str, listKind: str, categories: strList },
    ['plural', 'kind'],
  ),
);

const serviceReference = def(
  `${AX}.ServiceReference`,
  obj({ namespace: str, name: str, path: str, port: int32 }, ['namespace', 'name']),
);

const crdVersion = def(
  `${AX}.CustomResourceDefinitionVersion`,
  obj(
    {
      name: str,
      served: bool,
      storage: bool,
      deprecated: bool,
      deprecationWarning: str,
      schema: def(`${AX}.CustomResourceValidation`, obj({ openAPIV3Schema: jsonSchemaProps })),
      subresources: def(
        `${AX}.CustomResourceSubresources`,
        obj({
          // CustomResourceSubresourceStatus is an empty struct: `status: {}`.
          status: def(`${AX}.CustomResourceSubresourceStatus`, obj({})),
          scale: def(
            `${AX}.CustomResourceSubresourceScale`,
            obj(
              { specReplicasPath: str, statusReplicasPath: str, labelSelectorPath: str },
              ['specReplicasPath', 'statusReplicasPath'],
            ),
          ),
        }),
      ),
      additionalPrinterColumns: list(
        def(
          `${AX}.CustomResourceColumnDefinition`,
          obj(
            { name: str, type: str, format: str, description: str, priority: int32, jsonPath: str },
            ['name', 'type', 'jsonPath'],
          ),
        ),
        { listType: 'atomic' },
      ),
      selectableFields: list(def(`${AX}.SelectableField`, obj({ jsonPath: str }, ['jsonPath'])), {
        listType: 'atomic',
      }),
    },
    ['name', 'served', 'storage'],
  ),
);

export const customResourceDefinition = def(
  `${AX}.CustomResourceDefinition`,
  obj(
    {
      ...typeMeta(),
      spec: def(
        `${AX}.CustomResourceDefinitionSpec`,
        obj(
          {
            group: str,
            names: crdNames,
            scope: str,
            versions: list(crdVersion, { listType: 'atomic' }),
            conversion: def(
              `${AX}.CustomResourceConversion`,
              obj(
                {
                  strategy: str,
                  webhook: def(
                    `${AX}.WebhookConversion`,
                    obj(
                      {
                        clientConfig: def(
                          `${AX}.WebhookClientConfig`,
                          obj({ url: str, service: serviceReference, caBundle: bytes }),
                        ),
                        conversionReviewVersions: strList,
                      },
                      ['conversionReviewVersions'],
                    ),
                  ),
                },
                ['strategy'],
              ),
            ),
            preserveUnknownFields: bool,
          },
          ['group', 'names', 'scope', 'versions'],
        ),
      ),
      status: def(
        `${AX}.CustomResourceDefinitionStatus`,
        obj({
          conditions: list(
            def(
              `${AX}.CustomResourceDefinitionCondition`,
              obj(
                {
                  type: str,
                  status: str,
                  lastTransitionTime: valueTime,
                  reason: str,
                  message: str,
                  observedGeneration: int64,
                },
                ['type', 'status'],
              ),
            ),
            { listType: 'map', mapKeys: ['type'] },
          ),
          acceptedNames: crdNames,
          storedVersions: strList,
        }),
      ),
    },
    ['spec'],
  ),
  [{ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' }],
);

// ---------------------------------------------------------------- metrics.k8s.io/v1beta1

const METRICS = 'io.k8s.metrics.pkg.apis.metrics.v1beta1';

export const nodeMetrics = def(
  `${METRICS}.NodeMetrics`,
  obj({ ...typeMeta(), timestamp: time, window: str, usage: resourceList }, ['timestamp', 'window', 'usage']),
  [{ group: 'metrics.k8s.io', version: 'v1beta1', kind: 'NodeMetrics' }],
);

export const podMetrics = def(
  `${METRICS}.PodMetrics`,
  obj(
    {
      ...typeMeta(),
      timestamp: time,
      window: str,
      containers: list(
        def(`${METRICS}.ContainerMetrics`, obj({ name: str, usage: resourceList }, ['name', 'usage'])),
        { listType: 'atomic' },
      ),
    },
    ['timestamp', 'window', 'containers'],
  ),
  [{ group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' }],
);
