// port-forward sessions on loopback: a kubelet-like server built on acceptPortForwardUpgrade that
// connects forwarded connections to a TCP echo service, clients built on openPortForward over
// SPDY/3.1, SPDY tunnelled in WebSocket, and v4 WebSocket channels (wire format checked
// byte for byte), failures reported per connection, and bridgePortForward.
import type { IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptPortForwardUpgrade, bridgePortForward, openPortForward, type ClientPortForwardSession, type ForwardedConnection } from '../../../kube/index.js';
import { waitFor } from '../../helpers/wait.js';
import { startStreamServer, TOKEN, type StreamServer } from './helpers.js';

/** The "container": port 8080 is a TCP echo service that upper-cases; nothing listens on any other port. */
let echo: Server;
const echoSockets = new Set<Socket>();
let kubelet: StreamServer;
const sessions: ClientPortForwardSession[] = [];

function portsOf(req: IncomingMessage): number[] {
  return new URL(req.url ?? '/', 'https://x').searchParams.getAll('ports').map(Number);
}

function kubeletHandler(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  acceptPortForwardUpgrade(req, socket, head, portsOf(req)).then(
    (session) => {
      session.onStream((s) => {
        if (s.port !== 8080) {
          s.fail(`error forwarding port ${s.port} to pod web: dial tcp4 127.0.0.1:${s.port}: connect: connection refused`);
          return;
        }
        const upstream = connect((echo.address() as AddressInfo).port, '127.0.0.1');
        s.data.pipe(upstream);
        upstream.pipe(s.data);
        upstream.on('error', () => s.data.destroy());
      });
    },
    () => undefined,
  );
}

beforeAll(async () => {
  echo = createServer((c) => {
    echoSockets.add(c);
    c.on('close', () => echoSockets.delete(c));
    c.on('data', (d: Buffer) => c.write(d.toString().toUpperCase()));
    c.on('end', () => c.end());
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  kubelet = await startStreamServer(kubeletHandler);
});

afterAll(async () => {
  for (const s of sessions) {
    s.close();
    await s.closed;
  }
  await kubelet?.close();
  for (const c of echoSockets) c.destroy();
  await new Promise<void>((r) => echo.close(() => r()));
});

async function open(server: StreamServer, ports: number[], protocols: Array<'websocket' | 'spdy'>): Promise<ClientPortForwardSession> {
  const s = await openPortForward(server.client(), { namespace: 'default', pod: 'web', ports }, { protocols });
  sessions.push(s);
  return s;
}

/** Sends `text`, ends our side, and reads until the far side ends. */
async function roundTrip(conn: ForwardedConnection, text: string): Promise<string> {
  let got = '';
  conn.data.on('data', (c: Buffer) => (got += c.toString()));
  const ended = new Promise<void>((r) => conn.data.once('end', () => r()));
  conn.data.end(text);
  await ended;
  return got;
}

describe.each([
  ['spdy', 'spdy', 'portforward.k8s.io'],
  ['websocket', 'websocket', 'SPDY/3.1+portforward.k8s.io'],
] as const)('port-forward over %s', (_name, transport, subprotocol) => {
  it('carries several connections to the same port at once', async () => {
    const s = await open(kubelet, [8080], [transport]);
    expect(s.protocol).toBe(transport);
    expect(s.subprotocol).toBe(subprotocol);
    const [a, b] = await Promise.all([s.connect(8080), s.connect(8080)]);
    const [ra, rb] = await Promise.all([roundTrip(a, 'first'), roundTrip(b, 'second')]);
    expect([ra, rb]).toEqual(['FIRST', 'SECOND']);
    expect(await a.error).toBeUndefined();
  });

  it('carries more than a flow-control window', async () => {
    const s = await open(kubelet, [8080], [transport]);
    const conn = await s.connect(8080);
    const big = 'abc'.repeat(100_000);
    expect(await roundTrip(conn, big)).toBe(big.toUpperCase());
  });

  it('reports the failure of a connection to a port nothing listens on', async () => {
    const s = await open(kubelet, [8080, 9090], [transport]);
    const conn = await s.connect(9090);
    conn.data.resume();
    expect(await conn.error).toBe('error forwarding port 9090 to pod web: dial tcp4 127.0.0.1:9090: connect: connection refused');
    // The session itself carries on.
    expect(await roundTrip(await s.connect(8080), 'still here')).toBe('STILL HERE');
  });
});

describe('port-forward over v4.channel.k8s.io WebSocket channels', () => {
  it('opens each port with two channels whose first message is the port, little-endian', async () => {
    const ws = new WebSocket(`${kubelet.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web/portforward?ports=8080&ports=9090`, ['v4.channel.k8s.io'], {
      rejectUnauthorized: false,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const messages: Buffer[] = [];
    ws.on('message', (m: Buffer) => messages.push(m));
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    // 8080 = 0x1f90, 9090 = 0x2382: channels 0/1 for the first port, 2/3 for the second.
    await waitFor('the four port messages', () => messages.length >= 4);
    expect(messages.slice(0, 4).map((m) => m.toString('hex'))).toEqual(['00901f', '01901f', '028223', '038223']);
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('raw')]));
    await waitFor('the echo on channel 0', () => messages.find((m) => m[0] === 0 && m.length > 3));
    expect(messages.find((m) => m[0] === 0 && m.length > 3)!.subarray(1).toString()).toBe('RAW');
    await waitFor('the refusal on channel 3', () => messages.find((m) => m[0] === 3 && m.length > 3));
    expect(messages.find((m) => m[0] === 3 && m.length > 3)!.subarray(1).toString()).toMatch(/port 9090/);
    ws.terminate();
  });

  it('the client strips the port prefix and gives one connection per port', async () => {
    // A kubelet speaking only v4 channels (as one without the tunnelling protocol would).
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
    const v4only = await startStreamServer((req, socket, head) => {
      req.headers['sec-websocket-protocol'] = 'v4.channel.k8s.io';
      wss.handleUpgrade(req, socket as Socket, head, (ws) => {
        const prefix = Buffer.from([0x90, 0x1f]);
        ws.send(Buffer.concat([Buffer.from([0]), prefix]));
        ws.send(Buffer.concat([Buffer.from([1]), prefix]));
        ws.on('message', (m: Buffer) => {
          if (m[0] === 0) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(m.subarray(1).toString().toUpperCase())]));
        });
      });
    });
    try {
      const s = await open(v4only, [8080], ['websocket']);
      expect(s.subprotocol).toBe('v4.channel.k8s.io');
      const conn = await s.connect(8080);
      let got = '';
      conn.data.on('data', (c: Buffer) => (got += c.toString()));
      conn.data.write('channels');
      await waitFor('the echo', () => got === 'CHANNELS');
      await expect(s.connect(8080)).rejects.toThrow(/one connection per port/);
      s.close();
      await s.closed;
    } finally {
      await v4only.close();
    }
  });
});

