// ServiceAccount tokens as kube-apiserver issues and checks them (pkg/serviceaccount):
// JWTs with iss, sub, aud, exp, iat, nbf, jti and the private `kubernetes.io` claim
// (namespace, serviceaccount {name, uid}, and the pod / secret / node the token is bound
// to). A token authenticates while it is unexpired (60 s leeway, as go-jose allows), its
// audiences meet the ones asked for, and its ServiceAccount and bound object still exist
// with the UIDs it names: deleting either kills the token.

import { randomUUID } from 'node:crypto';
import type { ClusterApi } from '../api.js';
import { isRecord, type KubeObject } from '../object.js';
import { objectKey, type StoredObject } from '../store.js';
import { decodeJwt, signJwt, verifyJwt, type SigningKey } from './jwt.js';
import {
  EXTRA_CREDENTIAL_ID,
  EXTRA_NODE_NAME,
  EXTRA_NODE_UID,
  EXTRA_POD_NAME,
  EXTRA_POD_UID,
  serviceAccountGroups,
  serviceAccountUsername,
  withAuthenticatedGroup,
  type UserInfo,
} from './user.js';

/** kubeadm's --service-account-issuer; also the API server's own audience (--api-audiences default). */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** TokenRequest's expirationSeconds: kube's minimum (10 minutes), default and maximum (2^32). */
export const MIN_EXPIRATION_SECONDS = 600;
export const DEFAULT_EXPIRATION_SECONDS = 3600;
export const MAX_EXPIRATION_SECONDS = 2 ** 32;

/** go-jose's DefaultLeeway for exp / nbf / iat, and kube's grace for deleted objects. */
const LEEWAY_SECONDS = 60;
/** Tokens whose signature was checked once; each use still checks time and objects. */
const VERIFIED_CACHE_SIZE = 4096;
/** A bound token's "not found / deleted" answer (kube words it the same for pods and secrets). */
const INVALIDATED = 'service account token has been invalidated';

export interface ObjectRef {
  readonly name: string;
  readonly uid: string;
}

