// core/v1 ResourceQuota and LimitRange. Stored and served; the sim's admission neither
// charges quota nor applies limit-range defaults.
import { def, list, obj, resourceList, str, strList } from '../dsl.js';
import { typeMeta } from './meta.js';

const V1 = 'io.k8s.api.core.v1';
const gvk = (kind: string) => [{ group: '', version: 'v1', kind }];

const scopeSelector = def(
  `${V1}.ScopeSelector`,
  obj({
    matchExpressions: list(
      def(
        `${V1}.ScopedResourceSelectorRequirement`,
        obj({ scopeName: str, operator: str, values: strList }, ['scopeName', 'operator']),
      ),
      { listType: 'atomic' },
    ),
  }),
);

export const resourceQuota = def(
  `${V1}.ResourceQuota`,
  obj({
    ...typeMeta(),
    spec: def(`${V1}.ResourceQuotaSpec`, obj({ hard: resourceList, scopes: strList, scopeSelector })),
    status: def(`${V1}.ResourceQuotaStatus`, obj({ hard: resourceList, used: resourceList })),
  }),
  gvk('ResourceQuota'),
);

const limitRangeItem = def(
  `${V1}.LimitRangeItem`,
  obj(
    {
      type: str,
      max: resourceList,
      min: resourceList,
      default: resourceList,
      defaultRequest: resourceList,
      maxLimitRequestRatio: resourceList,
    },
    ['type'],
  ),
);

export const limitRange = def(
  `${V1}.LimitRange`,
  obj({
    ...typeMeta(),
    spec: def(`${V1}.LimitRangeSpec`, obj({ limits: list(limitRangeItem, { listType: 'atomic' }) }, ['limits'])),
  }),
  gvk('LimitRange'),
);
