// exec/attach sessions end to end on loopback: a kubelet-like server built on acceptExecUpgrade,
// clients built on openExec, over WebSocket (v5.channel.k8s.io) and SPDY/3.1 (v4.channel.k8s.io);
// the exact Status bytes kubectl parses; refusals; protocol fallback; and bridgeExec joining a
// client session to a member session as the virtual node does.
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, acceptExecUpgrade, bridgeExec, openExec, type ClientExecSession, type ExecTarget, type ServerExecSession } from '../../../kube/index.js';
import { waitFor } from '../../helpers/wait.js';
import { readAll, startStreamServer, TOKEN, type StreamServer } from './helpers.js';

/** What the fake kubelet saw of each session. */
interface Served {
  session: ServerExecSession;
  command: string[];
  closed: boolean;
  stdinText: string;
  sizes: Array<{ width: number; height: number }>;
}

const served: Served[] = [];

/** A tiny container runtime: cat, fail N, boom, wait, size. */
async function runCommand(s: ServerExecSession, command: string[], record: Served): Promise<void> {
  s.onResize((size) => record.sizes.push(size));
  const [cmd, arg] = command;
  if (cmd === 'cat') {
    s.stdin?.on('data', (c: Buffer) => (record.stdinText += c.toString()));
    s.stdin?.pipe(s.stdout!, { end: false });
    await new Promise<void>((r) => (s.stdin ? s.stdin.once('end', () => r()) : r()));
    await s.end({ exitCode: 0 });
  } else if (cmd === 'fail') {
    s.stdout?.write('out\n');
    s.stderr?.write('oops\n');
    await s.end({ exitCode: Number(arg) });
  } else if (cmd === 'boom') {
    await s.end({ error: 'error executing command in container: no such runtime' });
  } else if (cmd === 'size') {
    const size = await new Promise<{ width: number; height: number }>((r) => s.onResize(r));
    s.stdout!.write(`${size.width}x${size.height}\n`);
    await s.end({ exitCode: 0 });
  } else if (cmd === 'wait') {
    s.stdin?.resume();
    await s.closed;
  }
}

