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
 * 500 when access could not be.
 */
import { createHash } from 'node:crypto';
import type { KubeClient } from '../kube/index.js';

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
  now?: () => number;
  /** Told why a caller was refused or a review failed (never the token). Must not throw. */
  onRefusal?: (event: { status: 401 | 403 | 500; user?: string; path: string; reason: string }) => void;
}

export interface AuthUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** A Kubernetes Status answer for a refused request. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
}

export type AuthOutcome = { allowed: true; user: AuthUser } | { allowed: false; status: 401 | 403 | 500; body: StatusBody };

const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

const RESOURCE_VERBS: Readonly<Record<string, string>> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

export function statusBody(code: number, reason: string, message: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** A small map whose entries expire and whose oldest entry goes when it is full. */
class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(
    private readonly size: number,
    private readonly now: () => number,
  ) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.size) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, until: this.now() + ttlMs });
  }
}

interface Access {
  allowed: boolean;
  reason: string;
}

export class ServerAuth {
  private readonly tokens: ExpiringCache<AuthUser | null>;
  private readonly access: ExpiringCache<Access>;
  private readonly publicPaths: ReadonlySet<string>;
  private readonly allowedTtlMs: number;
  private readonly deniedTtlMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: ServerAuthOptions) {
    const now = opts.now ?? Date.now;
    const size = opts.cacheSize ?? 1024;
    this.tokens = new ExpiringCache(size, now);
    this.access = new ExpiringCache(size, now);
    this.publicPaths = new Set(opts.publicPaths ?? ['/healthz', '/readyz']);
    this.allowedTtlMs = opts.allowedTtlMs ?? 60_000;
    this.deniedTtlMs = opts.deniedTtlMs ?? 10_000;
    this.timeoutMs = opts.reviewTimeoutMs ?? 10_000;
  }

  isPublic(path: string): boolean {
    return this.publicPaths.has(path);
  }

  /** Whether the request (method, path without the query, Authorization header) may go on. */
  async check(method: string, path: string, authorization: string | undefined): Promise<AuthOutcome> {
    const token = bearerToken(authorization);
    if (token === undefined) return this.refuse(401, path, 'no bearer token');
    const key = createHash('sha256').update(token).digest('base64');
    let user = this.tokens.get(key);
    if (user === undefined) {
      try {
        user = await this.reviewToken(token);
      } catch (err) {
        return this.refuse(401, path, `TokenReview failed: ${(err as Error).message}`);
      }
      this.tokens.set(key, user, user ? this.allowedTtlMs : this.deniedTtlMs);
    }
    if (!user) return this.refuse(401, path, 'token not authenticated');

    const verb = this.opts.resourceAttributes ? (RESOURCE_VERBS[method.toUpperCase()] ?? method.toLowerCase()) : method.toLowerCase();
    const accessKey = JSON.stringify([user.username, user.uid ?? '', [...user.groups].sort(), user.extra ?? {}, verb, this.opts.resourceAttributes ? '' : path]);
    let access = this.access.get(accessKey);
    if (access === undefined) {
      try {
        access = await this.reviewAccess(user, verb, path);
      } catch (err) {
        const message = `Authorization error (user=${user.username}, verb=${verb}, ${this.what(path)}): the host cluster could not review the request`;
        this.opts.onRefusal?.({ status: 500, user: user.username, path, reason: (err as Error).message });
        return { allowed: false, status: 500, body: statusBody(500, 'InternalError', message) };
      }
      this.access.set(accessKey, access, access.allowed ? this.allowedTtlMs : this.deniedTtlMs);
    }
    if (!access.allowed) {
      const why = access.reason ? `: ${access.reason}` : '';
      this.opts.onRefusal?.({ status: 403, user: user.username, path, reason: access.reason || 'denied' });
      return { allowed: false, status: 403, body: statusBody(403, 'Forbidden', `forbidden: User ${JSON.stringify(user.username)} cannot ${verb} ${this.what(path)}${why}`) };
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
    return { allowed: false, status, body: statusBody(401, 'Unauthorized', 'Unauthorized') };
  }

  private async reviewToken(token: string): Promise<AuthUser | null> {
    const review = await this.opts.host.requestJson<{ status?: { authenticated?: boolean; user?: Partial<AuthUser> } }>({
      method: 'POST',
      path: TOKEN_REVIEWS,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, ...(this.opts.audiences?.length ? { audiences: this.opts.audiences } : {}) },
      },
      timeoutMs: this.timeoutMs,
      retry: false,
    });
    const s = review.status ?? {};
    const username = s.user?.username;
    if (s.authenticated !== true || typeof username !== 'string' || username === '') return null;
    return {
      username,
      ...(typeof s.user?.uid === 'string' && s.user.uid !== '' ? { uid: s.user.uid } : {}),
      groups: Array.isArray(s.user?.groups) ? s.user.groups.filter((g): g is string => typeof g === 'string') : [],
      ...(s.user?.extra ? { extra: s.user.extra } : {}),
    };
  }

  private async reviewAccess(user: AuthUser, verb: string, path: string): Promise<Access> {
    const r = this.opts.resourceAttributes;
    const attributes = r
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
    const review = await this.opts.host.requestJson<{ status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string } }>({
      method: 'POST',
      path: ACCESS_REVIEWS,
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          ...(user.uid !== undefined ? { uid: user.uid } : {}),
          groups: user.groups,
          ...(user.extra ? { extra: user.extra } : {}),
          ...attributes,
        },
      },
      timeoutMs: this.timeoutMs,
      retry: false,
    });
    const s = review.status ?? {};
    return { allowed: s.allowed === true && s.denied !== true, reason: s.reason ?? s.evaluationError ?? '' };
  }
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
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
