// Which name rule each kind's metadata.name follows, as kube-apiserver decides it. The rules
// themselves are kube/'s (k8s.io/apimachinery/pkg/util/validation).
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain } from '../../kube/index.js';

/** Which name rule a kind's metadata.name follows (NameIsDNSSubdomain unless kube says otherwise). */
export type NameRule = (name: string) => string[];

/**
 * path.IsValidPathSegmentName: RBAC object names only have to be usable as one URL path
 * segment, which is why ClusterRoles like `system:node` are valid.
 */
export function isValidPathSegmentName(v: string): string[] {
  if (v === '.' || v === '..') return [`may not be '${v}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (v.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

export const NAME_RULES: Record<string, NameRule> = {
  '/Namespace': isDNS1123Label,
  '/Service': isDNS1035Label,
  'rbac.authorization.k8s.io/Role': isValidPathSegmentName,
  'rbac.authorization.k8s.io/ClusterRole': isValidPathSegmentName,
  'rbac.authorization.k8s.io/RoleBinding': isValidPathSegmentName,
  'rbac.authorization.k8s.io/ClusterRoleBinding': isValidPathSegmentName,
};

export function nameRuleFor(group: string, kind: string): NameRule {
  return NAME_RULES[`${group}/${kind}`] ?? isDNS1123Subdomain;
}
