// `tidepool capacity --server URL` reads a running capacity API; when it cannot, the error says
// which address and why, in a sentence to act on: refused, no answer within --timeout, the
// connection closed, an error Status (its message), an answer that is not JSON or not a capacity
// document. In-process against local servers; test/cli/refusals.test.ts runs the process once.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapacityApi } from '../../cli/capacity.js';

const servers: Array<Server | TcpServer> = [];
const sockets = new Set<Socket>();

async function listen<T extends Server | TcpServer>(server: T): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A local server that answers every request with one fixed response. */
function answering(status: number, type: string, body: string): Promise<string> {
  return listen(createHttpServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body)));
}

const DOCUMENT = { clusters: [{ name: 'east', ready: true }], total: { cpu: { idle: 4000 } } };
let ok: string;
let status: string;
let html: string;
let notCapacity: string;
let silent: string;
let closing: string;
let dead: string;

beforeAll(async () => {
  ok = await answering(200, 'application/json', JSON.stringify(DOCUMENT));
  status = await answering(503, 'application/json', JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'no member cluster has synced yet', reason: 'ServiceUnavailable', code: 503 }));
  html = await answering(200, 'text/html', '<!doctype html><title>Some other site</title>');
  notCapacity = await answering(200, 'application/json', '{"items": []}');
  // Accepts connections and never answers.
  silent = await listen(createTcpServer((s) => sockets.add(s)));
  // Reads the request, then closes the connection without a word.
  closing = await listen(createTcpServer((s) => s.once('data', () => s.destroy())));
  // A port that was free a moment ago: nothing listens there now.
  const gone = createTcpServer();
  dead = await listen(gone);
  servers.pop();
  await new Promise((r) => gone.close(r));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

const NOT_OURS = 'is --server the address of the capacity API or console (tidepool capacity --serve, tidepool demo)?';

describe('tidepool capacity --server', () => {
  it('reads the capacity document the API answers', async () => {
    expect(await readCapacityApi(ok, 5)).toEqual(DOCUMENT);
  });

  it('says the address and that nothing listens there when the connection is refused', async () => {
    await expect(readCapacityApi(dead, 5)).rejects.toThrow(
      `cannot reach ${dead}/api/v1/capacity: connection refused: nothing listens on ${new URL(dead).host} (is tidepool demo or tidepool capacity --serve running? --server takes the address they print)`,
    );
  });

  it('gives up after --timeout when the server never answers, and says so', async () => {
    await expect(readCapacityApi(silent, 1)).rejects.toThrow(`cannot reach ${silent}/api/v1/capacity: no answer within 1 s (--timeout)`);
  });

  it('says the connection closed when the server hangs up without an answer', async () => {
    await expect(readCapacityApi(closing, 5)).rejects.toThrow(`cannot reach ${closing}/api/v1/capacity: the connection was closed before an answer came`);
  });

  it("quotes an error Status's message", async () => {
    await expect(readCapacityApi(status, 5)).rejects.toThrow(`${status}/api/v1/capacity answered HTTP 503 Service Unavailable: no member cluster has synced yet`);
  });

  it('asks whether --server is the right address when the answer is not JSON or not a capacity document', async () => {
    await expect(readCapacityApi(html, 5)).rejects.toThrow(`${html}/api/v1/capacity answered something that is not JSON (text/html): ${NOT_OURS}`);
    await expect(readCapacityApi(notCapacity, 5)).rejects.toThrow(`${notCapacity}/api/v1/capacity answered JSON that is not a capacity document (no clusters and total): ${NOT_OURS}`);
  });
});
