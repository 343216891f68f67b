// Loopback fixtures for the streaming tests: an HTTPS server whose upgrade requests go to a
// handler (as a kubelet's would), a KubeClient that trusts it, and TCP socket pairs.
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { createServer as createNetServer, connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { KubeClient } from '../../../kube/index.js';
import { createCertificateAuthority } from '../../../kube/index.js';

export const TOKEN = 'stream-test-token';

const ca = createCertificateAuthority('stream-test-ca');
const serving = ca.issue({ commonName: 'stream-test-server', usage: 'server', ipAddresses: ['127.0.0.1'] });

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface StreamServer {
  url: string;
  /** Requests seen (upgrade or not), in order. */
  seen: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>;
  client(): KubeClient;
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 handing every upgrade to `onUpgrade`; plain requests get 404. */
export async function startStreamServer(onUpgrade: UpgradeHandler): Promise<StreamServer> {
  const sockets = new Set<Socket>();
  const clients: KubeClient[] = [];
  const seen: StreamServer['seen'] = [];
  const server: Server = createHttpsServer({ key: serving.key, cert: serving.cert }, (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not an upgrade' }));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    socket.on('error', () => socket.destroy());
    onUpgrade(req, socket, head);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'streams', cluster: { server: url, 'certificate-authority-data': Buffer.from(ca.cert).toString('base64') } }],
    users: [{ name: 'streams-user', user: { token: TOKEN } }],
    contexts: [{ name: 'streams', context: { cluster: 'streams', user: 'streams-user', namespace: 'default' } }],
    'current-context': 'streams',
  });
  return {
    url,
    seen,
    client() {
      const c = new KubeClient({ config: { kind: 'inline', text: kubeconfig }, qps: 1000, burst: 1000 });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Two connected TCP sockets on loopback, and a function that closes the listener and both. */
export async function socketPair(): Promise<{ a: Socket; b: Socket; close(): Promise<void> }> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const a = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const b = await accepted;
  await new Promise<void>((r) => (a.readyState === 'open' ? r() : a.once('connect', () => r())));
  return {
    a,
    b,
    async close() {
      a.destroy();
      b.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Everything a readable yields until it ends. */
export function readAll(stream: NodeJS.ReadableStream | null): Promise<string> {
  if (!stream) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
