// batch/v1 CronJob. Stored and served; no controller creates Jobs from it.
import { bool, def, int32, int64, list, obj, ref, str, time } from '../dsl.js';
import { objectMeta, typeMeta } from './meta.js';
import { objectReference } from './core.js';

const BATCH = 'io.k8s.api.batch.v1';

const jobTemplateSpec = def(
  `${BATCH}.JobTemplateSpec`,
  // JobSpec is declared with Job (workloads.ts); a reference by name keeps this file independent.
  obj({ metadata: objectMeta, spec: ref(`${BATCH}.JobSpec`) }),
);

export const cronJob = def(
  `${BATCH}.CronJob`,
  obj({
    ...typeMeta(),
    spec: def(
      `${BATCH}.CronJobSpec`,
      obj(
        {
          schedule: str,
          timeZone: str,
          startingDeadlineSeconds: int64,
          concurrencyPolicy: str,
          suspend: bool,
          jobTemplate: jobTemplateSpec,
          successfulJobsHistoryLimit: int32,
          failedJobsHistoryLimit: int32,
        },
        ['schedule', 'jobTemplate'],
      ),
    ),
    status: def(
      `${BATCH}.CronJobStatus`,
      obj({ active: list(objectReference, { listType: 'atomic' }), lastScheduleTime: time, lastSuccessfulTime: time }),
    ),
  }),
  [{ group: 'batch', version: 'v1', kind: 'CronJob' }],
);
