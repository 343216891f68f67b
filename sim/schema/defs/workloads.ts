// apps/v1 (Deployment, ReplicaSet, StatefulSet, DaemonSet) and batch/v1 Job: the
// controllers that stamp pods out of a PodTemplateSpec.
import { bool, def, int32, int64, intOrString, list, obj, str, time, valueTime } from '../dsl.js';
import { labelSelector, typeMeta } from './meta.js';
import { persistentVolumeClaim, podTemplateSpec } from './core.js';

const APPS = 'io.k8s.api.apps.v1';
const BATCH = 'io.k8s.api.batch.v1';

function workloadCondition(name: string, withUpdateTime = false) {
  const fields: Record<string, typeof str> = {
    type: str,
    status: str,
    ...(withUpdateTime ? { lastUpdateTime: valueTime } : {}),
    lastTransitionTime: valueTime,
    reason: str,
    message: str,
  };
  return def(name, obj(fields, ['type', 'status']));
}

// ---------------------------------------------------------------- Deployment

const deploymentStrategy = def(
  `${APPS}.DeploymentStrategy`,
  obj({
    type: str,
    rollingUpdate: def(
      `${APPS}.RollingUpdateDeployment`,
      obj({ maxUnavailable: intOrString, maxSurge: intOrString }),
    ),
  }),
);

