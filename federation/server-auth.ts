/**
 * Who may call the capacity API when it is served beyond loopback, in kube-rbac-proxy's model:
 * the caller's bearer token is sent to the host cluster as a TokenReview, and the user it names
 * is authorized with a SubjectAccessReview — as one resource the operator names
 * (resourceAttributes, verb by method as for a resource: GET get, POST create, DELETE delete),
 * or for the request's URL path (nonResourceAttributes, verb = the lower-case method, as
 * kube-apiserver names non-resource requests).
 *
 * The path form suits /metrics, but not the API itself: its paths start with /api/, and every
 * cluster's system:discovery role lets all authenticated users `get` `/api/*`, so any
 * ServiceAccount would read the capacity document. `tidepool capacity` therefore authorizes as
 * a resource (by default `services/proxy` on the tidepool-capacity Service: whoever may reach
 * the Service through the API server's proxy may call it directly).
 *
 * Answers are cached briefly (tokens by their SHA-256, never kept or logged in clear), so a
 * console polling every few seconds costs a review now and then rather than one per request.
 * A review the host cannot answer is not a yes: 401 when the token could not be checked,
 * 500 when access could not be. The reviews and their caches are kube's DelegatedAuth; this
 * file holds the capacity API's part: what a request asks for, public paths, Status answers.
 */
import { DelegatedAuth, bearerToken, failureStatus, resourceVerbOf, type AccessAttributes, type Clock, type FailureStatus, type KubeClient, type UserInfo } from '../kube/index.js';

/** Where SubjectAccessReviews point when requests are authorized as a resource. */
export interface AuthResourceAttributes {
  namespace?: string;
  group?: string;
  version?: string;
  resource: string;
  subresource?: string;
  name?: string;
}

export interface ServerAuthOptions {
  /** The cluster that reviews tokens and access (the host cluster). */
  host: KubeClient;
  /** Authorize every request as this resource; absent, as its URL path (see the caveat above). */
  resourceAttributes?: AuthResourceAttributes;
  /** Audiences a token must be meant for (TokenReview spec.audiences); default: the API server's. */
  audiences?: string[];
  /** Paths served without a token: the kubelet's probes carry none. Default /healthz and /readyz. */
  publicPaths?: string[];
  /** How long an answer is reused: allowed (default 60 s) and refused (default 10 s). */
  allowedTtlMs?: number;
  deniedTtlMs?: number;
  /** Deadline of one review. Default 10 s. */
  reviewTimeoutMs?: number;
  /** Most answers kept per cache. Default 1024. */
  cacheSize?: number;
  clock?: Pick<Clock, 'now'>;
  /** Told why a caller was refused or a review failed (never the token). Must not throw. */
  onRefusal?: (event: { status: 401 | 403 | 500; user?: string; path: string; reason: string }) => void;
}

export type AuthUser = UserInfo;

export type AuthOutcome = { allowed: true; user: AuthUser } | { allowed: false; status: 401 | 403 | 500; body: FailureStatus };

export class ServerAuth {
  private readonly reviews: DelegatedAuth;
  private readonly publicPaths: ReadonlySet<string>;

