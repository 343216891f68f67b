/**
 * Authentication and authorization of kubelet API requests, as a real kubelet does them with
 * `--client-ca-file`, webhook authentication and webhook authorization:
 *
 * - A TLS client certificate that verifies against the client CA (and allows client auth)
 *   names the user (CN) and groups (O). kube-apiserver presents such a certificate when it
 *   proxies logs and exec.
 * - Otherwise `Authorization: Bearer <token>` is sent to the host cluster as a TokenReview.
 * - Otherwise, or when neither works: 401. Anonymous requests are refused.
 * - Every authenticated request is then checked with a SubjectAccessReview on the host:
 *   resource `nodes`, name = the node the request is for, subresource by path (/stats →
 *   stats, /metrics → metrics, /logs → log, /spec → spec, /checkpoint → checkpoint, anything
 *   else → proxy), verb by method. A denial is a 403 naming the user and the permission.
 *
 * Answers are cached as the kubelet's webhook authenticator and authorizer cache them
 * (authenticated tokens 2 min, allowed 5 min, denied 30 s by default), so a metrics scraper
 * or a client tailing many logs costs a review now and then, not one per request. Tokens are
 * cached by their SHA-256 and never logged.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { systemClock, type Clock, type KubeClient } from '../../kube/index.js';
import type { KubeletApiLogger } from './logger.js';
import type { AuthResult, AuthStep } from './metrics.js';
import { KubeletApiError } from './status.js';
import { TtlCache } from './ttl-cache.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What a request asks to do, in the terms of a SubjectAccessReview on `nodes`. */
export interface RequestAttributes {
  verb: string;
  subresource: string;
}

export interface AuthCacheTtls {
  /** How long an authenticated token is trusted without a new TokenReview. Default 2 min. */
  authenticatedMs?: number;
  /** How long a refused token stays refused. Default 10 s. */
  unauthenticatedMs?: number;
  /** How long an allowed SubjectAccessReview answer is reused. Default 5 min. */
  allowedMs?: number;
  /** How long a denied answer is reused. Default 30 s. */
  deniedMs?: number;
}

export type AuthorizationMode = 'Webhook' | 'AlwaysAllow';

export interface KubeletAuthOptions {
  /** The host cluster: TokenReviews and SubjectAccessReviews go there. */
  host: KubeClient;
  /** Whether the server asked for client certificates (it verifies them against the client CA). */
  clientCertificates: boolean;
  /** 'Webhook' (default) asks the host; 'AlwaysAllow' lets every authenticated user through, as the kubelet's flag of that name. */
  authorizationMode?: AuthorizationMode;
  /** Audiences a token must be meant for (TokenReview spec.audiences); none by default. */
  tokenAudiences?: string[];
  ttls?: AuthCacheTtls;
  /** Most answers kept per cache. Default 4096. */
  cacheSize?: number;
  /** Deadline of one review. Default 10 s. */
  reviewTimeoutMs?: number;
  clock?: Clock;
  logger: KubeletApiLogger;
  onDecision?: (step: AuthStep, result: AuthResult, cached: boolean) => void;
}

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const TOKEN_REVIEWS_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
const SUBJECT_ACCESS_REVIEWS_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

/** The SubjectAccessReview subresource of a kubelet path, as the kubelet's auth filter maps it. */
export function subresourceOf(path: string): string {
  const under = (prefix: string): boolean => path === prefix || path.startsWith(`${prefix}/`);
  if (under('/stats')) return 'stats';
  if (under('/metrics')) return 'metrics';
  if (under('/logs')) return 'log';
  if (under('/spec')) return 'spec';
  if (under('/checkpoint')) return 'checkpoint';
  return 'proxy';
}

/** The verb of a request method, as the kubelet's auth filter maps it. */
export function verbOf(method: string): string {
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return method.toLowerCase();
  }
}

export function requestAttributes(method: string, path: string): RequestAttributes {
  return { verb: verbOf(method), subresource: subresourceOf(path) };
}

interface TokenAnswer {
  user?: UserInfo;
  /** Why a token was refused (TokenReview status.error), for the log. */
  error?: string;
}

interface AccessAnswer {
  allowed: boolean;
  reason: string;
}

export class KubeletAuth {
  private readonly tokens: TtlCache<TokenAnswer>;
  private readonly access: TtlCache<AccessAnswer>;
  private readonly ttls: Required<AuthCacheTtls>;
  private readonly clock: Clock;
  private readonly timeoutMs: number;

  constructor(private readonly opts: KubeletAuthOptions) {
    this.clock = opts.clock ?? systemClock;
    const size = opts.cacheSize ?? 4096;
    this.tokens = new TtlCache(size, this.clock);
    this.access = new TtlCache(size, this.clock);
    this.ttls = {
      authenticatedMs: opts.ttls?.authenticatedMs ?? 120_000,
      unauthenticatedMs: opts.ttls?.unauthenticatedMs ?? 10_000,
      allowedMs: opts.ttls?.allowedMs ?? 300_000,
      deniedMs: opts.ttls?.deniedMs ?? 30_000,
    };
    this.timeoutMs = opts.reviewTimeoutMs ?? 10_000;
  }