function kubeletHandler(opts: { refuseWebSocket?: boolean } = {}) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'https://x');
    if (opts.refuseWebSocket && String(req.headers.upgrade).toLowerCase() === 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (url.pathname.includes('/pods/ghost/')) {
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "ghost" not found' });
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const flag = (k: string): boolean => url.searchParams.get(k) === 'true';
    const command = url.searchParams.getAll('command');
    acceptExecUpgrade(req, socket, head, { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty'), command }).then(
      (session) => {
        const record: Served = { session, command, closed: false, stdinText: '', sizes: [] };
        served.push(record);
        void session.closed.then(() => (record.closed = true));
        void runCommand(session, command, record);
      },
      () => undefined, // refused: the answer is on the socket
    );
  };
}

let kubelet: StreamServer;
let picky: StreamServer;
const sessions: ClientExecSession[] = [];

beforeAll(async () => {
  kubelet = await startStreamServer(kubeletHandler());
  picky = await startStreamServer(kubeletHandler({ refuseWebSocket: true }));
});

afterEach(async () => {
  for (const s of sessions.splice(0)) {
    s.close();
    await s.closed;
  }
});

afterAll(async () => {
  await kubelet?.close();
  await picky?.close();
});

function target(command: string[], extra: Partial<ExecTarget> = {}): ExecTarget {
  return { namespace: 'default', pod: 'web', command, stdin: false, stdout: true, stderr: true, tty: false, ...extra };
}

async function open(server: StreamServer, t: ExecTarget, protocols: Array<'websocket' | 'spdy'>): Promise<ClientExecSession> {
  const s = await openExec(server.client(), t, { protocols });
  sessions.push(s);
  return s;
}

describe.each(['websocket', 'spdy'] as const)('exec over %s', (protocol) => {
  it('echoes stdin back through stdout and exits 0 when stdin ends', async () => {
    const s = await open(kubelet, target(['cat'], { stdin: true }), [protocol]);
    expect(s.protocol).toBe(protocol);
    expect(s.subprotocol).toBe(protocol === 'websocket' ? 'v5.channel.k8s.io' : 'v4.channel.k8s.io');
    s.stdin!.write('line one\n');
    s.stdin!.end('line two\n');
    const [out, result] = await Promise.all([readAll(s.stdout), s.result]);
    expect(out).toBe('line one\nline two\n');
    expect(result).toEqual({ exitCode: 0 });
  });

  it('carries more than a window of stdin both ways', async () => {
    const s = await open(kubelet, target(['cat'], { stdin: true }), [protocol]);
    const big = 'x'.repeat(300 * 1024);
    s.stdin!.end(big);
    const out = await readAll(s.stdout);
    expect(out.length).toBe(big.length);
    expect(await s.result).toEqual({ exitCode: 0 });
  });

  it('keeps stderr apart from stdout and reports a non-zero exit code', async () => {
    const s = await open(kubelet, target(['fail', '3']), [protocol]);
    const [out, err, result] = await Promise.all([readAll(s.stdout), readAll(s.stderr), s.result]);
    expect(out).toBe('out\n');
    expect(err).toBe('oops\n');
    expect(result).toEqual({ exitCode: 3, message: 'command terminated with non-zero exit code: error executing command [fail 3], exit code 3' });
  });

  it('reports a command that could not run as an error', async () => {
    const s = await open(kubelet, target(['boom']), [protocol]);
    expect(await s.result).toEqual({ error: 'error executing command in container: no such runtime' });
  });

  it('passes terminal resizes to the server, and has no stderr with a TTY', async () => {
    const s = await open(kubelet, target(['size'], { tty: true, stdin: true }), [protocol]);
    expect(s.stderr).toBeNull();
    s.resize(132, 43);
    expect(await readAll(s.stdout)).toBe('132x43\n');
    expect(await s.result).toEqual({ exitCode: 0 });
  });

  it('tells the server when the client goes away mid-stream', async () => {
    const before = served.length;
    const s = await open(kubelet, target(['wait'], { stdin: true }), [protocol]);
    await waitFor('the server session', () => served.length > before);
    const record = served.at(-1)!;
    s.stdin!.write('partial');
    await waitFor('stdin to reach the server', () => record.stdinText === 'partial' || record.session.stdin !== null);
    s.close();
    await record.session.closed;
    expect(record.closed).toBe(true);
    expect(await s.result).toEqual({ error: 'the session was closed before the command finished' });
  });

  it('reports a server that goes away without a status as an error', async () => {
    const before = served.length;
    const s = await open(kubelet, target(['wait']), [protocol]);
    await waitFor('the server session', () => served.length > before);
    served.at(-1)!.session.abort();
    const result = await s.result;
    expect('error' in result && result.error).toMatch(/connection closed.* before the command's status arrived/);
  });
});

describe('cancelling', () => {
  it('an AbortSignal closes an open session, and a dial already aborted never starts', async () => {
    const ac = new AbortController();
    const before = served.length;
    const s = await openExec(kubelet.client(), target(['wait']), { signal: ac.signal });
    await waitFor('the server session', () => served.length > before);
    ac.abort();
    expect(await s.result).toEqual({ error: 'the session was closed before the command finished' });
    await served.at(-1)!.session.closed;
    const seen = kubelet.seen.length;
    await expect(openExec(kubelet.client(), target(['wait']), { signal: AbortSignal.abort(new Error('not wanted')) })).rejects.toThrow('not wanted');
    expect(kubelet.seen.length).toBe(seen);
  });
});

describe('protocol choice', () => {
  it('falls back to SPDY/3.1 when the server refuses the WebSocket upgrade', async () => {
    const before = picky.seen.length;
    const s = await open(picky, target(['fail', '0']), ['websocket', 'spdy']);
    expect(s.protocol).toBe('spdy');
    expect(await s.result).toEqual({ exitCode: 0 });
    expect(picky.seen.slice(before).map((r) => String(r.headers.upgrade))).toEqual(['websocket', 'SPDY/3.1']);
  });

  it('tries SPDY first when asked to, and sends what kubectl sends', async () => {
    const before = kubelet.seen.length;
    const s = await open(kubelet, target(['fail', '0'], { container: 'app' }), ['spdy', 'websocket']);
    expect(s.protocol).toBe('spdy');
    await s.result;
    const req = kubelet.seen[before]!;
    expect(req.method).toBe('POST');
    expect(req.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['x-stream-protocol-version']).toBe('v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io');
    const url = new URL(req.url, 'https://x');
    expect(url.pathname).toBe('/api/v1/namespaces/default/pods/web/exec');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ container: 'app', stdin: 'false', stdout: 'true', stderr: 'true', tty: 'false' });
    expect(url.searchParams.getAll('command')).toEqual(['fail', '0']);
  });

  it("rejects with the server's Status when both protocols are refused", async () => {
    const err = await openExec(kubelet.client(), { ...target(['true']), pod: 'ghost' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(404);
    expect((err as KubeApiError).message).toMatch(/pods "ghost" not found/);
  });
});

/** A raw WebSocket client, as kubectl's: the exact messages the server sends. */
function rawWebSocket(path: string, protocols: string[]): Promise<{ messages: Buffer[]; closeCode: Promise<number> }> {
  const ws = new WebSocket(`${kubelet.url.replace('https', 'wss')}${path}`, protocols, { ca: undefined, rejectUnauthorized: false, headers: { Authorization: `Bearer ${TOKEN}` } });
  const messages: Buffer[] = [];
  ws.on('message', (m: Buffer) => messages.push(m));
  const closeCode = new Promise<number>((r) => ws.on('close', (code: number) => r(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ messages, closeCode }));
    ws.once('error', reject);
  });
}

