// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding. The
// sim's RBAC authorizer (sim/auth/rbac.ts) evaluates them for every non-admin request.
import { def, list, obj, str, strList } from '../dsl.js';
import { labelSelector, typeMeta } from './meta.js';

const RBAC = 'io.k8s.api.rbac.v1';
const gvk = (kind: string) => [{ group: 'rbac.authorization.k8s.io', version: 'v1', kind }];

const policyRule = def(
  `${RBAC}.PolicyRule`,
  obj({ verbs: strList, apiGroups: strList, resources: strList, resourceNames: strList, nonResourceURLs: strList }, ['verbs']),
);
const rules = list(policyRule, { listType: 'atomic' });

const subject = def(`${RBAC}.Subject`, obj({ kind: str, apiGroup: str, name: str, namespace: str }, ['kind', 'name']));
const roleRef = def(`${RBAC}.RoleRef`, obj({ apiGroup: str, kind: str, name: str }, ['apiGroup', 'kind', 'name']));

export const role = def(`${RBAC}.Role`, obj({ ...typeMeta(), rules }), gvk('Role'));

export const clusterRole = def(
  `${RBAC}.ClusterRole`,
  obj({
    ...typeMeta(),
    rules,
    aggregationRule: def(
      `${RBAC}.AggregationRule`,
      obj({ clusterRoleSelectors: list(labelSelector, { listType: 'atomic' }) }),
    ),
  }),
  gvk('ClusterRole'),
);

const bindingFields = () => ({ ...typeMeta(), subjects: list(subject, { listType: 'atomic' }), roleRef });

export const roleBinding = def(`${RBAC}.RoleBinding`, obj(bindingFields(), ['roleRef']), gvk('RoleBinding'));
export const clusterRoleBinding = def(
  `${RBAC}.ClusterRoleBinding`,
  obj(bindingFields(), ['roleRef']),
  gvk('ClusterRoleBinding'),
);
