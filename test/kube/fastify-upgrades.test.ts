// Upgrade requests routed through fastify: they meet the same hooks and routes as any other
// request, a route may take the socket over (bytes the client sent early included), and a
// refusal is an ordinary reply after which the connection closes.

import { connect, type Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUpgradeRequest, routeUpgradesThroughFastify } from '../../kube/index.js';

let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = Fastify({ logger: false, forceCloseConnections: true });
  routeUpgradesThroughFastify(app);
  app.addHook('onRequest', async (req, reply) => {
    if (req.headers['x-token'] !== 'letmein') return reply.code(401).type('application/json').send({ kind: 'Status', code: 401 });
  });
  app.get('/echo', async (req, reply) => {
    if (!isUpgradeRequest(req)) return reply.code(400).send('Upgrade request required');
    reply.hijack();
    const socket = req.raw.socket;
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    socket.pipe(socket);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});

afterAll(async () => {
  await app?.close();
});

/** Sends `text` on a fresh connection and collects what comes back until `until` matches or the server closes. */
function exchange(text: string, until: RegExp): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer matching ${until} within 5 s; got ${JSON.stringify(data)}`));
    }, 5_000);
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, closed });
    };
    socket.on('data', (d: Buffer) => {
      data += d.toString();
      if (until.test(data)) done(false);
    });
    socket.on('end', () => done(true));
    socket.on('error', reject);
    socket.write(text);
  });
}

const upgrade = (path: string, headers: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n${headers}\r\n`;

describe('routeUpgradesThroughFastify', () => {
  it('lets a route take the socket over, with the bytes the client sent right after the headers', async () => {
    const { data } = await exchange(`${upgrade('/echo', 'X-Token: letmein\r\n')}early bytes`, /early bytes$/);
    expect(data).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(data.endsWith('\r\n\r\nearly bytes')).toBe(true);
  });

  it('runs the hooks first: a refusal is an ordinary reply, and the connection closes after it', async () => {
    const { data, closed } = await exchange(upgrade('/echo', ''), /(?!)/);
    expect(data).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(data).toContain('{"kind":"Status","code":401}');
    expect(closed).toBe(true);
  });

  it('answers an upgrade to an unknown path with the 404 of any request', async () => {
    const { data, closed } = await exchange(upgrade('/nowhere', 'X-Token: letmein\r\n'), /(?!)/);
    expect(data).toMatch(/^HTTP\/1\.1 404 /);
    expect(closed).toBe(true);
  });
});

describe('isUpgradeRequest', () => {
  it('needs both Connection: upgrade (among other tokens, any case) and an Upgrade header', () => {
    expect(isUpgradeRequest({ headers: { connection: 'keep-alive, Upgrade', upgrade: 'websocket' } })).toBe(true);
    expect(isUpgradeRequest({ headers: { connection: 'Upgrade' } })).toBe(false);
    expect(isUpgradeRequest({ headers: { connection: 'keep-alive', upgrade: 'SPDY/3.1' } })).toBe(false);
    expect(isUpgradeRequest({ headers: {} })).toBe(false);
  });
});
