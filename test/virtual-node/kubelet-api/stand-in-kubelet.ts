// A stand-in for a real kubelet in a member cluster, behind a Node whose kubelet endpoint
// points here, so the member sim proxies exec/attach/port-forward of pods on that node to it.
// It speaks just enough v5.channel.k8s.io for kubectl: `echo ...` prints its arguments,
// `cat` copies stdin to stdout until stdin closes, `false` exits 3. A SPDY/3.1 upgrade is
// accepted and every byte after the 101 echoed back (enough to see bytes pass both ways).

import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { selfSignedServingCertificate } from '../../../kube/index.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  clientCN: string | undefined;
}

export interface StandInKubelet {
  port: number;
  seen: SeenRequest[];
  /** Connections open now. */
  sockets: Set<Socket>;
  close(): Promise<void>;
}

export async function startStandInKubelet(): Promise<StandInKubelet> {
  const tls = selfSignedServingCertificate(['127.0.0.1']);
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const remember = (req: IncomingMessage): void => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn: string | string[] | undefined = peer && 'subject' in peer ? peer.subject?.CN : undefined;
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, clientCN: Array.isArray(cn) ? cn[0] : cn });
  };
  const server: Server = createServer({ key: tls.key, cert: tls.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    remember(req);
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end('upgrade required');
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    remember(req);
    const url = new URL(req.url ?? '/', 'https://x');
    if (String(req.headers.upgrade).toLowerCase() !== 'websocket') {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${req.headers.upgrade}\r\nX-Stream-Protocol-Version: ${req.headers['x-stream-protocol-version'] ?? ''}\r\n\r\n`);
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const argv = url.searchParams.getAll('command');
      // v5.channel.k8s.io: binary frames, the first byte the channel (0 stdin, 1 stdout, 3 status, 255 close).
      const exit = (code: number): void => {
        const status =
          code === 0
            ? { metadata: {}, status: 'Success' }
            : { metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', message: `command terminated with non-zero exit code: ${code}`, details: { causes: [{ reason: 'ExitCode', message: String(code) }] } };
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]));
        ws.close(1000);
      };
      if (argv[0] === 'cat') {
        ws.on('message', (data: Buffer) => {
          if (data[0] === 0 && data.length > 1) ws.send(Buffer.concat([Buffer.from([1]), data.subarray(1)]));
          else if (data[0] === 255 && data[1] === 0) exit(0);
        });
        return;
      }
      if (argv[0] === 'echo') ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`${argv.slice(1).join(' ')}\n`)]));
      exit(argv[0] === 'false' ? 3 : 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    sockets,
    async close() {
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
