// The authorizer chain of the simulated API server: members of system:masters are
// allowed everything (kube's privileged-groups authorizer, asked first), everyone else
// is judged by RBAC. A denial becomes kube's 403 Forbidden Status, worded as
// k8s.io/apiserver's responsewriters.Forbidden words it.

import { ApiError, type StatusDetails } from '../errors.js';
import type { RbacAuthorizer, Decision } from './rbac.js';
import type { Attributes } from './rbac-rules.js';
import { isPrivileged } from './user.js';

export class Authorizer {
  constructor(readonly rbac: RbacAuthorizer) {}

  authorize(a: Attributes): Decision {
    if (isPrivileged(a.user)) return { allowed: true, reason: '' };
    return this.rbac.authorize(a);
  }
}

/** "User "x" cannot list resource "pods" in API group "" in the namespace "ns"" (kube's forbiddenMessage). */
export function forbiddenMessage(a: Attributes): string {
  const who = JSON.stringify(a.user.username);
  if (!a.resourceRequest) return `User ${who} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${who} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}

/** The 403 kube answers a denied request with (apierrors.NewForbidden on the request's resource). */
export function forbidden(a: Attributes, reason: string): ApiError {
  const why = reason ? `${forbiddenMessage(a)}: ${reason}` : forbiddenMessage(a);
  const group = a.resourceRequest ? a.apiGroup : '';
  const resource = a.resourceRequest ? a.resource : '';
  const qualified = group ? `${resource}.${group}` : resource;
  let message: string;
  if (!qualified) message = `forbidden: ${why}`;
  else if (!a.name) message = `${qualified} is forbidden: ${why}`;
  else message = `${qualified} ${JSON.stringify(a.name)} is forbidden: ${why}`;
  const details: StatusDetails = {};
  if (a.name) details.name = a.name;
  if (group) details.group = group;
  if (resource) details.kind = resource;
  return new ApiError(403, 'Forbidden', message, details);
}
