// policy/v1 PodDisruptionBudget. Stored and served; the sim's eviction does not consult it
// (no disruption controller computes status.disruptionsAllowed).
import { def, int32, int64, intOrString, list, map, obj, str, time } from '../dsl.js';
import { condition, labelSelector, typeMeta } from './meta.js';

const POLICY = 'io.k8s.api.policy.v1';

export const podDisruptionBudget = def(
  `${POLICY}.PodDisruptionBudget`,
  obj({
    ...typeMeta(),
    spec: def(
      `${POLICY}.PodDisruptionBudgetSpec`,
      obj({
        minAvailable: intOrString,
        // patchStrategy "replace": a patch swaps the whole selector instead of merging it.
        selector: { ...labelSelector, patchStrategy: 'replace' },
        maxUnavailable: intOrString,
        unhealthyPodEvictionPolicy: str,
      }),
    ),
    status: def(
      `${POLICY}.PodDisruptionBudgetStatus`,
      obj(
        {
          observedGeneration: int64,
          disruptedPods: map(time),
          disruptionsAllowed: int32,
          currentHealthy: int32,
          desiredHealthy: int32,
          expectedPods: int32,
          conditions: list(condition, { mergeKey: 'type', mapKeys: ['type'] }),
        },
        ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'],
      ),
    ),
  }),
  [{ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' }],
);
