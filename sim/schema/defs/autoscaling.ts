// autoscaling/v2 HorizontalPodAutoscaler. Stored and served; no controller scales anything.
import { def, int32, int64, list, obj, quantity, str, time, valueTime } from '../dsl.js';
import { labelSelector, typeMeta } from './meta.js';

const AS = 'io.k8s.api.autoscaling.v2';

const crossVersionObjectReference = def(
  `${AS}.CrossVersionObjectReference`,
  obj({ kind: str, name: str, apiVersion: str }, ['kind', 'name']),
);

const metricIdentifier = def(`${AS}.MetricIdentifier`, obj({ name: str, selector: labelSelector }, ['name']));

const metricTarget = def(
  `${AS}.MetricTarget`,
  obj({ type: str, value: quantity, averageValue: quantity, averageUtilization: int32 }, ['type']),
);

const metricValueStatus = def(
  `${AS}.MetricValueStatus`,
  obj({ value: quantity, averageValue: quantity, averageUtilization: int32 }),
);

const metricSpec = def(
  `${AS}.MetricSpec`,
  obj(
    {
      type: str,
      object: def(
        `${AS}.ObjectMetricSource`,
        obj({ describedObject: crossVersionObjectReference, target: metricTarget, metric: metricIdentifier }, ['describedObject', 'target', 'metric']),
      ),
      pods: def(`${AS}.PodsMetricSource`, obj({ metric: metricIdentifier, target: metricTarget }, ['metric', 'target'])),
      resource: def(`${AS}.ResourceMetricSource`, obj({ name: str, target: metricTarget }, ['name', 'target'])),
      containerResource: def(
        `${AS}.ContainerResourceMetricSource`,
        obj({ name: str, target: metricTarget, container: str }, ['name', 'target', 'container']),
      ),
      external: def(`${AS}.ExternalMetricSource`, obj({ metric: metricIdentifier, target: metricTarget }, ['metric', 'target'])),
    },
    ['type'],
  ),
);

const metricStatus = def(
  `${AS}.MetricStatus`,
  obj(
    {
      type: str,
      object: def(
        `${AS}.ObjectMetricStatus`,
        obj({ metric: metricIdentifier, current: metricValueStatus, describedObject: crossVersionObjectReference }, ['metric', 'current', 'describedObject']),
      ),
      pods: def(`${AS}.PodsMetricStatus`, obj({ metric: metricIdentifier, current: metricValueStatus }, ['metric', 'current'])),
      resource: def(`${AS}.ResourceMetricStatus`, obj({ name: str, current: metricValueStatus }, ['name', 'current'])),
      containerResource: def(
        `${AS}.ContainerResourceMetricStatus`,
        obj({ name: str, current: metricValueStatus, container: str }, ['name', 'current', 'container']),
      ),
      external: def(`${AS}.ExternalMetricStatus`, obj({ metric: metricIdentifier, current: metricValueStatus }, ['metric', 'current'])),
    },
    ['type'],
  ),
);

const scalingRules = def(
  `${AS}.HPAScalingRules`,
  obj({
    stabilizationWindowSeconds: int32,
    selectPolicy: str,
    policies: list(
      def(`${AS}.HPAScalingPolicy`, obj({ type: str, value: int32, periodSeconds: int32 }, ['type', 'value', 'periodSeconds'])),
      { listType: 'atomic' },
    ),
  }),
);

export const horizontalPodAutoscaler = def(
  `${AS}.HorizontalPodAutoscaler`,
  obj({
    ...typeMeta(),
    spec: def(
      `${AS}.HorizontalPodAutoscalerSpec`,
      obj(
        {
          scaleTargetRef: crossVersionObjectReference,
          minReplicas: int32,
          maxReplicas: int32,
          metrics: list(metricSpec, { listType: 'atomic' }),
          behavior: def(
            `${AS}.HorizontalPodAutoscalerBehavior`,
            obj({ scaleUp: scalingRules, scaleDown: scalingRules }),
          ),
        },
        ['scaleTargetRef', 'maxReplicas'],
      ),
    ),
    status: def(
      `${AS}.HorizontalPodAutoscalerStatus`,
      obj(
        {
          observedGeneration: int64,
          lastScaleTime: time,
          currentReplicas: int32,
          desiredReplicas: int32,
          currentMetrics: list(metricStatus, { listType: 'atomic' }),
          conditions: list(
            def(
              `${AS}.HorizontalPodAutoscalerCondition`,
              obj({ type: str, status: str, lastTransitionTime: valueTime, reason: str, message: str }, ['type', 'status']),
            ),
            { mergeKey: 'type', mapKeys: ['type'] },
          ),
        },
        ['desiredReplicas'],
      ),
    ),
  }),
  [{ group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' }],
);
