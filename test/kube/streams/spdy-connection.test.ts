// A SPDY/3.1 session between two ends over loopback TCP: streams, half-close, flow control,
// PING, RST_STREAM, GOAWAY, and a Go-style peer that does no flow control at all.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HeaderCompressor,
  HeaderDecompressor,
  SpdyConnection,
  SpdyFrameDecoder,
  encodeFrame,
  type SpdyFrame,
  type SpdyStream,
} from '../../../kube/index.js';
import { waitFor } from '../../helpers/wait.js';
import { readAll, socketPair } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pair(onStream: (s: SpdyStream) => boolean | void = () => true): Promise<{ client: SpdyConnection; server: SpdyConnection }> {
  const { a, b, close } = await socketPair();
  const client = new SpdyConnection(a, { role: 'client' });
  const server = new SpdyConnection(b, { role: 'server', onStream });
  cleanups.push(close);
  return { client, server };
}

/** A hand-driven peer: frames it receives, and a way to send frames (headers compressed on its own context). */
function rawPeer(socket: Socket): { frames: SpdyFrame[]; send(f: SpdyFrame): void; sendSyn(id: number, headers: Record<string, string>): Promise<void>; decompressor: HeaderDecompressor } {
  const decoder = new SpdyFrameDecoder(16 * 1024 * 1024);
  const frames: SpdyFrame[] = [];
  socket.on('data', (c: Buffer) => frames.push(...decoder.push(c)));
  const compressor = new HeaderCompressor();
  const decompressor = new HeaderDecompressor();
  cleanups.push(() => {
    compressor.close();
    decompressor.close();
  });
  return {
    frames,
    decompressor,
    send: (f) => socket.write(encodeFrame(f)),
    async sendSyn(id, headers) {
      const block = await compressor.compress(headers);
      socket.write(encodeFrame({ type: 'syn_stream', streamId: id, associatedTo: 0, priority: 0, fin: false, unidirectional: false, headerBlock: block }));
    },
  };
}

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff;
  return b;
}

