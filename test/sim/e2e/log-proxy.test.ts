// pods/log for a pod on a node that is not simulated (the virtual node later): the sim
// proxies to the kubelet endpoint in the Node's status, as kube-apiserver does, over
// HTTPS with its kubelet-client certificate, forwarding the log options and streaming
// a followed log through.

import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../../kube/index.js';
import { accessFor, expectStatus, podManifest, raw, registerKubeletNode, sleep, startTestSim, type ClusterAccess, type TestSim } from './helpers.js';

let t: TestSim;
let access: ClusterAccess;
let kubelet: Server;
let kubeletPort: number;
const seen: Array<{ url: string; clientCN: string | undefined }> = [];

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host'], nodes: 1 });
  access = accessFor(t.sim.kubeconfig, 'host');
  // A stand-in kubelet: its own CA (the apiserver does not verify kubelet certs by default).
  const ca = createCertificateAuthority('fake-kubelet-ca');
  const serving = ca.issue({ commonName: 'fake-kubelet', usage: 'server', ipAddresses: ['127.0.0.1'] });
  kubelet = createServer({ key: serving.key, cert: serving.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn: string | string[] | undefined = peer && 'subject' in peer ? peer.subject?.CN : undefined;
    seen.push({ url: req.url ?? '', clientCN: Array.isArray(cn) ? cn[0] : cn });
    const url = new URL(req.url ?? '/', 'https://x');
    if (!url.pathname.startsWith('/containerLogs/default/remote/app')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('remote line 1\n');
    if (url.searchParams.get('follow') !== 'true') {
      res.end('remote line 2\n');
      return;
    }
    const timer = setInterval(() => res.write('remote tick\n'), 50);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
  kubeletPort = (kubelet.address() as AddressInfo).port;
  const kc = new KubeConfig();
  kc.loadFromString(t.sim.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await registerKubeletNode(core, 'virtual-node', kubeletPort);
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('remote', { spec: { nodeName: 'virtual-node', schedulerName: 'none' } }) as V1Pod });
});

afterAll(async () => {
  kubelet?.closeAllConnections();
  await new Promise<void>((r) => (kubelet ? kubelet.close(() => r()) : r()));
  await t?.stop();
});

describe('pods/log proxied to a real kubelet endpoint', () => {
  it('forwards the request with the log options and the kubelet-client certificate', async () => {
    const r = await raw(access, 'GET', '/api/v1/namespaces/default/pods/remote/log?tailLines=5&timestamps=true&sinceSeconds=60');
    expect(r.status).toBe(200);
    expect(r.body).toBe('remote line 1\nremote line 2\n');
    const last = seen.at(-1)!;
    const url = new URL(last.url, 'https://x');
    expect(url.pathname).toBe('/containerLogs/default/remote/app');
    expect(Object.fromEntries(url.searchParams)).toEqual({ tailLines: '5', timestamps: 'true', sinceSeconds: '60' });
    expect(last.clientCN).toBe('kube-apiserver-kubelet-client');
  });

  it('streams a followed log until the client goes away', async () => {
    const controller = new AbortController();
    const { request } = await import('node:https');
    const got = await new Promise<string>((resolve, reject) => {
      let text = '';
      const req = request(
        new URL('/api/v1/namespaces/default/pods/remote/log?follow=true', access.server),
        { headers: { Authorization: `Bearer ${access.token}` }, ca: access.ca, signal: controller.signal },
        (res) => {
          res.on('data', (d: Buffer) => {
            text += d.toString();
            if (text.split('\n').filter((l) => l === 'remote tick').length >= 3) {
              controller.abort();
              resolve(text);
            }
          });
        },
      );
      req.on('error', (e) => (e.name === 'AbortError' ? undefined : reject(e)));
      req.end();
      setTimeout(() => reject(new Error(`no streamed lines: ${text}`)), 8000).unref();
    });
    expect(got.startsWith('remote line 1\n')).toBe(true);
    // The sim is still serving afterwards.
    await sleep(50);
    expect((await raw(access, 'GET', '/api/v1/namespaces/default/pods/remote')).status).toBe(200);
  });

  it('a kubelet that cannot be reached gives a Status error', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(t.sim.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNode({ body: { metadata: { name: 'dead-node' } } });
    await core.replaceNodeStatus({
      name: 'dead-node',
      body: { metadata: { name: 'dead-node' }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 1 } } } },
    });
    await core.createNamespacedPod({ namespace: 'default', body: podManifest('orphan', { spec: { nodeName: 'dead-node', schedulerName: 'none' } }) as V1Pod });
    const r = await raw(access, 'GET', '/api/v1/namespaces/default/pods/orphan/log');
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(r.json?.['kind']).toBe('Status');
    expect(String(r.json?.['message'])).toMatch(/dead-node/);
  });

  it('a container name that the pod does not have is a 400', async () => {
    expectStatus(await raw(access, 'GET', '/api/v1/namespaces/default/pods/remote/log?container=nope'), 400, 'BadRequest');
  });
});
