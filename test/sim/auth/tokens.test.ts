// ServiceAccount tokens end to end over the sim's HTTPS API: TokenRequest issues them
// (serviceaccounts/token), TokenReview and the API server's own authentication accept
// them while they are valid, and they die as kube's do — on expiry, for the wrong
// audience, with their ServiceAccount, with the pod or secret they are bound to.

import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigningKey, DEFAULT_ISSUER } from '../../../sim/auth/index.js';
import { signJwt } from '../../../sim/auth/jwt.js';
import { expectStatus } from '../e2e/helpers.js';
import { call, claimsOf, create, startAuthCluster, type AuthCluster } from './helpers.js';

const NS = 'apps';
const TOKEN_REQUEST = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest' };
const tokenPath = (sa: string, ns = NS): string => `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`;

let t: AuthCluster;

async function makeServiceAccount(name: string): Promise<string> {
  const o = await create(t.access, `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
  return (o['metadata'] as { uid: string }).uid;
}

async function requestToken(sa: string, spec: Record<string, unknown> = {}): Promise<string> {
  const r = await call(t.access, 'POST', tokenPath(sa), { ...TOKEN_REQUEST, spec });
  if (r.status !== 201) throw new Error(`TokenRequest for ${sa}: HTTP ${r.status} ${r.body}`);
  return (r.json!['status'] as { token: string }).token;
}

interface ReviewStatus {
  authenticated?: boolean;
  user: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  audiences?: string[];
  error?: string;
}

async function review(token: string, audiences?: string[]): Promise<ReviewStatus> {
  const r = await call(t.access, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token, ...(audiences ? { audiences } : {}) },
  });
  expect(r.status, r.body).toBe(201);
  return r.json!['status'] as ReviewStatus;
}

/** Who the API server takes a token's bearer for (SelfSubjectReview), or the HTTP status it refuses with. */
async function whoAmI(token: string): Promise<string | number> {
  const r = await call(t.access, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, token);
  if (r.status !== 201) return r.status;
  return ((r.json!['status'] as { userInfo: { username: string } }).userInfo).username;
}

beforeAll(async () => {
  t = await startAuthCluster();
  await create(t.access, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});

afterAll(async () => {
  await t?.stop();
});

describe('TokenRequest (POST serviceaccounts/{name}/token)', () => {
  it('issues an RS256 JWT for the ServiceAccount, valid 3600 s by default, for the API server audience', async () => {
    const uid = await makeServiceAccount('bot');
    const r = await call(t.access, 'POST', tokenPath('bot'), { ...TOKEN_REQUEST, spec: {} });
    expect(r.status, r.body).toBe(201);
    const body = r.json as { kind: string; metadata: Record<string, string>; spec: Record<string, unknown>; status: { token: string; expirationTimestamp: string } };
    expect(body.kind).toBe('TokenRequest');
    expect(body.metadata).toMatchObject({ name: 'bot', namespace: NS });
    expect(body.spec).toEqual({ audiences: [DEFAULT_ISSUER], expirationSeconds: 3600, boundObjectRef: null });
    const issued = Date.parse(body.metadata['creationTimestamp']!);
    expect(Date.parse(body.status.expirationTimestamp) - issued).toBe(3600_000);

    const [header] = body.status.token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'RS256', kid: expect.any(String) });
    const claims = claimsOf(body.status.token);
    expect(Object.keys(claims)).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
    expect(claims).toMatchObject({ iss: DEFAULT_ISSUER, sub: `system:serviceaccount:${NS}:bot`, aud: DEFAULT_ISSUER });
    expect(claims['kubernetes.io']).toEqual({ namespace: NS, serviceaccount: { name: 'bot', uid } });
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(3600);
    expect(claims['nbf']).toBe(claims['iat']);
    expect(claims['jti']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is signed by the key the cluster publishes at /openid/v1/jwks', async () => {
    const token = await requestToken('bot');
    const discovery = await call(t.access, 'GET', '/.well-known/openid-configuration', undefined, token);
    expect(discovery.status).toBe(200);
    expect(discovery.json).toMatchObject({ issuer: DEFAULT_ISSUER, jwks_uri: `${t.access.server}/openid/v1/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
    const jwks = (await call(t.access, 'GET', '/openid/v1/jwks', undefined, token)).json as { keys: Array<Record<string, string>> };
    const [h, p, s] = token.split('.');
    const kid = (JSON.parse(Buffer.from(h!, 'base64url').toString()) as { kid: string }).kid;
    const jwk = jwks.keys.find((k) => k['kid'] === kid)!;
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    const key = createPublicKey({ key: { kty: jwk['kty']!, n: jwk['n']!, e: jwk['e']! }, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s!, 'base64url'))).toBe(true);
  });

  it('authenticates API requests as system:serviceaccount:<ns>:<name>', async () => {
    expect(await whoAmI(await requestToken('bot'))).toBe(`system:serviceaccount:${NS}:bot`);
  });

  it('takes audiences and an expiration, and refuses under 10 minutes or over 2^32 seconds with 422', async () => {
    const token = await requestToken('bot', { audiences: ['vault', 'tidepool'], expirationSeconds: 600 });
    const claims = claimsOf(token);
    expect(claims['aud']).toEqual(['vault', 'tidepool']);
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(600);

    const short = await call(t.access, 'POST', tokenPath('bot'), { ...TOKEN_REQUEST, spec: { expirationSeconds: 599 } });
    expect(expectStatus(short, 422, 'Invalid')['message']).toBe(
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
    );
    const long = await call(t.access, 'POST', tokenPath('bot'), { ...TOKEN_REQUEST, spec: { expirationSeconds: 2 ** 32 + 1 } });
    expect(expectStatus(long, 422, 'Invalid')['message']).toContain('may not specify a duration larger than 2^32 seconds');
  });

  it('answers 404 for a missing ServiceAccount and 422 when the body names another one', async () => {
    const missing = await call(t.access, 'POST', tokenPath('ghost'), { ...TOKEN_REQUEST, spec: {} });
    expect(expectStatus(missing, 404, 'NotFound')['message']).toBe('serviceaccounts "ghost" not found');
    const other = await call(t.access, 'POST', tokenPath('bot'), { ...TOKEN_REQUEST, metadata: { name: 'default' }, spec: {} });
    expect(expectStatus(other, 422, 'Invalid')['message']).toBe(
      'TokenRequest.authentication.k8s.io "bot" is invalid: metadata.name: Invalid value: "default": must match the service account name if specified',
    );
  });

  it('binds a token to a pod running as the ServiceAccount: the claims name the pod and its node', async () => {
    const node = await create(t.access, '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
    const pod = await create(t.access, `/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'worker' },
      spec: { serviceAccountName: 'bot', nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox' }] },
    });
    const podUid = (pod['metadata'] as { uid: string }).uid;
    const token = await requestToken('bot', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'worker', uid: podUid } });
    expect(claimsOf(token)['kubernetes.io']).toMatchObject({
      pod: { name: 'worker', uid: podUid },
      node: { name: 'node-a', uid: (node['metadata'] as { uid: string }).uid },
    });
    const asOther = await call(t.access, 'POST', tokenPath('default'), { ...TOKEN_REQUEST, spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'worker' } } });
    expect(expectStatus(asOther, 400, 'BadRequest')['message']).toBe('cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.');
  });

  it('refuses to bind to other kinds, to missing objects and to a stale UID', async () => {
    const kind = await call(t.access, 'POST', tokenPath('bot'), { ...TOKEN_REQUEST, spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } } });
    expect(expectStatus(kind, 400, 'BadRequest')['message']).toBe('cannot bind token to object of type /v1, Kind=ConfigMap');
    const gone = await call(t.access, 'POST', tokenPath('bot'), { ...TOKEN_REQUEST, spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'nope' } } });
    expect(expectStatus(gone, 404, 'NotFound')['message']).toBe('pods "nope" not found');
    const stale = await call(t.access, 'POST', tokenPath('bot'), { ...TOKEN_REQUEST, spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'worker', uid: 'old-uid' } } });
    expect(expectStatus(stale, 409, 'Conflict')['message']).toContain('the UID in the bound object reference (old-uid) does not match the UID in record');
  });

  it('serves only create: GET is 405', async () => {
    expectStatus(await call(t.access, 'GET', tokenPath('bot')), 405, 'MethodNotAllowed');
  });
});

describe('TokenReview', () => {
  it('authenticates a fresh token: user, ServiceAccount UID, groups, credential id, audiences', async () => {
    const uid = await makeServiceAccount('reviewed');
    const token = await requestToken('reviewed');
    const jti = claimsOf(token)['jti'];
    expect(await review(token)).toEqual({
      authenticated: true,
      user: {
        username: `system:serviceaccount:${NS}:reviewed`,
        uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'],
        extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${jti}`] },
      },
      audiences: [DEFAULT_ISSUER],
    });
  });

  it('refuses an expired token once the 60 s leeway is over; the API answers it 401', async () => {
    const token = await requestToken('reviewed', { expirationSeconds: 600 });
    t.advance(600 + 30);
    try {
      expect((await review(token)).authenticated).toBe(true);
      t.advance(60);
      const r = await review(token);
      expect(r).toEqual({ user: {}, error: '[invalid bearer token, service account token has expired]' });
      expect(await whoAmI(token)).toBe(401);
    } finally {
      t.advance(-690);
    }
  });

  it('refuses a token meant for another audience, unless the review asks for that audience', async () => {
    const token = await requestToken('reviewed', { audiences: ['vault'] });
    expect((await review(token)).error).toBe(
      '[invalid bearer token, token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]]',
    );
    const forVault = await review(token, ['vault', 'other']);
    expect(forVault.authenticated).toBe(true);
    expect(forVault.audiences).toEqual(['vault']);
    expect(await whoAmI(token)).toBe(401);
  });

  it('refuses a token whose ServiceAccount was deleted, also when one of the same name comes back', async () => {
    await makeServiceAccount('short-lived');
    const token = await requestToken('short-lived');
    expect(await whoAmI(token)).toBe(`system:serviceaccount:${NS}:short-lived`);
    expect((await call(t.access, 'DELETE', `/api/v1/namespaces/${NS}/serviceaccounts/short-lived`)).status).toBe(200);
    expect((await review(token)).error).toBe('[invalid bearer token, serviceaccounts "short-lived" not found]');
    expect(await whoAmI(token)).toBe(401);
    const newUid = await makeServiceAccount('short-lived');
    expect((await review(token)).error).toMatch(new RegExp(`^\\[invalid bearer token, service account UID \\(${newUid}\\) does not match claim \\(.+\\)\\]$`));
  });

  it('keeps a pod-bound token working while the pod terminates, and refuses it once the pod is gone', async () => {
    const token = await requestToken('bot', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'worker' } });
    const r = await review(token);
    expect(r.user.extra).toMatchObject({
      'authentication.kubernetes.io/pod-name': ['worker'],
      'authentication.kubernetes.io/node-name': ['node-a'],
    });
    // A pod on a node terminates gracefully (30 s): its deletionTimestamp is in the future.
    expect((await call(t.access, 'DELETE', `/api/v1/namespaces/${NS}/pods/worker`)).status).toBe(200);
    expect((await review(token)).authenticated).toBe(true);
    expect((await call(t.access, 'DELETE', `/api/v1/namespaces/${NS}/pods/worker`, { gracePeriodSeconds: 0 })).status).toBe(200);
    expect((await review(token)).error).toBe('[invalid bearer token, service account token has been invalidated]');
    expect(await whoAmI(token)).toBe(401);
  });

  it('refuses a secret-bound token once the secret is deleted', async () => {
    await create(t.access, `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'anchor' } });
    const token = await requestToken('bot', { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'anchor' } });
    expect(claimsOf(token)['kubernetes.io']).toMatchObject({ secret: { name: 'anchor' } });
    expect((await review(token)).authenticated).toBe(true);
    await call(t.access, 'DELETE', `/api/v1/namespaces/${NS}/secrets/anchor`);
    expect((await review(token)).error).toBe('[invalid bearer token, service account token has been invalidated]');
  });

  it('refuses tampered tokens, tokens signed with another key and garbage', async () => {
    const token = await requestToken('bot');
    const [h, , s] = token.split('.');
    const claims = claimsOf(token);
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url');
    expect((await review(`${h}.${forgedPayload}.${s}`)).authenticated).toBeUndefined();
    const otherKey = await createSigningKey();
    expect((await review(signJwt(otherKey, claims))).authenticated).toBeUndefined();
    expect(await review('not-a-token')).toEqual({ user: {}, error: 'invalid bearer token' });
    expect(await whoAmI(`${h}.${forgedPayload}.${s}`)).toBe(401);
  });

  it('reviews the admin token as kubernetes-admin in system:masters', async () => {
    expect(await review(t.access.token)).toEqual({
      authenticated: true,
      user: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      audiences: [DEFAULT_ISSUER],
    });
  });

  it('requires spec.token (400) and serves only create (405)', async () => {
    const empty = await call(t.access, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: {} });
    expect(expectStatus(empty, 400, 'BadRequest')['message']).toBe('token is required for TokenReview in authentication');
    expectStatus(await call(t.access, 'GET', '/apis/authentication.k8s.io/v1/tokenreviews'), 405, 'MethodNotAllowed');
    const typo = await raw400(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"x","audience":["a"]}}`);
    expect(typo).toContain('strict decoding error: unknown field "spec.audience"');
  });
});

/** A TokenReview with fieldValidation=Strict; returns the error message. */
async function raw400(body: string): Promise<string> {
  const r = await call(t.access, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews?fieldValidation=Strict', JSON.parse(body));
  return String(expectStatus(r, 400, 'BadRequest')['message']);
}