  constructor(private readonly opts: ServerAuthOptions) {
    const allowedMs = opts.allowedTtlMs ?? 60_000;
    const deniedMs = opts.deniedTtlMs ?? 10_000;
    this.reviews = new DelegatedAuth({
      reviewer: opts.host,
      ...(opts.audiences ? { audiences: opts.audiences } : {}),
      // A token is trusted, and refused, as long as an access answer is.
      ttls: { authenticatedMs: allowedMs, unauthenticatedMs: deniedMs, allowedMs, deniedMs },
      cacheSize: opts.cacheSize ?? 1024,
      ...(opts.reviewTimeoutMs !== undefined ? { reviewTimeoutMs: opts.reviewTimeoutMs } : {}),
      // A console waiting on a down host cluster gets its refusal now rather than after retries.
      retry: false,
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    this.publicPaths = new Set(opts.publicPaths ?? ['/healthz', '/readyz']);
  }

  isPublic(path: string): boolean {
    return this.publicPaths.has(path);
  }

  /** Whether the request (method, path without the query, Authorization header) may go on. */
  async check(method: string, path: string, authorization: string | undefined): Promise<AuthOutcome> {
    const token = bearerToken(authorization);
    if (token === undefined) return this.refuse(401, path, 'no bearer token');
    let authn;
    try {
      authn = await this.reviews.authenticateToken(token);
    } catch (err) {
      return this.refuse(401, path, `TokenReview failed: ${(err as Error).message}`);
    }
    if (!authn.authenticated) return this.refuse(401, path, 'token not authenticated');
    const user = authn.user;

    const r = this.opts.resourceAttributes;
    const verb = r ? resourceVerbOf(method) : method.toLowerCase();
    const attributes: AccessAttributes = r
      ? {
          resourceAttributes: {
            verb,
            group: r.group ?? '',
            version: r.version ?? '',
            resource: r.resource,
            ...(r.subresource ? { subresource: r.subresource } : {}),
            ...(r.namespace ? { namespace: r.namespace } : {}),
            ...(r.name ? { name: r.name } : {}),
          },
        }
      : { nonResourceAttributes: { verb, path } };
    let access;
    try {
      access = await this.reviews.authorize(user, attributes);
    } catch (err) {
      const message = `Authorization error (user=${user.username}, verb=${verb}, ${this.what(path)}): the host cluster could not review the request`;
      this.opts.onRefusal?.({ status: 500, user: user.username, path, reason: (err as Error).message });
      return { allowed: false, status: 500, body: failureStatus(500, 'InternalError', message) };
    }
    if (!access.allowed) {
      const why = access.reason ? `: ${access.reason}` : '';
      this.opts.onRefusal?.({ status: 403, user: user.username, path, reason: access.reason || 'denied' });
      return { allowed: false, status: 403, body: failureStatus(403, 'Forbidden', `forbidden: User ${JSON.stringify(user.username)} cannot ${verb} ${this.what(path)}${why}`) };
    }
    return { allowed: true, user };
  }

  /** The thing a request asks for, in kube's forbidden wording. */
  private what(path: string): string {
    const r = this.opts.resourceAttributes;
    if (!r) return `path ${JSON.stringify(path)}`;
    const resource = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
    const where = r.namespace ? `in the namespace ${JSON.stringify(r.namespace)}` : 'at the cluster scope';
    return `resource ${JSON.stringify(resource)} in API group ${JSON.stringify(r.group ?? '')} ${where}`;
  }

  private refuse(status: 401, path: string, reason: string): AuthOutcome {
    this.opts.onRefusal?.({ status, path, reason });
    return { allowed: false, status, body: failureStatus(401, 'Unauthorized', 'Unauthorized') };
  }
}

const RESOURCE_KEYS = ['namespace', 'group', 'version', 'resource', 'subresource', 'name'] as const;

/**
 * Reads the resource an operator names for authorization, as kube-rbac-proxy's
 * resourceAttributes: `key=value` pairs among namespace, group, version, resource (required),
 * subresource, name — e.g. `namespace=tidepool-system,resource=services,subresource=proxy,name=tidepool-capacity`.
 */
export function parseAuthResource(spec: string): AuthResourceAttributes {
  const out: Partial<Record<(typeof RESOURCE_KEYS)[number], string>> = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq) : part;
    const value = eq > 0 ? part.slice(eq + 1) : '';
    if (!(RESOURCE_KEYS as readonly string[]).includes(key)) throw new Error(`"${key}" is not one of ${RESOURCE_KEYS.join(', ')}`);
    if (value === '' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) throw new Error(`${key} needs a value of lower-case letters, digits, '-' and '.', got "${value}"`);
    if (out[key as (typeof RESOURCE_KEYS)[number]] !== undefined) throw new Error(`${key} is given twice`);
    out[key as (typeof RESOURCE_KEYS)[number]] = value;
  }
  if (!out.resource) throw new Error('resource=<plural> is required');
  return { ...out, resource: out.resource };
}
