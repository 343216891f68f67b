// authorization.k8s.io/v1: SubjectAccessReview, SelfSubjectAccessReview,
// LocalSubjectAccessReview and SelfSubjectRulesReview. Create-only kinds answered by the
// sim's RBAC evaluator; nothing is stored.
import { bool, def, list, map, obj, str, strList } from '../dsl.js';
import { labelSelectorRequirement, typeMeta } from './meta.js';

const AUTHZ = 'io.k8s.api.authorization.v1';
const gvk = (kind: string) => [{ group: 'authorization.k8s.io', version: 'v1', kind }];

const fieldSelectorRequirement = def(
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement',
  obj({ key: str, operator: str, values: strList }, ['key', 'operator']),
);

const resourceAttributes = def(
  `${AUTHZ}.ResourceAttributes`,
  obj({
    namespace: str,
    verb: str,
    group: str,
    version: str,
    resource: str,
    subresource: str,
    name: str,
    fieldSelector: def(
      `${AUTHZ}.FieldSelectorAttributes`,
      obj({ rawSelector: str, requirements: list(fieldSelectorRequirement, { listType: 'atomic' }) }),
    ),
    labelSelector: def(
      `${AUTHZ}.LabelSelectorAttributes`,
      obj({ rawSelector: str, requirements: list(labelSelectorRequirement, { listType: 'atomic' }) }),
    ),
  }),
);

const nonResourceAttributes = def(`${AUTHZ}.NonResourceAttributes`, obj({ path: str, verb: str }));

const subjectAccessReviewStatus = def(
  `${AUTHZ}.SubjectAccessReviewStatus`,
  obj({ allowed: bool, denied: bool, reason: str, evaluationError: str }, ['allowed']),
);

const subjectAccessReviewSpec = def(
  `${AUTHZ}.SubjectAccessReviewSpec`,
  obj({ resourceAttributes, nonResourceAttributes, user: str, groups: strList, extra: map(strList), uid: str }),
);

export const subjectAccessReview = def(
  `${AUTHZ}.SubjectAccessReview`,
  obj({ ...typeMeta(), spec: subjectAccessReviewSpec, status: subjectAccessReviewStatus }, ['spec']),
  gvk('SubjectAccessReview'),
);

// LocalSubjectAccessReview has the same shape; kube names its spec type the same.
export const localSubjectAccessReview = def(
  `${AUTHZ}.LocalSubjectAccessReview`,
  obj({ ...typeMeta(), spec: subjectAccessReviewSpec, status: subjectAccessReviewStatus }, ['spec']),
  gvk('LocalSubjectAccessReview'),
);

export const selfSubjectAccessReview = def(
  `${AUTHZ}.SelfSubjectAccessReview`,
  obj(
    {
      ...typeMeta(),
      spec: def(`${AUTHZ}.SelfSubjectAccessReviewSpec`, obj({ resourceAttributes, nonResourceAttributes })),
      status: subjectAccessReviewStatus,
    },
    ['spec'],
  ),
  gvk('SelfSubjectAccessReview'),
);

const resourceRule = def(
  `${AUTHZ}.ResourceRule`,
  obj({ verbs: strList, apiGroups: strList, resources: strList, resourceNames: strList }, ['verbs']),
);
const nonResourceRule = def(`${AUTHZ}.NonResourceRule`, obj({ verbs: strList, nonResourceURLs: strList }, ['verbs']));

export const selfSubjectRulesReview = def(
  `${AUTHZ}.SelfSubjectRulesReview`,
  obj(
    {
      ...typeMeta(),
      spec: def(`${AUTHZ}.SelfSubjectRulesReviewSpec`, obj({ namespace: str })),
      status: def(
        `${AUTHZ}.SubjectRulesReviewStatus`,
        obj(
          {
            resourceRules: list(resourceRule, { listType: 'atomic' }),
            nonResourceRules: list(nonResourceRule, { listType: 'atomic' }),
            incomplete: bool,
            evaluationError: str,
          },
          ['resourceRules', 'nonResourceRules', 'incomplete'],
        ),
      ),
    },
    ['spec'],
  ),
  gvk('SelfSubjectRulesReview'),
);
