// pods/exec, attach and portforward for a pod on a node that is not simulated: the sim
// proxies the client's upgrade request (WebSocket v5.channel.k8s.io or SPDY/3.1) to the
// kubelet endpoint in the Node's status and pipes both directions, as kube-apiserver
// does. A stand-in kubelet speaks just enough of v5.channel.k8s.io for real kubectl to
// run `kubectl exec remote -- echo hi`; for SPDY it echoes bytes after the 101.

import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createCertificateAuthority } from '../../../kube/index.js';
import { hasKubectl, Kubectl } from '../../helpers/kubectl.js';
import { accessFor, expectStatus, podManifest, raw, readResponse, registerKubeletNode, startTestSim, waitFor, type ClusterAccess, type RawResponse, type TestSim } from './helpers.js';

let t: TestSim;
let access: ClusterAccess;
let kubelet: Server;
let kubectl: Kubectl | undefined;
const kubeletSockets = new Set<Socket>();
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  clientCN: string | undefined;
}
const seen: Seen[] = [];

function remember(req: IncomingMessage): void {
  const peer = (req.socket as TLSSocket).getPeerCertificate();
  const cn: string | string[] | undefined = peer && 'subject' in peer ? peer.subject?.CN : undefined;
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, clientCN: Array.isArray(cn) ? cn[0] : cn });
}

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host'], nodes: 1 });
  access = accessFor(t.sim.kubeconfig, 'host');
  const ca = createCertificateAuthority('fake-kubelet-ca');
  const serving = ca.issue({ commonName: 'fake-kubelet', usage: 'server', ipAddresses: ['127.0.0.1'] });
  kubelet = createServer({ key: serving.key, cert: serving.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    remember(req);
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end('upgrade required');
  });
  kubelet.on('connection', (s: Socket) => {
    kubeletSockets.add(s);
    s.on('close', () => kubeletSockets.delete(s));
  });
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false),
  });
  kubelet.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    remember(req);
    const url = new URL(req.url ?? '/', 'https://x');
    if (String(req.headers.upgrade).toLowerCase() === 'websocket') {
      if (!url.pathname.startsWith('/exec/default/remote/')) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        // v5.channel.k8s.io: binary frames, first byte the channel (1 stdout, 3 status).
        const argv = url.searchParams.getAll('command');
        const finish = (code: number): void => {
          const status =
            code === 0
              ? { metadata: {}, status: 'Success' }
              : { metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', message: `command terminated with non-zero exit code: ${code}`, details: { causes: [{ reason: 'ExitCode', message: String(code) }] } };
          ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]));
          ws.close(1000);
        };
        if (argv[0] === 'cat') {
          // stdin (channel 0) back on stdout until the client's close signal for stdin (255, 0).
          ws.on('message', (data: Buffer) => {
            if (data[0] === 0 && data.length > 1) ws.send(Buffer.concat([Buffer.from([1]), data.subarray(1)]));
            else if (data[0] === 255 && data[1] === 0) finish(0);
          });
          return;
        }
        if (argv[0] === 'echo') ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`${argv.slice(1).join(' ')}\n`)]));
        finish(argv[0] === 'false' ? 3 : 0);
      });
      return;
    }
    // SPDY/3.1 stand-in: accept the upgrade, then echo every byte back.
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${req.headers.upgrade}\r\nX-Stream-Protocol-Version: ${req.headers['x-stream-protocol-version'] ?? ''}\r\n\r\n`);
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
  const kubeletPort = (kubelet.address() as AddressInfo).port;

  const kc = new KubeConfig();
  kc.loadFromString(t.sim.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await registerKubeletNode(core, 'virtual-node', kubeletPort);
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('remote', { spec: { nodeName: 'virtual-node', schedulerName: 'none' } }) as V1Pod });
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('local') as V1Pod });
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('unbound', { spec: { schedulerName: 'none' } }) as V1Pod });
  // Running, not only bound: the sim's built-in shell answers exec on running containers only.
  await waitFor('pod local running on a simulated node', async () => (await core.readNamespacedPod({ namespace: 'default', name: 'local' })).status?.phase === 'Running', 15_000);
  if (hasKubectl) kubectl = new Kubectl(t.sim.kubeconfig);
});

afterAll(async () => {
  kubectl?.cleanup();
  for (const s of kubeletSockets) s.destroy();
  await new Promise<void>((r) => (kubelet ? kubelet.close(() => r()) : r()));
  await t?.stop();
});

interface UpgradeResult {
  response: RawResponse;
  /** Set when the server switched protocols: the piped socket. */
  socket?: Socket;
}

/** An upgrade request as kubectl sends it; resolves with the non-101 answer or the upgraded socket. */
function upgrade(method: string, path: string, opts: { token?: string | null; protocol?: 'spdy' | 'websocket' } = {}): Promise<UpgradeResult> {
  const headers: Record<string, string> = { Connection: 'Upgrade' };
  const token = opts.token === undefined ? access.token : opts.token;
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (opts.protocol === 'websocket') {
    Object.assign(headers, { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'), 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' });
  } else {
    Object.assign(headers, { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' });
  }
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, access.server), { method, headers, ca: access.ca, agent: false, timeout: 10_000 }, (res) => {
      readResponse(res).then((response) => resolve({ response }), reject);
    });
    req.on('upgrade', (res, socket: Socket) => resolve({ response: { status: res.statusCode ?? 0, headers: res.headers, body: '', json: undefined }, socket }));
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

describe('pods/exec proxied to a real kubelet endpoint', () => {
  it.skipIf(!hasKubectl)('kubectl exec over WebSocket prints the command output and exits 0', async () => {
    const before = seen.length;
    const r = await kubectl!.run(['exec', 'remote', '--', 'echo', 'hi'], { timeoutMs: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
    const got = seen.slice(before).find((s) => s.url.startsWith('/exec/'));
    expect(got).toBeDefined();
    const url = new URL(got!.url, 'https://x');
    // The kubelet's parameter names (kube's streamParams): stdout → output, stderr → error.
    expect(url.pathname).toBe('/exec/default/remote/app');
    expect(url.searchParams.getAll('command')).toEqual(['echo', 'hi']);
    expect(url.searchParams.get('output')).toBe('1');
    expect(url.searchParams.get('error')).toBe('1');
    expect(url.searchParams.has('input')).toBe(false);
    expect(url.searchParams.has('tty')).toBe(false);
    expect(String(got!.headers['upgrade']).toLowerCase()).toBe('websocket');
    expect(String(got!.headers['sec-websocket-protocol'])).toMatch(/v5\.channel\.k8s\.io/);
    // The sim presents its kubelet-client certificate, not the user's token.
    expect(got!.clientCN).toBe('kube-apiserver-kubelet-client');
    expect(got!.headers['authorization']).toBeUndefined();
  });

  it.skipIf(!hasKubectl)('kubectl exec -i pipes stdin to the kubelet and its output back', async () => {
    const r = await kubectl!.run(['exec', '-i', 'remote', '--', 'cat'], { input: 'from stdin\n', timeoutMs: 20_000 });
    expect(r.stdout).toBe('from stdin\n');
    expect(r.code).toBe(0);
    expect(new URL(seen.at(-1)!.url, 'https://x').searchParams.get('input')).toBe('1');
  });

  it.skipIf(!hasKubectl)("kubectl exec exits with the command's exit code from the kubelet's status", async () => {
    const r = await kubectl!.run(['exec', 'remote', '--', 'false'], { timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/exit code/);
  });

  it('a SPDY/3.1 POST is switched and piped both ways, with the upgrade headers unchanged', async () => {
    const before = seen.length;
    const { response, socket } = await upgrade('POST', '/api/v1/namespaces/default/pods/remote/exec?command=sh&command=-c&command=true&stdin=true&stdout=true&tty=true');
    expect(response.status).toBe(101);
    expect(response.headers['upgrade']).toBe('SPDY/3.1');
    expect(response.headers['x-stream-protocol-version']).toBe('v4.channel.k8s.io');
    const echoed = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket!.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('ping')) resolve(text);
      });
      socket!.on('error', reject);
      socket!.write('ping');
      setTimeout(() => reject(new Error(`no echo, got ${JSON.stringify(text)}`)), 8000).unref();
    });
    expect(echoed).toBe('ping');
    const open = kubeletSockets.size;
    socket!.destroy();
    // The client went away: the sim closes its connection to the kubelet too.
    await waitFor('the kubelet connection to close', () => kubeletSockets.size < open);
    const got = seen.slice(before).at(-1)!;
    expect(got.method).toBe('POST');
    const url = new URL(got.url, 'https://x');
    expect(url.pathname).toBe('/exec/default/remote/app');
    expect(Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k).join(',')]))).toEqual({
      command: 'sh,-c,true',
      input: '1',
      output: '1',
      tty: '1',
    });
    expect(got.headers['x-stream-protocol-version']).toBe('v4.channel.k8s.io');
  });

  it('attach and portforward reach the kubelet paths /attach/... and /portForward/...', async () => {
    const before = seen.length;
    const a = await upgrade('POST', '/api/v1/namespaces/default/pods/remote/attach?container=app&stdout=true&stderr=false');
    expect(a.response.status).toBe(101);
    a.socket!.destroy();
    const p = await upgrade('GET', '/api/v1/namespaces/default/pods/remote/portforward?ports=8080&ports=9090');
    expect(p.response.status).toBe(101);
    p.socket!.destroy();
    const urls = seen.slice(before).map((s) => s.url);
    expect(urls).toEqual(['/attach/default/remote/app?output=1', '/portForward/default/remote?port=8080&port=9090']);
  });

  it('the sim is still serving after streams close', async () => {
    expect((await raw(access, 'GET', '/api/v1/namespaces/default/pods/remote')).status).toBe(200);
  });
});

describe('pods/exec errors', () => {
  it('an upgrade request without a token is 401', async () => {
    const { response, socket } = await upgrade('POST', '/api/v1/namespaces/default/pods/remote/exec?command=true&stdout=true', { token: null });
    expect(socket).toBeUndefined();
    expectStatus(response, 401, 'Unauthorized');
  });

  it('injected faults apply to upgrade requests too', async () => {
    const cluster = t.sim.cluster('host');
    cluster.setFaults({ errorRate: 1, errorCode: 500 });
    try {
      const { response, socket } = await upgrade('POST', '/api/v1/namespaces/default/pods/remote/exec?command=true&stdout=true');
      expect(socket).toBeUndefined();
      expectStatus(response, 500, 'InternalError');
    } finally {
      cluster.clearFaults();
    }
  });

  it('exec on a pod of a simulated node is answered by the sim itself, never proxied', async () => {
    const before = seen.length;
    for (const protocol of ['websocket', 'spdy'] as const) {
      const { response, socket } = await upgrade(protocol === 'websocket' ? 'GET' : 'POST', '/api/v1/namespaces/default/pods/local/exec?command=true&stdout=true', { protocol });
      expect(response.status).toBe(101);
      socket!.destroy();
    }
    expect(seen.length).toBe(before);
  });

  it('port-forward to a pod on a simulated node is a 400: its containers listen on nothing', async () => {
    for (const protocol of ['websocket', 'spdy'] as const) {
      const { response } = await upgrade(protocol === 'websocket' ? 'GET' : 'POST', '/api/v1/namespaces/default/pods/local/portforward?ports=80', { protocol });
      const s = expectStatus(response, 400, 'BadRequest');
      expect(String(s['message'])).toMatch(/simulated node .* listen on no ports: portforward is not available/);
    }
  });

  it('exec without a command is a 400', async () => {
    const { response } = await upgrade('POST', '/api/v1/namespaces/default/pods/remote/exec?stdout=true');
    expect(String(expectStatus(response, 400, 'BadRequest')['message'])).toMatch(/command/);
  });

  it('an unknown container is a 400 in kube wording', async () => {
    const { response } = await upgrade('POST', '/api/v1/namespaces/default/pods/remote/exec?command=true&container=nope&stdout=true');
    expect(expectStatus(response, 400, 'BadRequest')['message']).toBe('container nope is not valid for pod remote');
  });

  it('a missing pod is 404 and a pod not yet bound is 400', async () => {
    expectStatus((await upgrade('POST', '/api/v1/namespaces/default/pods/ghost/exec?command=true&stdout=true')).response, 404, 'NotFound');
    const unbound = (await upgrade('POST', '/api/v1/namespaces/default/pods/unbound/exec?command=true&stdout=true')).response;
    expect(expectStatus(unbound, 400, 'BadRequest')['message']).toBe('pod unbound does not have a host assigned');
  });

  it('a request without an Upgrade header is a 400', async () => {
    expect(expectStatus(await raw(access, 'POST', '/api/v1/namespaces/default/pods/remote/exec?command=true&stdout=true'), 400, 'BadRequest')['message']).toBe(
      'Upgrade request required',
    );
  });

  it('no request reached the kubelet for a rejected stream', () => {
    expect(seen.filter((s) => s.url.includes('nope') || s.url.includes('ghost') || s.url.includes('unbound') || s.url.includes('/local'))).toEqual([]);
  });
});
