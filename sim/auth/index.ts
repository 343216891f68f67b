// sim/auth: who calls a simulated cluster and what they may do. The admin token
// (system:masters), ServiceAccount tokens the cluster signs (TokenRequest), RBAC over the
// stored Roles and bindings, and the review APIs a kubelet-like server uses to check its
// own callers (TokenReview, SubjectAccessReview) — as kube-apiserver provides them.

import type { ClusterApi } from '../api.js';
import { Authorizer } from './authorizer.js';
import { RbacAuthorizer } from './rbac.js';
import { RequestAuth } from './request-auth.js';
import { ServiceAccountTokens } from './sa-tokens.js';

export { aggregateClusterRoles, startClusterRoleAggregation } from './aggregation.js';
export { Authorizer, forbidden, forbiddenMessage } from './authorizer.js';
export { bootstrapPolicy } from './bootstrap-policy.js';
export { createSigningKey, decodeJwt, signingKey, type DecodedJwt, type SigningKey } from './jwt.js';
export { RbacAuthorizer, type Decision } from './rbac.js';
export { ruleAllows, type Attributes, type PolicyRule } from './rbac-rules.js';
export { RequestAuth, requestUser, unauthorized, type DecisionObserver, type TokenReviewResult } from './request-auth.js';
export { installAuthRoutes, type AuthRoutesContext } from './routes.js';
export {
  DEFAULT_EXPIRATION_SECONDS,
  DEFAULT_ISSUER,
  MAX_EXPIRATION_SECONDS,
  MIN_EXPIRATION_SECONDS,
  ServiceAccountTokens,
  type TokenAuthentication,
} from './sa-tokens.js';
export { grantToken, type GrantedToken, type TokenRequestSpec } from './token-request.js';
export {
  ADMIN_USER,
  ALL_AUTHENTICATED,
  SYSTEM_MASTERS,
  serviceAccountGroups,
  serviceAccountUsername,
  type UserInfo,
} from './user.js';

/** The auth parts of one cluster, wired together. */
export interface ClusterAuth {
  tokens: ServiceAccountTokens;
  rbac: RbacAuthorizer;
  authorizer: Authorizer;
  requests: RequestAuth;
}

export function createClusterAuth(api: ClusterApi, adminToken: string): ClusterAuth {
  const tokens = new ServiceAccountTokens(api);
  const rbac = new RbacAuthorizer(api);
  const authorizer = new Authorizer(rbac);
  return { tokens, rbac, authorizer, requests: new RequestAuth(adminToken, tokens, authorizer) };
}
