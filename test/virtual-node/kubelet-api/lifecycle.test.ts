// Starting and stopping the kubelet API: the serving certificate it makes when given none,
// options refused at start, and a close() that ends every stream it serves.

import { connect } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type CertificateKeyPair, type Logger } from '../../../kube/index.js';
import { startKubeletApi } from '../../../virtual-node/kubelet-api/index.js';
import { startFixture, MemoryBackend, type Fixture } from './fixture.js';

let f: Fixture;
let admin: CertificateKeyPair;
const logged: Array<{ obj: object; msg: string | undefined }> = [];
const logger: Logger = {
  debug: () => undefined,
  info: (obj, msg) => logged.push({ obj, msg }),
  warn: (obj, msg) => logged.push({ obj, msg }),
  error: (obj, msg) => logged.push({ obj, msg }),
};

beforeAll(async () => {
  f = await startFixture({ logger });
  admin = f.clientCa.issue({ commonName: 'admin', organization: ['system:masters'], usage: 'client' });
  await f.addPlacedPod('web');
});

afterAll(async () => {
  await f?.stop();
});

describe('serving certificate', () => {
  it('is made at start when none is given, for the listen address, and the start is logged', () => {
    const leaf = new X509Certificate(f.api.certPem);
    expect(leaf.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(logged.some((l) => l.msg?.includes('made a self-signed one'))).toBe(true);
  });

  it('is the one given when there is one', async () => {
    const ca = createCertificateAuthority('kubelet-serving');
    const tls = ca.issue({ commonName: 'vn', usage: 'server', ipAddresses: ['127.0.0.1'] });
    const api = await startKubeletApi({ backend: new MemoryBackend(), host: f.host, listen: { host: '127.0.0.1', port: 0 }, tls });
    try {
      expect(api.certPem).toBe(tls.cert);
    } finally {
      await api.close();
    }
  });
});

describe('options', () => {
  it.each([
    [{ listen: { host: '127.0.0.1', port: 70_000 } }, /listen\.port/],
    [{ listen: { host: '', port: 0 } }, /listen\.host/],
    [{ clientCaPem: 'not a certificate' }, /clientCaPem must be a PEM certificate/],
    [{ tls: { cert: 'x', key: 'y' } }, /tls\.cert and tls\.key must be PEM/],
  ])('refuses %j at start, naming the option', async (bad, message) => {
    await expect(startKubeletApi({ backend: new MemoryBackend(), host: f.host, listen: { host: '127.0.0.1', port: 0 }, ...bad })).rejects.toThrow(message);
  });
});

describe('close', () => {
  it('ends a followed log and stops listening', async () => {
    const res = await f.open('/containerLogs/default/web/app?follow=true', { cert: admin });
    expect(res.statusCode).toBe(200);
    const ended = new Promise<void>((resolve) => {
      res.on('close', () => resolve());
      res.resume();
    });
    await f.api.close();
    await ended;
    const refused = await new Promise<string>((resolve) => {
      const s = connect(f.api.port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    // A second close is harmless.
    await f.api.close();
  });
});