  /** The user a request comes from; throws a 401 KubeletApiError when there is none. */
  async authenticate(req: IncomingMessage): Promise<UserInfo> {
    const fromCert = this.opts.clientCertificates ? userFromCertificate(req) : undefined;
    if (fromCert) {
      this.opts.onDecision?.('authentication', 'allowed', true);
      return fromCert;
    }
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) {
      this.opts.onDecision?.('authentication', 'denied', true);
      throw unauthorized();
    }
    const key = createHash('sha256').update(token).digest('base64');
    let answer: { value: TokenAnswer; cached: boolean };
    try {
      answer = await this.tokens.getOrLoad(key, () => this.reviewToken(token), (a) => (a.user ? this.ttls.authenticatedMs : this.ttls.unauthenticatedMs));
    } catch (err) {
      // As the kubelet: a webhook that cannot answer authenticates no one (401), and the
      // cause goes to the log, not to the client.
      this.opts.onDecision?.('authentication', 'error', false);
      this.opts.logger.error({ err: (err as Error).message }, 'kubelet API: TokenReview on the host cluster failed; request refused');
      throw unauthorized();
    }
    if (!answer.value.user) {
      this.opts.onDecision?.('authentication', 'denied', answer.cached);
      if (!answer.cached) this.opts.logger.info({ reason: answer.value.error ?? 'not authenticated' }, 'kubelet API: bearer token refused by TokenReview');
      throw unauthorized();
    }
    this.opts.onDecision?.('authentication', 'allowed', answer.cached);
    return answer.value.user;
  }

  /**
   * Throws a 403 KubeletApiError unless `user` may do `attrs` on node `node`; a 500 when the
   * host cannot answer (as the kubelet: an authorization error is not a denial).
   */
  async authorize(user: UserInfo, attrs: RequestAttributes, node: string): Promise<void> {
    if ((this.opts.authorizationMode ?? 'Webhook') === 'AlwaysAllow') return;
    const key = JSON.stringify([user.username, user.uid ?? '', [...user.groups].sort(), user.extra ?? {}, attrs.verb, attrs.subresource, node]);
    let answer: { value: AccessAnswer; cached: boolean };
    try {
      answer = await this.access.getOrLoad(key, () => this.reviewAccess(user, attrs, node), (a) => (a.allowed ? this.ttls.allowedMs : this.ttls.deniedMs));
    } catch (err) {
      this.opts.onDecision?.('authorization', 'error', false);
      this.opts.logger.error({ user: user.username, verb: attrs.verb, subresource: attrs.subresource, node, err: (err as Error).message }, 'kubelet API: SubjectAccessReview on the host cluster failed');
      throw new KubeletApiError(
        500,
        'InternalError',
        `Authorization error (user=${user.username}, verb=${attrs.verb}, resource=nodes, subresource=${attrs.subresource}): the host cluster could not review the request`,
      );
    }
    if (answer.value.allowed) {
      this.opts.onDecision?.('authorization', 'allowed', answer.cached);
      return;
    }
    this.opts.onDecision?.('authorization', 'denied', answer.cached);
    const why = answer.value.reason ? `: ${answer.value.reason}` : '';
    throw new KubeletApiError(
      403,
      'Forbidden',
      `nodes "${node}" is forbidden: User "${user.username}" cannot ${attrs.verb} resource "nodes/${attrs.subresource}" in API group "" at the cluster scope${why}`,
      { kind: 'nodes', name: node },
    );
  }

  private async reviewToken(token: string): Promise<TokenAnswer> {
    const review = await this.opts.host.requestJson<{ status?: { authenticated?: boolean; user?: Partial<UserInfo>; error?: string } }>({
      method: 'POST',
      path: TOKEN_REVIEWS_PATH,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, ...(this.opts.tokenAudiences?.length ? { audiences: this.opts.tokenAudiences } : {}) },
      },
      timeoutMs: this.timeoutMs,
    });
    const status = review.status ?? {};
    const name = status.user?.username;
    if (status.authenticated !== true || typeof name !== 'string' || name === '') return { error: status.error ?? 'token not authenticated' };
    return {
      user: {
        username: name,
        ...(typeof status.user?.uid === 'string' && status.user.uid !== '' ? { uid: status.user.uid } : {}),
        groups: Array.isArray(status.user?.groups) ? status.user.groups.filter((g): g is string => typeof g === 'string') : [],
        ...(status.user?.extra ? { extra: status.user.extra } : {}),
      },
    };
  }

  private async reviewAccess(user: UserInfo, attrs: RequestAttributes, node: string): Promise<AccessAnswer> {
    const review = await this.opts.host.requestJson<{ status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string } }>({
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
          resourceAttributes: { verb: attrs.verb, group: '', version: 'v1', resource: 'nodes', subresource: attrs.subresource, name: node },
        },
      },
      timeoutMs: this.timeoutMs,
    });
    const status = review.status ?? {};
    return { allowed: status.allowed === true && status.denied !== true, reason: status.reason ?? status.evaluationError ?? '' };
  }
}

function unauthorized(): KubeletApiError {
  return new KubeletApiError(401, 'Unauthorized', 'Unauthorized');
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * The user a verified client certificate names. The TLS layer verified the chain against the
 * client CA (socket.authorized); as Go's x509 authenticator, a certificate whose extended key
 * usage does not include client auth names no one.
 */
function userFromCertificate(req: IncomingMessage): UserInfo | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.subject) return undefined;
  if (Array.isArray(cert.ext_key_usage) && !cert.ext_key_usage.includes(CLIENT_AUTH_OID)) return undefined;
  const cn = first(cert.subject.CN);
  if (!cn) return undefined;
  return { username: cn, groups: all(cert.subject.O) };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? [...v] : [v];
}
