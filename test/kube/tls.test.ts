// kube/tls: certificates Tidepool's servers serve and accept, checked by Node's own TLS stack
// (a real handshake on loopback), not by reading the certificate back.

import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, selfSignedServingCertificate, type CertificateKeyPair } from '../../kube/index.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(tls: CertificateKeyPair, clientCa?: string): Promise<number> {
  server = createServer({ key: tls.key, cert: tls.cert, ...(clientCa ? { ca: clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.end(JSON.stringify(peer && 'subject' in peer ? { cn: peer.subject?.CN ?? null, o: peer.subject?.O ?? null } : {}));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

function get(port: number, opts: { ca: string; servername?: string; cert?: CertificateKeyPair }): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', ca: opts.ca, agent: false, ...(opts.servername ? { servername: opts.servername } : {}), ...(opts.cert ? { cert: opts.cert.cert, key: opts.cert.key } : {}) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('selfSignedServingCertificate', () => {
  it('verifies for its IP address and host names against its own CA', async () => {
    const tls = selfSignedServingCertificate(['127.0.0.1', 'vn.example']);
    const port = await serve(tls);
    expect(await get(port, { ca: tls.caCert })).toBe('{}');
    // The chain in `cert` is enough to trust it too.
    expect(await get(port, { ca: tls.cert })).toBe('{}');
    const leaf = new X509Certificate(tls.cert);
    expect(leaf.subjectAltName).toContain('DNS:vn.example');
    expect(leaf.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(leaf.ca).toBe(false);
  });

  it('does not verify for a name it was not made for', async () => {
    const tls = selfSignedServingCertificate(['127.0.0.1']);
    const port = await serve(tls);
    await expect(get(port, { ca: tls.caCert, servername: 'other.example' })).rejects.toThrow(/altnames|does not match/i);
  });

  it('refuses to be made for nothing', () => {
    expect(() => selfSignedServingCertificate([])).toThrow(/at least one host/);
  });
});

describe('createCertificateAuthority', () => {
  it('issues client certificates that name the user (CN) and groups (O)', async () => {
    const ca = createCertificateAuthority('clients');
    const serving = ca.issue({ commonName: 'server', usage: 'server', ipAddresses: ['127.0.0.1'] });
    const port = await serve(serving, ca.cert);
    const alice = ca.issue({ commonName: 'alice', organization: ['devs', 'ops'], usage: 'client' });
    expect(JSON.parse(await get(port, { ca: ca.cert, cert: alice }))).toEqual({ cn: 'alice', o: ['devs', 'ops'] });
  });

  it('a certificate from another CA is refused in the handshake', async () => {
    const ca = createCertificateAuthority('clients');
    const port = await serve(ca.issue({ commonName: 'server', usage: 'server', ipAddresses: ['127.0.0.1'] }), ca.cert);
    const stranger = createCertificateAuthority('strangers').issue({ commonName: 'mallory', usage: 'client' });
    await expect(get(port, { ca: ca.cert, cert: stranger })).rejects.toThrow();
  });

  it('refuses an IP address that is not one', () => {
    const ca = createCertificateAuthority('x');
    expect(() => ca.issue({ commonName: 's', usage: 'server', ipAddresses: ['localhost'] })).toThrow(/"localhost" is not an IP address/);
  });
});