export interface TokenBinding {
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

export interface IssueOptions {
  namespace: string;
  serviceAccount: ObjectRef;
  audiences: readonly string[];
  expirationSeconds: number;
  bound?: TokenBinding;
}

export interface IssuedToken {
  token: string;
  /** Milliseconds since the epoch, on the cluster's clock. */
  issuedAt: number;
  expiresAt: number;
}

export type TokenAuthentication =
  | { authenticated: true; user: UserInfo; audiences: string[] }
  /** `error` is '' when the token is not one this issuer made (another authenticator's, or garbage). */
  | { authenticated: false; error: string };

/** The claims of a token whose signature checked out, in the shape the checks read. */
interface TokenClaims {
  audiences: string[];
  exp: number | undefined;
  nbf: number | undefined;
  iat: number | undefined;
  jti: string;
  namespace: string;
  serviceAccount: ObjectRef;
  pod: ObjectRef | undefined;
  secret: ObjectRef | undefined;
  node: ObjectRef | undefined;
}

function refOf(v: unknown): ObjectRef | undefined {
  if (!isRecord(v)) return undefined;
  return { name: typeof v['name'] === 'string' ? v['name'] : '', uid: typeof v['uid'] === 'string' ? v['uid'] : '' };
}

function numberOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** jwt.Audience: one audience is a string, several an array. */
function audiencesOf(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((a): a is string => typeof a === 'string') : [];
}

function claimsOf(raw: Record<string, unknown>): TokenClaims | undefined {
  const k8s = raw['kubernetes.io'];
  if (!isRecord(k8s)) return undefined;
  const sa = refOf(k8s['serviceaccount']);
  if (typeof k8s['namespace'] !== 'string' || !sa) return undefined;
  return {
    audiences: audiencesOf(raw['aud']),
    exp: numberOf(raw['exp']),
    nbf: numberOf(raw['nbf']),
    iat: numberOf(raw['iat']),
    jti: typeof raw['jti'] === 'string' ? raw['jti'] : '',
    namespace: k8s['namespace'],
    serviceAccount: sa,
    pod: refOf(k8s['pod']),
    secret: refOf(k8s['secret']),
    node: refOf(k8s['node']),
  };
}

/** Go's %q of a []string: ["a" "b"]. */
function goQuoted(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

export class ServiceAccountTokens {
  private key: SigningKey | undefined;
  private readonly verified = new Map<string, TokenClaims>();
  private readonly keys: { sa: string; pods: string; secrets: string; nodes: string };

  constructor(
    private readonly api: ClusterApi,
    readonly issuer: string = DEFAULT_ISSUER,
    /** What a token must be meant for to authenticate against this API server. */
    readonly apiAudiences: readonly string[] = [DEFAULT_ISSUER],
  ) {
    const sk = (resource: string): string => api.registry.lookup('', 'v1', resource)!.storageKey;
    this.keys = { sa: sk('serviceaccounts'), pods: sk('pods'), secrets: sk('secrets'), nodes: sk('nodes') };
  }

  /** Installs the signing key (made when the cluster starts). */
  useKey(key: SigningKey): void {
    this.key = key;
    this.verified.clear();
  }

  get signingKey(): SigningKey | undefined {
    return this.key;
  }

  /** Signs a token for a ServiceAccount; the caller has checked that it and the bound objects exist. */
  issue(o: IssueOptions): IssuedToken {
    if (!this.key) throw new Error('ServiceAccount tokens: the cluster has no signing key yet (start it first)');
    const nowMs = this.api.clock.now();
    const now = Math.floor(nowMs / 1000);
    const k8s: Record<string, unknown> = {
      namespace: o.namespace,
      serviceaccount: { name: o.serviceAccount.name, uid: o.serviceAccount.uid },
    };
    if (o.bound?.pod) k8s['pod'] = { ...o.bound.pod };
    if (o.bound?.secret) k8s['secret'] = { ...o.bound.secret };
    // A node with no UID (the pod's node is not registered) is named only, as kube does.
    if (o.bound?.node) k8s['node'] = o.bound.node.uid ? { ...o.bound.node } : { name: o.bound.node.name };
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      sub: serviceAccountUsername(o.namespace, o.serviceAccount.name),
      aud: o.audiences.length === 1 ? o.audiences[0] : [...o.audiences],
      exp: now + o.expirationSeconds,
      iat: now,
      nbf: now,
      jti: randomUUID(),
      'kubernetes.io': k8s,
    };
    return { token: signJwt(this.key, claims), issuedAt: nowMs, expiresAt: nowMs + o.expirationSeconds * 1000 };
  }

  /**
   * Checks a bearer token as kube's ServiceAccount JWT authenticator does. `audiences` are
   * the ones the caller serves (the API server's own by default; a TokenReview's spec).
   */
  authenticate(token: string, audiences: readonly string[] = this.apiAudiences): TokenAuthentication {
    const claims = this.verifiedClaims(token);
    if (typeof claims === 'string') return { authenticated: false, error: claims };
    const tokenAudiences = claims.audiences.length > 0 ? claims.audiences : [...this.apiAudiences];
    const shared = tokenAudiences.filter((a) => audiences.includes(a));
    if (shared.length === 0) {
      return { authenticated: false, error: `token audiences ${goQuoted(tokenAudiences)} is invalid for the target audiences ${goQuoted(audiences)}` };
    }
    const problem = this.validate(claims);
    if (problem) return { authenticated: false, error: problem.message };
    return { authenticated: true, user: this.userOf(claims), audiences: shared };
  }

  /** The claims of a token this issuer signed, or why not ('' when it is not ours at all). */
  private verifiedClaims(token: string): TokenClaims | string {
    const hit = this.verified.get(token);
    if (hit) return hit;
    const jwt = decodeJwt(token);
    // Another issuer's token (or not a JWT) is not this authenticator's to judge.
    if (!jwt || jwt.claims['iss'] !== this.issuer || !this.key) return '';
    // A key id that names no key of ours is only a hint: kube then tries every key it has.
    if (!verifyJwt(this.key, jwt)) return 'go-jose/go-jose: error in cryptographic primitive';
    const claims = claimsOf(jwt.claims);
    if (!claims) return 'service account token claims are missing or malformed';
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }

  /** kube's bound-token validator: the time claims, then the ServiceAccount and bound objects. */
  private validate(c: TokenClaims): Error | undefined {
    const nowMs = this.api.clock.now();
    const now = nowMs / 1000;
    if (c.nbf !== undefined && now + LEEWAY_SECONDS < c.nbf) return new Error('service account token is not valid yet');
    if (c.exp !== undefined && now - LEEWAY_SECONDS > c.exp) return new Error('service account token has expired');
    if (c.iat !== undefined && now + LEEWAY_SECONDS < c.iat) return new Error('service account token is issued in the future');
    // Objects deleted longer ago than the leeway no longer back a token.
    const deletedBefore = nowMs - LEEWAY_SECONDS * 1000;
    const ns = c.namespace;
    const sa = this.api.store.get(this.keys.sa, objectKey(ns, c.serviceAccount.name));
    if (!sa) return new Error(`serviceaccounts "${c.serviceAccount.name}" not found`);
    if (deletedLongAgo(sa, deletedBefore)) return new Error(`service account ${ns}/${c.serviceAccount.name} has been deleted`);
    if (sa.uid !== c.serviceAccount.uid) return new Error(`service account UID (${sa.uid}) does not match claim (${c.serviceAccount.uid})`);
    if (c.secret) {
      const secret = this.api.store.get(this.keys.secrets, objectKey(ns, c.secret.name));
      if (!secret) return new Error(INVALIDATED);
      if (secret.uid !== c.secret.uid) return new Error(`secret UID (${secret.uid}) does not match service account secret ref claim (${c.secret.uid})`);
      if (deletedLongAgo(secret, deletedBefore)) return new Error(INVALIDATED);
    }
    if (c.pod) {
      const pod = this.api.store.get(this.keys.pods, objectKey(ns, c.pod.name));
      if (!pod || deletedLongAgo(pod, deletedBefore)) return new Error(INVALIDATED);
      if (pod.uid !== c.pod.uid) return new Error(`pod UID (${pod.uid}) does not match service account pod ref claim (${c.pod.uid})`);
    } else if (c.node?.uid) {
      // Only a token bound to the node itself dies with it; a pod's token names its node for information.
      const node = this.api.store.get(this.keys.nodes, objectKey('', c.node.name));
      if (!node || deletedLongAgo(node, deletedBefore)) return new Error(INVALIDATED);
      if (node.uid !== c.node.uid) return new Error(`node UID (${node.uid}) does not match service account node ref claim (${c.node.uid})`);
    }
    return undefined;
  }

  private userOf(c: TokenClaims): UserInfo {
    const extra: Record<string, string[]> = {};
    if (c.pod?.name && c.pod.uid) {
      extra[EXTRA_POD_NAME] = [c.pod.name];
      extra[EXTRA_POD_UID] = [c.pod.uid];
    }
    if (c.jti) extra[EXTRA_CREDENTIAL_ID] = [`JTI=${c.jti}`];
    if (c.node?.name) {
      extra[EXTRA_NODE_NAME] = [c.node.name];
      if (c.node.uid) extra[EXTRA_NODE_UID] = [c.node.uid];
    }
    return {
      username: serviceAccountUsername(c.namespace, c.serviceAccount.name),
      uid: c.serviceAccount.uid,
      groups: withAuthenticatedGroup(serviceAccountGroups(c.namespace)),
      extra,
    };
  }
}

/** True when the object is marked deleted at a time before `beforeMs` (most objects carry no mark: no parse). */
function deletedLongAgo(o: StoredObject, beforeMs: number): boolean {
  if (!o.json.includes('"deletionTimestamp"')) return false;
  const ts = (JSON.parse(o.json) as KubeObject).metadata.deletionTimestamp;
  return typeof ts === 'string' && Date.parse(ts) < beforeMs;
}