describe('SPDY/3.1 connection', () => {
  it('carries a stream the client opens, with its headers, both ways until each side ends it', async () => {
    const opened: SpdyStream[] = [];
    const { client } = await pair((s) => {
      opened.push(s);
    });
    const stream = await client.createStream({ streamtype: 'stdin', requestid: '7' });
    expect(stream.id).toBe(1);
    expect(opened[0]!.headers).toEqual({ streamtype: 'stdin', requestid: '7' });
    stream.end('ping');
    expect(await readAll(opened[0]!)).toBe('ping');
    opened[0]!.end('pong');
    expect(await readAll(stream)).toBe('pong');
    expect(stream.finReceived).toBe(true);
    const second = await client.createStream({ streamtype: 'stdout' });
    expect(second.id).toBe(3);
  });

  it('rejects createStream when the server refuses the stream', async () => {
    const { client } = await pair(() => false);
    await expect(client.createStream({ streamtype: 'bogus' })).rejects.toThrow(/reset by the peer \(status 3\)/);
  });

  it('holds a sender at the 64 KiB window while the reader reads nothing, and delivers 1 MiB once it reads', async () => {
    const opened: SpdyStream[] = [];
    const { client } = await pair((s) => {
      opened.push(s);
    });
    const stream = await client.createStream({ streamtype: 'stdin' });
    const data = pattern(1024 * 1024);
    let written = false;
    stream.end(data, () => (written = true));
    const receiver = opened[0]!;
    await waitFor('the first window to arrive', () => receiver.readableLength === 64 * 1024);
    await new Promise((r) => setTimeout(r, 200));
    // Nothing beyond the window came, because nothing was acknowledged.
    expect(receiver.readableLength).toBe(64 * 1024);
    expect(written).toBe(false);
    const got = Buffer.from(await readAll(receiver), 'latin1');
    expect(got.length).toBe(data.length);
    await waitFor('the write to finish', () => written);
  });

  it('checks the received bytes of a large transfer in both directions', async () => {
    const opened: SpdyStream[] = [];
    const { client } = await pair((s) => {
      opened.push(s);
    });
    const stream = await client.createStream({ streamtype: 'data' });
    const up = pattern(300 * 1024);
    const down = pattern(500 * 1024).reverse();
    const collect = (s: SpdyStream): Promise<Buffer> =>
      new Promise((resolve) => {
        const parts: Buffer[] = [];
        s.on('data', (c: Buffer) => parts.push(c));
        s.on('end', () => resolve(Buffer.concat(parts)));
      });
    const gotUp = collect(opened[0]!);
    const gotDown = collect(stream);
    stream.end(up);
    opened[0]!.end(down);
    expect((await gotUp).equals(up)).toBe(true);
    expect((await gotDown).equals(down)).toBe(true);
  });

  it('sends unbounded by windows to a peer that never takes part in flow control (as Go spdystream)', async () => {
    const { a, b, close } = await socketPair();
    cleanups.push(close);
    const accepted: SpdyStream[] = [];
    new SpdyConnection(b, { role: 'server', onStream: (s) => void accepted.push(s) });
    const peer = rawPeer(a);
    await peer.sendSyn(1, { streamtype: 'stdout' });
    await waitFor('the server to accept the stream', () => accepted.length === 1);
    accepted[0]!.end(pattern(200 * 1024));
    const dataBytes = (): number => peer.frames.reduce((n, f) => n + (f.type === 'data' && f.streamId === 1 ? f.data.length : 0), 0);
    await waitFor('all 200 KiB without a WINDOW_UPDATE', () => dataBytes() === 200 * 1024);
    expect(peer.frames.some((f) => f.type === 'data' && f.fin)).toBe(true);
    // What it sent first: SETTINGS with its window, then the SYN_REPLY.
    expect(peer.frames[0]).toMatchObject({ type: 'settings', entries: [{ id: 7, value: 65536 }] });
    expect(peer.frames[1]).toMatchObject({ type: 'syn_reply', streamId: 1 });
  });

  it('acknowledges received data with WINDOW_UPDATE for the stream and the connection', async () => {
    const { a, b, close } = await socketPair();
    cleanups.push(close);
    const accepted: SpdyStream[] = [];
    new SpdyConnection(b, { role: 'server', onStream: (s) => void accepted.push(s) });
    const peer = rawPeer(a);
    await peer.sendSyn(1, { streamtype: 'stdin' });
    await waitFor('the stream', () => accepted.length === 1);
    const body = readAll(accepted[0]!);
    for (let i = 0; i < 8; i++) peer.send({ type: 'data', streamId: 1, fin: i === 7, data: Buffer.alloc(16 * 1024, 0x61) });
    expect((await body).length).toBe(128 * 1024);
    const granted = (streamId: number): number =>
      peer.frames.reduce((n, f) => n + (f.type === 'window_update' && f.streamId === streamId ? f.delta : 0), 0);
    // Acknowledged in half-window steps: everything for the connection; the stream's last bytes came with FIN and need none.
    await waitFor('the connection window to be given back', () => granted(0) === 128 * 1024);
    await waitFor('the stream window to be given back', () => granted(1) >= 96 * 1024);
  });

  it("echoes the peer's PING and times its own", async () => {
    const { a, b, close } = await socketPair();
    cleanups.push(close);
    const server = new SpdyConnection(b, { role: 'server' });
    const peer = rawPeer(a);
    peer.send({ type: 'ping', id: 1 });
    await waitFor('the echo', () => peer.frames.some((f) => f.type === 'ping' && f.id === 1));
    const rtt = server.ping();
    await waitFor('our ping to reach the peer', () => peer.frames.find((f) => f.type === 'ping' && f.id === 2));
    peer.send({ type: 'ping', id: 2 });
    expect(await rtt).toBeGreaterThanOrEqual(0);
  });

  it("ends a stream's reader when the peer resets it", async () => {
    const { a, b, close } = await socketPair();
    cleanups.push(close);
    const accepted: SpdyStream[] = [];
    new SpdyConnection(b, { role: 'server', onStream: (s) => void accepted.push(s) });
    const peer = rawPeer(a);
    await peer.sendSyn(1, { streamtype: 'stdout' });
    await waitFor('the stream', () => accepted.length === 1);
    const reset = new Promise<number>((r) => accepted[0]!.once('reset', r));
    const body = readAll(accepted[0]!);
    peer.send({ type: 'data', streamId: 1, fin: false, data: Buffer.from('partial') });
    peer.send({ type: 'rst_stream', streamId: 1, status: 5 });
    expect(await reset).toBe(5);
    expect(await body).toBe('partial');
    expect(accepted[0]!.finReceived).toBe(false);
  });

  it('refuses streams with the wrong parity and, after GOAWAY, new streams', async () => {
    const { a, b, close } = await socketPair();
    cleanups.push(close);
    const server = new SpdyConnection(b, { role: 'server', onStream: () => true });
    const peer = rawPeer(a);
    await peer.sendSyn(2, { streamtype: 'x' });
    await waitFor('a protocol-error reset', () => peer.frames.find((f) => f.type === 'rst_stream' && f.streamId === 2 && f.status === 1));
    server.goAway();
    await waitFor('GOAWAY', () => peer.frames.find((f) => f.type === 'goaway' && f.status === 0));
    await peer.sendSyn(3, { streamtype: 'x' });
    await waitFor('a refused-stream reset', () => peer.frames.find((f) => f.type === 'rst_stream' && f.streamId === 3 && f.status === 3));
  });

  it('answers a broken frame with GOAWAY(PROTOCOL_ERROR) and closes', async () => {
    const { a, b, close } = await socketPair();
    cleanups.push(close);
    const server = new SpdyConnection(b, { role: 'server' });
    const peer = rawPeer(a);
    a.write(Buffer.from('80020006' + '00000004' + '00000001', 'hex')); // a SPDY/2 PING
    await server.closed;
    expect(server.closeError?.message).toMatch(/version 2/);
    await waitFor('the GOAWAY', () => peer.frames.find((f) => f.type === 'goaway' && f.status === 1));
  });

  it("ends every stream's reader when the connection closes, and opens no more streams", async () => {
    const opened: SpdyStream[] = [];
    const { client, server } = await pair((s) => {
      opened.push(s);
    });
    const stream = await client.createStream({ streamtype: 'stdout' });
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    const ended = new Promise<void>((r) => stream.once('end', r));
    opened[0]!.write('before close');
    await waitFor('the data', () => chunks.length > 0);
    await server.end();
    await ended;
    expect(chunks.join('')).toBe('before close');
    expect(stream.finReceived).toBe(false);
    await client.closed;
    await expect(client.createStream({ streamtype: 'x' })).rejects.toThrow(/closed/);
  });
});
