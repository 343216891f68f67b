/**
 * Delegated authentication and authorization, as kube-rbac-proxy and the kubelet's webhook
 * modes do them: a caller's bearer token goes to a cluster as a TokenReview, and the user it
 * names is checked with a SubjectAccessReview, for a resource or for a non-resource URL path.
 *
 * Answers are cached (tokens by their SHA-256, never kept or logged in clear), each kind for
 * its own time: an authenticated token and an allowed access may be reused longer than a
 * refusal, so a grant given after a denial is seen soon. Concurrent look-ups of one question
 * share one review, and the caches are bounded. A review the cluster cannot answer is no
 * answer: it throws, is not cached, and the caller decides what to tell its client (the
 * kubelet answers 401 for a token and 500 for an access, as kube-rbac-proxy does).
 *
 * What a request asks for (which resource, which path) and how a refusal reads are the
 * caller's: the kubelet maps paths to nodes/<subresource>, the capacity API names one resource.
 */
import { createHash } from 'node:crypto';
import { systemClock, type Clock } from './backoff.js';
import type { KubeClient } from './client.js';
import { TtlCache } from './ttl-cache.js';

/** The user a TokenReview or a client certificate names (authentication.k8s.io/v1 UserInfo). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** SubjectAccessReview spec.resourceAttributes. */
export interface ResourceAttributes {
  verb: string;
  group?: string;
  version?: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** SubjectAccessReview spec.nonResourceAttributes: a URL path and the lower-case method. */
export interface NonResourceAttributes {
  verb: string;
  path: string;
}

/** What a request asks to do, in the terms of a SubjectAccessReview spec. */
export type AccessAttributes = { resourceAttributes: ResourceAttributes } | { nonResourceAttributes: NonResourceAttributes };

export interface DelegatedAuthTtls {
  /** How long an authenticated token is trusted without a new TokenReview. Default 2 min. */
  authenticatedMs?: number;
  /** How long a refused token stays refused. Default 10 s. */
  unauthenticatedMs?: number;
  /** How long an allowed SubjectAccessReview answer is reused. Default 5 min. */
  allowedMs?: number;
  /** How long a denied answer is reused. Default 30 s. */
  deniedMs?: number;
}

export interface DelegatedAuthOptions {
  /** The cluster that reviews tokens and access. */
  reviewer: KubeClient;
  /** Audiences a token must be meant for (TokenReview spec.audiences); none: the API server's own. */
  audiences?: string[];
  /** Defaults are the kubelet's webhook cache times. */
  ttls?: DelegatedAuthTtls;
  /** Most answers kept per cache (tokens, access). Default 4096. */
  cacheSize?: number;
  /** Deadline of one review. Default 10 s. */
  reviewTimeoutMs?: number;
  /**
   * Whether a review is retried on the reviewer client's retryable failures (connection lost,
   * 429, 5xx). Default true; false answers a waiting client sooner when the cluster is down.
   */
  retry?: boolean;
  clock?: Pick<Clock, 'now'>;
}

export type TokenDecision = { authenticated: true; user: UserInfo; cached: boolean } | { authenticated: false; /** TokenReview status.error, or why not. */ reason: string; cached: boolean };

export interface AccessDecision {
  allowed: boolean;
  /** The reviewer's reason (status.reason, else status.evaluationError); may be empty. */
  reason: string;
  cached: boolean;
}

type TokenAnswer = { user: UserInfo } | { user?: undefined; reason: string };
interface AccessAnswer {
  allowed: boolean;
  reason: string;
}

const TOKEN_REVIEWS_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
const SUBJECT_ACCESS_REVIEWS_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

export class DelegatedAuth {
  private readonly tokens: TtlCache<TokenAnswer>;
  private readonly access: TtlCache<AccessAnswer>;
  private readonly ttls: Required<DelegatedAuthTtls>;
  private readonly timeoutMs: number;

  constructor(private readonly opts: DelegatedAuthOptions) {
    const clock = opts.clock ?? systemClock;
    const size = opts.cacheSize ?? 4096;
    this.tokens = new TtlCache(size, clock);
    this.access = new TtlCache(size, clock);
    this.ttls = {
      authenticatedMs: opts.ttls?.authenticatedMs ?? 120_000,
      unauthenticatedMs: opts.ttls?.unauthenticatedMs ?? 10_000,
      allowedMs: opts.ttls?.allowedMs ?? 300_000,
      deniedMs: opts.ttls?.deniedMs ?? 30_000,
    };
    this.timeoutMs = opts.reviewTimeoutMs ?? 10_000;
  }

  /** Who a bearer token names. Throws when the reviewer cannot answer (nothing is cached then). */
  async authenticateToken(token: string): Promise<TokenDecision> {
    const key = createHash('sha256').update(token).digest('base64');
    const { value, cached } = await this.tokens.getOrLoad(key, () => this.reviewToken(token), (a) => (a.user ? this.ttls.authenticatedMs : this.ttls.unauthenticatedMs));
    return value.user ? { authenticated: true, user: value.user, cached } : { authenticated: false, reason: value.reason, cached };
  }

  /** Whether `user` may do what `attributes` name. Throws when the reviewer cannot answer. */
  async authorize(user: UserInfo, attributes: AccessAttributes): Promise<AccessDecision> {
    const key = JSON.stringify([user.username, user.uid ?? '', [...user.groups].sort(), user.extra ?? {}, attributes]);
    const { value, cached } = await this.access.getOrLoad(key, () => this.reviewAccess(user, attributes), (a) => (a.allowed ? this.ttls.allowedMs : this.ttls.deniedMs));
    return { allowed: value.allowed, reason: value.reason, cached };
  }

  private async reviewToken(token: string): Promise<TokenAnswer> {
    const review = await this.opts.reviewer.requestJson<{ status?: { authenticated?: boolean; user?: Partial<UserInfo>; error?: string } }>({
      method: 'POST',
      path: TOKEN_REVIEWS_PATH,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, ...(this.opts.audiences?.length ? { audiences: this.opts.audiences } : {}) },
      },
      timeoutMs: this.timeoutMs,
      ...(this.opts.retry === false ? { retry: false } : {}),
    });
    const s = review.status ?? {};
    const username = s.user?.username;
    if (s.authenticated !== true || typeof username !== 'string' || username === '') return { reason: s.error || 'token not authenticated' };
    return {
      user: {
        username,
        ...(typeof s.user?.uid === 'string' && s.user.uid !== '' ? { uid: s.user.uid } : {}),
        groups: Array.isArray(s.user?.groups) ? s.user.groups.filter((g): g is string => typeof g === 'string') : [],
        ...(s.user?.extra ? { extra: s.user.extra } : {}),
      },
    };
  }

  private async reviewAccess(user: UserInfo, attributes: AccessAttributes): Promise<AccessAnswer> {
    const review = await this.opts.reviewer.requestJson<{ status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string } }>({
      method: 'POST',
      path: SUBJECT_ACCESS_REVIEWS_PATH,
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
      ...(this.opts.retry === false ? { retry: false } : {}),
    });
    const s = review.status ?? {};
    return { allowed: s.allowed === true && s.denied !== true, reason: s.reason ?? s.evaluationError ?? '' };
  }
}
