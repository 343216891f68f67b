// Compact JWS tokens signed RS256, as kube-apiserver's ServiceAccount token issuer makes
// them: header {"alg":"RS256","kid":<SHA-256 of the public key's DER, base64url>}, claims
// serialized with their keys sorted (go-jose merges public and private claims through a
// map, so encoding/json sorts them at every level).

import { createHash, generateKeyPair, sign, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** kube's key id: base64url(SHA-256(PKIX DER of the public key)). */
  readonly kid: string;
}

export interface DecodedJwt {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  /** `<header>.<payload>` as received: what the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** A fresh 2048-bit RSA key (generated off the event loop, tens of milliseconds). */
export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  return signingKey(privateKey, publicKey);
}

export function signingKey(privateKey: KeyObject, publicKey: KeyObject): SigningKey {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey, kid: createHash('sha256').update(der).digest('base64url') };
}

/** JSON with object keys sorted at every level; arrays keep their order. */
function sortedJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const rec = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(rec).sort()) out[k] = rec[k];
    return out;
  });
}

export function signJwt(key: SigningKey, claims: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: key.kid })).toString('base64url');
  const payload = Buffer.from(sortedJson(claims)).toString('base64url');
  const input = `${header}.${payload}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function parseSegment(s: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The parts of a compact JWS, or undefined when the text is not one (no signature checked). */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || second === token.length - 1 || token.indexOf('.', second + 1) >= 0) return undefined;
  const h = token.slice(0, first);
  const p = token.slice(first + 1, second);
  const s = token.slice(second + 1);
  if (!B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s)) return undefined;
  const header = parseSegment(h);
  const claims = parseSegment(p);
  if (!header || !claims) return undefined;
  return { header, claims, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

/** True when the token is RS256 and signed by this key. */
export function verifyJwt(key: SigningKey, jwt: DecodedJwt): boolean {
  if (jwt.header['alg'] !== 'RS256') return false;
  return verify('sha256', Buffer.from(jwt.signingInput), key.publicKey, jwt.signature);
}

/** The key as a JSON Web Key Set, as /openid/v1/jwks serves it. */
export function jwks(key: SigningKey): { keys: Record<string, unknown>[] } {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return { keys: [{ use: 'sig', kty: jwk.kty, kid: key.kid, alg: 'RS256', n: jwk.n, e: jwk.e }] };
}