export const deployment = def(
  `${APPS}.Deployment`,
  obj({
    ...typeMeta(),
    spec: def(
      `${APPS}.DeploymentSpec`,
      obj(
        {
          replicas: int32,
          selector: labelSelector,
          template: podTemplateSpec,
          strategy: { ...deploymentStrategy, patchStrategy: 'retainKeys' },
          minReadySeconds: int32,
          revisionHistoryLimit: int32,
          paused: bool,
          progressDeadlineSeconds: int32,
        },
        ['selector', 'template'],
      ),
    ),
    status: def(
      `${APPS}.DeploymentStatus`,
      obj({
        observedGeneration: int64,
        replicas: int32,
        updatedReplicas: int32,
        readyReplicas: int32,
        availableReplicas: int32,
        unavailableReplicas: int32,
        terminatingReplicas: int32,
        conditions: list(workloadCondition(`${APPS}.DeploymentCondition`, true), {
          mergeKey: 'type',
          mapKeys: ['type'],
        }),
        collisionCount: int32,
      }),
    ),
  }),
  [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
);

// ---------------------------------------------------------------- ReplicaSet

export const replicaSet = def(
  `${APPS}.ReplicaSet`,
  obj({
    ...typeMeta(),
    spec: def(
      `${APPS}.ReplicaSetSpec`,
      obj(
        { replicas: int32, minReadySeconds: int32, selector: labelSelector, template: podTemplateSpec },
        ['selector'],
      ),
    ),
    status: def(
      `${APPS}.ReplicaSetStatus`,
      obj(
        {
          replicas: int32,
          fullyLabeledReplicas: int32,
          readyReplicas: int32,
          availableReplicas: int32,
          terminatingReplicas: int32,
          observedGeneration: int64,
          conditions: list(workloadCondition(`${APPS}.ReplicaSetCondition`), { mergeKey: 'type', mapKeys: ['type'] }),
        },
        ['replicas'],
      ),
    ),
  }),
  [{ group: 'apps', version: 'v1', kind: 'ReplicaSet' }],
);

// ---------------------------------------------------------------- StatefulSet

export const statefulSet = def(
  `${APPS}.StatefulSet`,
  obj({
    ...typeMeta(),
    spec: def(
      `${APPS}.StatefulSetSpec`,
      obj(
        {
          replicas: int32,
          selector: labelSelector,
          template: podTemplateSpec,
          volumeClaimTemplates: list(persistentVolumeClaim, { listType: 'atomic' }),
          serviceName: str,
          podManagementPolicy: str,
          updateStrategy: def(
            `${APPS}.StatefulSetUpdateStrategy`,
            obj({
              type: str,
              rollingUpdate: def(
                `${APPS}.RollingUpdateStatefulSetStrategy`,
                obj({ partition: int32, maxUnavailable: intOrString }),
              ),
            }),
          ),
          revisionHistoryLimit: int32,
          minReadySeconds: int32,
          persistentVolumeClaimRetentionPolicy: def(
            `${APPS}.StatefulSetPersistentVolumeClaimRetentionPolicy`,
            obj({ whenDeleted: str, whenScaled: str }),
          ),
          ordinals: def(`${APPS}.StatefulSetOrdinals`, obj({ start: int32 })),
        },
        ['selector', 'template'],
      ),
    ),
    status: def(
      `${APPS}.StatefulSetStatus`,
      obj(
        {
          observedGeneration: int64,
          replicas: int32,
          readyReplicas: int32,
          currentReplicas: int32,
          updatedReplicas: int32,
          currentRevision: str,
          updateRevision: str,
          collisionCount: int32,
          conditions: list(workloadCondition(`${APPS}.StatefulSetCondition`), {
            mergeKey: 'type',
            mapKeys: ['type'],
          }),
          availableReplicas: int32,
        },
        ['replicas'],
      ),
    ),
  }),
  [{ group: 'apps', version: 'v1', kind: 'StatefulSet' }],
);

// ---------------------------------------------------------------- DaemonSet

export const daemonSet = def(
  `${APPS}.DaemonSet`,
  obj({
    ...typeMeta(),
    spec: def(
      `${APPS}.DaemonSetSpec`,
      obj(
        {
          selector: labelSelector,
          template: podTemplateSpec,
          updateStrategy: def(
            `${APPS}.DaemonSetUpdateStrategy`,
            obj({
              type: str,
              rollingUpdate: def(
                `${APPS}.RollingUpdateDaemonSet`,
                obj({ maxUnavailable: intOrString, maxSurge: intOrString }),
              ),
            }),
          ),
          minReadySeconds: int32,
          revisionHistoryLimit: int32,
        },
        ['selector', 'template'],
      ),
    ),
    status: def(
      `${APPS}.DaemonSetStatus`,
      obj(
        {
          currentNumberScheduled: int32,
          numberMisscheduled: int32,
          desiredNumberScheduled: int32,
          numberReady: int32,
          observedGeneration: int64,
          updatedNumberScheduled: int32,
          numberAvailable: int32,
          numberUnavailable: int32,
          collisionCount: int32,
          conditions: list(workloadCondition(`${APPS}.DaemonSetCondition`), { mergeKey: 'type', mapKeys: ['type'] }),
        },
        ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'],
      ),
    ),
  }),
  [{ group: 'apps', version: 'v1', kind: 'DaemonSet' }],
);

// ---------------------------------------------------------------- Job

const podFailurePolicyRule = def(
  `${BATCH}.PodFailurePolicyRule`,
  obj(
    {
      action: str,
      onExitCodes: def(
        `${BATCH}.PodFailurePolicyOnExitCodesRequirement`,
        obj({ containerName: str, operator: str, values: list(int32, { listType: 'set' }) }, ['operator', 'values']),
      ),
      onPodConditions: list(
        def(`${BATCH}.PodFailurePolicyOnPodConditionsPattern`, obj({ type: str, status: str }, ['type'])),
        { listType: 'atomic' },
      ),
    },
    ['action'],
  ),
);

export const job = def(
  `${BATCH}.Job`,
  obj({
    ...typeMeta(),
    spec: def(
      `${BATCH}.JobSpec`,
      obj(
        {
          parallelism: int32,
          completions: int32,
          activeDeadlineSeconds: int64,
          podFailurePolicy: def(
            `${BATCH}.PodFailurePolicy`,
            obj({ rules: list(podFailurePolicyRule, { listType: 'atomic' }) }, ['rules']),
          ),
          successPolicy: def(
            `${BATCH}.SuccessPolicy`,
            obj(
              {
                rules: list(
                  def(`${BATCH}.SuccessPolicyRule`, obj({ succeededIndexes: str, succeededCount: int32 })),
                  { listType: 'atomic' },
                ),
              },
              ['rules'],
            ),
          ),
          backoffLimit: int32,
          backoffLimitPerIndex: int32,
          maxFailedIndexes: int32,
          selector: labelSelector,
          manualSelector: bool,
          template: podTemplateSpec,
          ttlSecondsAfterFinished: int32,
          completionMode: str,
          suspend: bool,
          podReplacementPolicy: str,
          managedBy: str,
        },
        ['template'],
      ),
    ),
    status: def(
      `${BATCH}.JobStatus`,
      obj({
        conditions: list(
          def(
            `${BATCH}.JobCondition`,
            obj(
              {
                type: str,
                status: str,
                lastProbeTime: valueTime,
                lastTransitionTime: valueTime,
                reason: str,
                message: str,
              },
              ['type', 'status'],
            ),
          ),
          { listType: 'atomic' },
        ),
        startTime: time,
        completionTime: time,
        active: int32,
        succeeded: int32,
        failed: int32,
        terminating: int32,
        completedIndexes: str,
        failedIndexes: str,
        uncountedTerminatedPods: def(
          `${BATCH}.UncountedTerminatedPods`,
          obj({ succeeded: list(str, { listType: 'set' }), failed: list(str, { listType: 'set' }) }),
        ),
        ready: int32,
      }),
    ),
  }),
  [{ group: 'batch', version: 'v1', kind: 'Job' }],
);