describe('refusals', () => {
  it('answers a bad port or a WebSocket without ports with a 400 Status', async () => {
    const err = await openPortForward(kubelet.client(), { namespace: 'default', pod: 'web', ports: [] }, { protocols: ['spdy'] }).then(
      (s) => {
        sessions.push(s);
        return undefined;
      },
      (e: unknown) => e,
    );
    // SPDY names ports per stream: an empty list is fine there.
    expect(err).toBeUndefined();
    const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${kubelet.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web/portforward?ports=0`, ['v4.channel.k8s.io'], { rejectUnauthorized: false });
      ws.on('unexpected-response', (req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      ws.on('error', () => undefined);
      ws.on('open', () => reject(new Error('unexpected upgrade')));
    });
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'invalid port 0: must be between 1 and 65535' });
  });
});

describe('bridgePortForward', () => {
  let bridge: StreamServer;
  const bridged: Array<Promise<void>> = [];
  beforeAll(async () => {
    const member = kubelet.client();
    bridge = await startStreamServer((req, socket, head) => {
      const ports = portsOf(req);
      bridged.push(
        (async () => {
          const server = await acceptPortForwardUpgrade(req, socket, head, ports);
          const remote = await openPortForward(member, { namespace: 'default', pod: 'web', ports }, { protocols: ['spdy'] });
          await bridgePortForward(server, remote);
        })().catch(() => undefined),
      );
    });
  });
  afterAll(async () => {
    await Promise.all(bridged);
    await bridge?.close();
  });

  it('forwards each connection to the member and its failures back', async () => {
    const s = await open(bridge, [8080, 9090], ['websocket']);
    expect(await roundTrip(await s.connect(8080), 'via the member')).toBe('VIA THE MEMBER');
    const refused = await s.connect(9090);
    refused.data.resume();
    expect(await refused.error).toMatch(/port 9090 to pod web/);
    s.close();
    await s.closed;
    await Promise.all(bridged);
  });
});
