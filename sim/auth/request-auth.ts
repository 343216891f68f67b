// Authentication, impersonation and authorization of one API request, in kube-apiserver's
// order. The admin token is compared first and its user (system:masters) skips the
// authorizers, so the common request costs what it did before RBAC existed; anything else
// is a ServiceAccount token or nobody (401), and its user's request is authorized by
// RBAC (403 with kube's wording).

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError, internalError } from '../errors.js';
import { requestAttributes } from '../http/request-info.js';
import type { Query } from '../http/query.js';
import { forbidden, type Authorizer } from './authorizer.js';
import type { Attributes } from './rbac-rules.js';
import type { Decision } from './rbac.js';
import type { ServiceAccountTokens } from './sa-tokens.js';
import {
  ADMIN_USER,
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  ANONYMOUS,
  isPrivileged,
  parseServiceAccountUsername,
  serviceAccountGroups,
  type UserInfo,
} from './user.js';

/** What a token stands for when reviewed (TokenReview): kube's authenticator.Response, or why not. */
export type TokenReviewResult =
  | { authenticated: true; user: UserInfo; audiences: string[] }
  | { authenticated: false; error: string };

/** Subresources whose WebSocket GET also needs `create` (AuthorizePodWebsocketUpgradeCreatePermission, on in 1.32). */
const STREAMING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

const EXTRA_HEADER_PREFIX = 'impersonate-extra-';

/**
 * The users requests act as, for handlers that answer about the caller (self reviews).
 * Only users other than the admin are recorded, so the admin's requests pay nothing:
 * a request that passed check() and has no entry is the admin's.
 */
const actingUsers = new WeakMap<IncomingMessage, UserInfo>();

/** The user a request that passed RequestAuth.check acts as. */
export function requestUser(req: IncomingMessage): UserInfo {
  return actingUsers.get(req) ?? ADMIN_USER;
}

/**
 * Sees every authorization decision made on a request of a user outside system:masters
 * (the request itself, the extra `create` of a streaming upgrade, each impersonation check).
 * Tests use it to record which verbs a component asks for; it must not throw.
 */
export type DecisionObserver = (attributes: Attributes, decision: Decision) => void;

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export class RequestAuth {
  private readonly adminToken: Buffer;
  private readonly observers = new Set<DecisionObserver>();

  constructor(
    adminToken: string,
    readonly tokens: ServiceAccountTokens,
    readonly authorizer: Authorizer,
  ) {
    this.adminToken = Buffer.from(adminToken);
  }

  /** The user an Authorization header authenticates as, or undefined (401). */
  authenticate(header: string | undefined): UserInfo | undefined {
    if (!header?.startsWith('Bearer ')) return undefined;
    const token = header.slice(7).trim();
    const got = Buffer.from(token);
    if (got.length === this.adminToken.length && timingSafeEqual(got, this.adminToken)) return ADMIN_USER;
    const r = this.tokens.authenticate(token);
    return r.authenticated ? r.user : undefined;
  }

  /**
   * The user a request acts as (after impersonation), or the Status error to answer:
   * 401 without valid credentials, 403 when the user may not do what the request asks.
   */
  check(method: string, path: string, query: Query, req: IncomingMessage): UserInfo | ApiError {
    const user = this.authenticate(req.headers.authorization);
    if (!user) return unauthorized();
    const h = req.headers;
    const acting = h['impersonate-user'] !== undefined || h['impersonate-group'] !== undefined || h['impersonate-uid'] !== undefined ? this.impersonate(user, req) : user;
    if (acting instanceof ApiError) return acting;
    if (acting !== ADMIN_USER) actingUsers.set(req, acting);
    if (isPrivileged(acting)) return acting;
    const a: Attributes = { ...requestAttributes(method, path, query), user: acting };
    const denied = this.deny(a);
    if (denied) return denied;
    if (a.verb === 'get' && h.upgrade !== undefined && a.apiGroup === '' && a.resource === 'pods' && STREAMING_SUBRESOURCES.has(a.subresource)) {
      const also = this.deny({ ...a, verb: 'create' });
      if (also) return also;
    }
    return acting;
  }

  /** A token as TokenReview sees it: the admin token or a ServiceAccount token, for these audiences. */
  reviewToken(token: string, audiences: readonly string[]): TokenReviewResult {
    const got = Buffer.from(token);
    if (got.length === this.adminToken.length && timingSafeEqual(got, this.adminToken)) {
      // The static token knows no audiences: it is good for the API server's own (kube's audience-agnostic wrapper).
      const shared = this.tokens.apiAudiences.filter((a) => audiences.includes(a));
      if (shared.length === 0) return { authenticated: false, error: 'invalid bearer token' };
      return { authenticated: true, user: ADMIN_USER, audiences: shared };
    }
    const r = this.tokens.authenticate(token, audiences);
    if (r.authenticated) return r;
    return { authenticated: false, error: r.error ? `[invalid bearer token, ${r.error}]` : 'invalid bearer token' };
  }

  /** Calls `observer` with every decision from now on; the returned function stops it. */
  observeDecisions(observer: DecisionObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private deny(a: Attributes): ApiError | undefined {
    const d = this.authorizer.authorize(a);
    for (const observe of this.observers) observe(a, d);
    return d.allowed ? undefined : forbidden(a, d.reason);
  }

  /**
   * kube's impersonation filter: each Impersonate-* header is authorized as the
   * `impersonate` verb on users / serviceaccounts / groups / uids / userextras, then the
   * request runs as the user they describe.
   */
  private impersonate(requestor: UserInfo, req: IncomingMessage): UserInfo | ApiError {
    const all = req.headersDistinct;
    const username = all['impersonate-user']?.[0];
    const groups = all['impersonate-group'] ?? [];
    const uid = all['impersonate-uid']?.[0];
    const extra: Record<string, string[]> = {};
    for (const [k, values] of Object.entries(all)) {
      if (!k.startsWith(EXTRA_HEADER_PREFIX) || !values) continue;
      extra[decodeURIComponent(k.slice(EXTRA_HEADER_PREFIX.length))] = values;
    }
    if (username === undefined) {
      return internalError('requested impersonation of groups, uid or extra values without impersonating a user');
    }
    const asking = (resource: string, name: string, more: Partial<Attributes> = {}): Attributes => ({
      user: requestor,
      verb: 'impersonate',
      resourceRequest: true,
      path: '',
      apiGroup: '',
      apiVersion: 'v1',
      namespace: '',
      resource,
      subresource: '',
      name,
      ...more,
    });
    const checks: Attributes[] = [];
    const sa = parseServiceAccountUsername(username);
    checks.push(sa ? asking('serviceaccounts', sa.name, { namespace: sa.namespace }) : asking('users', username));
    for (const g of groups) checks.push(asking('groups', g));
    for (const [key, values] of Object.entries(extra)) {
      for (const v of values) checks.push(asking('userextras', v, { apiGroup: 'authentication.k8s.io', subresource: key }));
    }
    if (uid !== undefined) checks.push(asking('uids', uid, { apiGroup: 'authentication.k8s.io' }));
    for (const c of checks) {
      const denied = this.deny(c);
      if (denied) return denied;
    }
    let asGroups = sa && groups.length === 0 ? serviceAccountGroups(sa.namespace) : [...groups];
    if (username !== ANONYMOUS && !asGroups.includes(ALL_AUTHENTICATED) && !asGroups.includes(ALL_UNAUTHENTICATED)) {
      asGroups = [...asGroups, ALL_AUTHENTICATED];
    }
    return { username, uid: uid ?? '', groups: asGroups, extra };
  }
}
