/**
 * X.509 certificates for Tidepool's own servers: a certificate authority that issues serving
 * and client certificates, and the self-signed serving certificate a server makes for itself
 * when none is configured (as the kubelet does without --tls-cert-file: a throwaway CA signs
 * one serving certificate, and the chain is served).
 *
 * Keys come from node:crypto (native and fast); node-forge only assembles and signs the
 * certificates, since node:crypto cannot.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface CertificateKeyPair {
  /** PEM certificate (a leaf followed by its issuers, where there are any). */
  cert: string;
  /** PEM private key (PKCS#8). */
  key: string;
}

export interface CertificateRequest {
  commonName: string;
  /** Subject organizations; Kubernetes reads them as the user's groups. */
  organization?: string[];
  /** Subject alternative names: DNS names, and IP addresses (IPv4 or IPv6). */
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: 'server' | 'client' | 'both';
  /** Validity from one hour ago (clock skew) to this many days ahead. Default 365. */
  days?: number;
}

export interface CertificateAuthority extends CertificateKeyPair {
  issue(request: CertificateRequest): CertificateKeyPair;
}

export interface SelfSignedServingCertificate extends CertificateKeyPair {
  /** The throwaway CA that signed it: what a client trusts to verify the server. */
  caCert: string;
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

function newKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A positive 128-bit serial number (RFC 5280 wants positive and unpredictable). */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

function setValidity(cert: forge.pki.Certificate, days: number): void {
  if (!(days > 0)) throw new RangeError(`certificate validity must be a positive number of days, got ${days}`);
  const now = Date.now();
  cert.validity.notBefore = new Date(now - HOUR_MS);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
}

/** A new certificate authority (RSA 2048, SHA-256), valid for `days` (default 10 years). */
export function createCertificateAuthority(commonName: string, days = 3650): CertificateAuthority {
  const keys = newKeyPair();
  const caKey = forge.pki.privateKeyFromPem(keys.privatePem);
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  caCert.serialNumber = serialNumber();
  setValidity(caCert, days);
  const subject = [{ name: 'commonName', value: commonName }];
  caCert.setSubject(subject);
  caCert.setIssuer(subject);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(caKey, forge.md.sha256.create());
  const caPem = forge.pki.certificateToPem(caCert);
  const caKeyId = caCert.generateSubjectKeyIdentifier().getBytes();

  return {
    cert: caPem,
    key: keys.privatePem,
    issue(request: CertificateRequest): CertificateKeyPair {
      const k = newKeyPair();
      const cert = forge.pki.createCertificate();
      cert.publicKey = forge.pki.publicKeyFromPem(k.publicPem);
      cert.serialNumber = serialNumber();
      setValidity(cert, request.days ?? 365);
      const fields: forge.pki.CertificateField[] = [{ name: 'commonName', value: request.commonName }];
      for (const o of request.organization ?? []) fields.push({ name: 'organizationName', value: o });
      cert.setSubject(fields);
      cert.setIssuer(caCert.subject.attributes);
      for (const ip of request.ipAddresses ?? []) {
        if (isIP(ip) === 0) throw new Error(`certificate for ${request.commonName}: "${ip}" is not an IP address`);
      }
      const altNames = [
        ...(request.dnsNames ?? []).map((value) => ({ type: 2, value })),
        ...(request.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
      ];
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: request.usage !== 'client', clientAuth: request.usage !== 'server' },
        ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
        { name: 'authorityKeyIdentifier', keyIdentifier: caKeyId },
      ]);
      cert.sign(caKey, forge.md.sha256.create());
      return { cert: forge.pki.certificateToPem(cert), key: k.privatePem };
    },
  };
}

/**
 * A serving certificate for `hosts` (DNS names and IP addresses, sorted apart here) signed by
 * a throwaway CA named after the first host, as client-go's GenerateSelfSignedCertKey makes
 * them. `cert` is the chain (leaf, then CA), so a client that trusts `caCert` verifies it.
 */
export function selfSignedServingCertificate(hosts: string[], days = 365): SelfSignedServingCertificate {
  if (hosts.length === 0) throw new Error('a self-signed serving certificate needs at least one host name or address');
  const first = hosts[0]!;
  const ca = createCertificateAuthority(`${first}-ca@${Math.floor(Date.now() / 1000)}`, days);
  const leaf = ca.issue({
    commonName: `${first}@${Math.floor(Date.now() / 1000)}`,
    dnsNames: hosts.filter((h) => isIP(h) === 0),
    ipAddresses: hosts.filter((h) => isIP(h) !== 0),
    usage: 'server',
    days,
  });
  return { cert: leaf.cert + ca.cert, key: leaf.key, caCert: ca.cert };
}
