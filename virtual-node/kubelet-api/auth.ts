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
 * cached by their SHA-256 and never logged. The reviews and their caches are kube's
 * DelegatedAuth; this file holds what is the kubelet's: client certificates, the path →
 * nodes/<subresource> mapping, AlwaysAllow, and refusals as KubeletApiError Statuses.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { DelegatedAuth, bearerToken, resourceVerbOf, type Clock, type DelegatedAuthTtls, type KubeClient, type Logger, type UserInfo } from '../../kube/index.js';
import type { AuthResult, AuthStep } from './metrics.js';
import { KubeletApiError } from './status.js';

export type { UserInfo };

/** What a request asks to do, in the terms of a SubjectAccessReview on `nodes`. */
export interface RequestAttributes {
  verb: string;
  subresource: string;
}

/** The kubelet's defaults: authenticated tokens 2 min, refused 10 s, allowed 5 min, denied 30 s. */
export type AuthCacheTtls = DelegatedAuthTtls;

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
  logger: Logger;
  onDecision?: (step: AuthStep, result: AuthResult, cached: boolean) => void;
}

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

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

export function requestAttributes(method: string, path: string): RequestAttributes {
  return { verb: resourceVerbOf(method), subresource: subresourceOf(path) };
}

export class KubeletAuth {
  private readonly reviews: DelegatedAuth;

  constructor(private readonly opts: KubeletAuthOptions) {
    this.reviews = new DelegatedAuth({
      reviewer: opts.host,
      ...(opts.tokenAudiences ? { audiences: opts.tokenAudiences } : {}),
      ...(opts.ttls ? { ttls: opts.ttls } : {}),
      ...(opts.cacheSize !== undefined ? { cacheSize: opts.cacheSize } : {}),
      ...(opts.reviewTimeoutMs !== undefined ? { reviewTimeoutMs: opts.reviewTimeoutMs } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
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
    let answer;
    try {
      answer = await this.reviews.authenticateToken(token);
    } catch (err) {
      // As the kubelet: a webhook that cannot answer authenticates no one (401), and the
      // cause goes to the log, not to the client.
      this.opts.onDecision?.('authentication', 'error', false);
      this.opts.logger.error({ err: (err as Error).message }, 'kubelet API: TokenReview on the host cluster failed; request refused');
      throw unauthorized();
    }
    if (!answer.authenticated) {
      this.opts.onDecision?.('authentication', 'denied', answer.cached);
      if (!answer.cached) this.opts.logger.info({ reason: answer.reason }, 'kubelet API: bearer token refused by TokenReview');
      throw unauthorized();
    }
    this.opts.onDecision?.('authentication', 'allowed', answer.cached);
    return answer.user;
  }

  /**
   * Throws a 403 KubeletApiError unless `user` may do `attrs` on node `node`; a 500 when the
   * host cannot answer (as the kubelet: an authorization error is not a denial).
   */
  async authorize(user: UserInfo, attrs: RequestAttributes, node: string): Promise<void> {
    if ((this.opts.authorizationMode ?? 'Webhook') === 'AlwaysAllow') return;
    let answer;
    try {
      answer = await this.reviews.authorize(user, {
        resourceAttributes: { verb: attrs.verb, group: '', version: 'v1', resource: 'nodes', subresource: attrs.subresource, name: node },
      });
    } catch (err) {
      this.opts.onDecision?.('authorization', 'error', false);
      this.opts.logger.error({ user: user.username, verb: attrs.verb, subresource: attrs.subresource, node, err: (err as Error).message }, 'kubelet API: SubjectAccessReview on the host cluster failed');
      throw new KubeletApiError(
        500,
        'InternalError',
        `Authorization error (user=${user.username}, verb=${attrs.verb}, resource=nodes, subresource=${attrs.subresource}): the host cluster could not review the request`,
      );
    }
    if (answer.allowed) {
      this.opts.onDecision?.('authorization', 'allowed', answer.cached);
      return;
    }
    this.opts.onDecision?.('authorization', 'denied', answer.cached);
    const why = answer.reason ? `: ${answer.reason}` : '';
    throw new KubeletApiError(
      403,
      'Forbidden',
      `nodes "${node}" is forbidden: User "${user.username}" cannot ${attrs.verb} resource "nodes/${attrs.subresource}" in API group "" at the cluster scope${why}`,
      { kind: 'nodes', name: node },
    );
  }
}

function unauthorized(): KubeletApiError {
  return new KubeletApiError(401, 'Unauthorized', 'Unauthorized');
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