describe('what goes on the wire', () => {
  it('writes the kubelet Status kubectl parses for an exit code, after an empty "ready" message on stdout', async () => {
    const { messages, closeCode } = await rawWebSocket('/api/v1/namespaces/default/pods/web/exec?command=fail&command=3&stdout=true&stderr=true', ['v5.channel.k8s.io']);
    expect(await closeCode).toBe(1000);
    expect(messages[0]).toEqual(Buffer.from([1]));
    const status = messages.find((m) => m[0] === 3)!;
    expect(JSON.parse(status.subarray(1).toString())).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [fail 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('writes {"metadata":{},"status":"Success"} for exit code 0, and speaks v4 to a v4 client', async () => {
    const { messages, closeCode } = await rawWebSocket('/api/v1/namespaces/default/pods/web/exec?command=fail&command=0&stdout=true', ['v4.channel.k8s.io']);
    await closeCode;
    expect(messages.find((m) => m[0] === 3)!.subarray(1).toString()).toBe('{"metadata":{},"status":"Success"}');
  });

  function rawUpgrade(path: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = request(`${kubelet.url}${path}`, { method: 'POST', rejectUnauthorized: false, headers: { Connection: 'Upgrade', ...headers } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }));
      });
      req.on('upgrade', () => reject(new Error('unexpected 101')));
      req.on('error', reject);
      req.end();
    });
  }

  it('answers a request that is not a usable upgrade with a 400 Status', async () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ Upgrade: 'h2c' }, '?command=true&stdout=true', /Upgrade request required/],
      [{ Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v9.channel.k8s.io' }, '?command=true&stdout=true', /unable to negotiate protocol: client supports \[v9.channel.k8s.io\]/],
      [{ Upgrade: 'SPDY/3.1' }, '?command=true&stdout=true', /X-Stream-Protocol-Version header is required/],
      [{ Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' }, '?command=true', /you must specify at least 1 of stdin, stdout, stderr/],
      [{ Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' }, '?command=true&stdout=true', /must be a GET request/],
    ];
    for (const [headers, query, message] of cases) {
      const r = await rawUpgrade(`/api/v1/namespaces/default/pods/web/exec${query}`, headers);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400 });
      expect(String(r.body['message'])).toMatch(message);
    }
  });

  it('refuses a WebSocket client offering none of its subprotocols', async () => {
    const err = await rawWebSocket('/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true', ['base64.channel.k8s.io']).catch((e: Error) => e);
    expect(String(err)).toMatch(/Unexpected server response: 400/);
  });
});

describe('bridgeExec', () => {
  let bridge: StreamServer;
  const bridged: Array<Promise<void>> = [];

  beforeAll(async () => {
    const member = kubelet.client();
    // The virtual node: serves its client, opens the same exec on the member (over SPDY, as an apiserver would reach a kubelet), joins them.
    bridge = await startStreamServer((req, socket, head) => {
      const url = new URL(req.url ?? '/', 'https://x');
      const flag = (k: string): boolean => url.searchParams.get(k) === 'true';
      const t: ExecTarget = { namespace: 'default', pod: 'web', command: url.searchParams.getAll('command'), stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
      const work = (async () => {
        const server = await acceptExecUpgrade(req, socket, head, { ...t, command: t.command ?? [] });
        const remote = await openExec(member, t, { protocols: ['spdy'] });
        await bridgeExec(server, remote);
      })().catch(() => undefined);
      bridged.push(work);
    });
  });

  afterAll(async () => {
    await Promise.all(bridged);
    await bridge?.close();
  });

  it('pipes stdin to the member and its output and exit code back', async () => {
    const s = await open(bridge, target(['cat'], { stdin: true }), ['websocket']);
    s.stdin!.end('through the bridge\n');
    expect(await readAll(s.stdout)).toBe('through the bridge\n');
    expect(await s.result).toEqual({ exitCode: 0 });
  });

  it("keeps stderr apart and passes the member's Status wording on", async () => {
    const s = await open(bridge, target(['fail', '7']), ['spdy']);
    const [out, err, result] = await Promise.all([readAll(s.stdout), readAll(s.stderr), s.result]);
    expect([out, err]).toEqual(['out\n', 'oops\n']);
    expect(result).toEqual({ exitCode: 7, message: 'command terminated with non-zero exit code: error executing command [fail 7], exit code 7' });
  });

  it('passes resizes to the member', async () => {
    const s = await open(bridge, target(['size'], { tty: true, stdin: true }), ['websocket']);
    s.resize(100, 30);
    expect(await readAll(s.stdout)).toBe('100x30\n');
  });

  it('closes the member session when the client goes away', async () => {
    const before = served.length;
    const s = await open(bridge, target(['wait'], { stdin: true }), ['websocket']);
    await waitFor('the member session', () => served.length > before);
    const member = served.at(-1)!;
    s.close();
    await member.session.closed;
    expect(member.closed).toBe(true);
  });
});
