// A throwaway certificate authority for simulated clusters: the API servers serve
// HTTPS with a certificate it signs, and kubeconfigs carry it as
// certificate-authority-data, as real clusters do. Keys come from node:crypto (fast,
// native); node-forge only assembles and signs the X.509 certificates.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPairPem {
  key: string;
  cert: string;
}

export interface CertificateAuthority extends KeyPairPem {
  /** Issues a certificate signed by this CA. */
  issue(opts: IssueOptions): KeyPairPem;
}

export interface IssueOptions {
  commonName: string;
  organization?: string[];
  /** DNS names and IP addresses for a serving certificate. */
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: 'server' | 'client' | 'both';
  days?: number;
}

function newKeys(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function serial(): string {
  // Positive 16-byte serial number (the high bit cleared).
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + days * 24 * 60 * 60 * 1000);
}

export function createCertificateAuthority(commonName = 'tidepool-sim-ca'): CertificateAuthority {
  const keys = newKeys();
  const caKey = forge.pki.privateKeyFromPem(keys.privatePem);
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  caCert.serialNumber = serial();
  validity(caCert, 3650);
  const attrs = [{ name: 'commonName', value: commonName }];
  caCert.setSubject(attrs);
  caCert.setIssuer(attrs);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(caKey, forge.md.sha256.create());
  const caPem = forge.pki.certificateToPem(caCert);

  return {
    key: keys.privatePem,
    cert: caPem,
    issue(opts: IssueOptions): KeyPairPem {
      const k = newKeys();
      const cert = forge.pki.createCertificate();
      cert.publicKey = forge.pki.publicKeyFromPem(k.publicPem);
      cert.serialNumber = serial();
      validity(cert, opts.days ?? 365);
      const subject: forge.pki.CertificateField[] = [{ name: 'commonName', value: opts.commonName }];
      for (const o of opts.organization ?? []) subject.push({ name: 'organizationName', value: o });
      cert.setSubject(subject);
      cert.setIssuer(caCert.subject.attributes);
      const altNames = [
        ...(opts.dnsNames ?? []).map((value) => ({ type: 2, value })),
        ...(opts.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
      ];
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        {
          name: 'extKeyUsage',
          serverAuth: opts.usage !== 'client',
          clientAuth: opts.usage !== 'server',
        },
        ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
        { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
      ]);
      cert.sign(caKey, forge.md.sha256.create());
      return { key: k.privatePem, cert: forge.pki.certificateToPem(cert) };
    },
  };
}
