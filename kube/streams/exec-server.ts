/**
 * The server side of exec/attach, what a kubelet does with an upgrade request: pick the
 * protocol from the request (WebSocket v5/v4 channels, or SPDY/3.1 with v4/v3/v2 streams),
 * collect the streams the client opens, and hand the caller plain Node streams. The caller
 * runs the command and ends the session with its result, which goes out on the error channel
 * as the kubelet's Status.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import { JsonLineSplitter } from '../json-lines.js';
import { SpdyConnection, type SpdyStream } from './spdy-connection.js';
import { Channel, ExecProtocol, StreamType, hasResize, type ExecResult, type TerminalSize } from './protocols.js';
import { acceptSpdy, acceptWebSocket, rejectUpgrade, StreamUpgradeError, upgradeKind } from './server-upgrade.js';
import { decodeResize, encodeExecStatus } from './status.js';
import { WsChannelConnection } from './ws-channels.js';

export interface ExecStreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** The command, for the wording of a non-zero exit status ("error executing command [..]"). */
  command?: readonly string[];
  /** How long a SPDY client may take to open its streams. Default 30 s (the kubelet's). */
  streamCreationTimeoutMs?: number;
}

export interface ServerExecSession {
  readonly protocol: 'websocket' | 'spdy';
  /** The negotiated version, e.g. v5.channel.k8s.io. */
  readonly subprotocol: string;
  readonly tty: boolean;
  /** What the client types; ends when the client closes stdin (v5 close signal, SPDY FIN) or goes away. */
  readonly stdin: Readable | null;
  readonly stdout: Writable | null;
  /** Null with a TTY: a terminal has one output. */
  readonly stderr: Writable | null;
  /** Terminal size changes; the latest size, if one came already, is replayed at once. Returns an unsubscribe. */
  onResize(cb: (size: TerminalSize) => void): () => void;
  /** Flushes stdout/stderr, writes the Status for `result`, closes, and resolves once the connection is closed. */
  end(result: ExecResult): Promise<void>;
  /** Resolves when the connection is closed, whoever closed it. */
  readonly closed: Promise<void>;
  /** Cuts the connection without a status. */
  abort(): void;
}

const WEBSOCKET_EXEC_PROTOCOLS = [ExecProtocol.V5, ExecProtocol.V4];
const SPDY_EXEC_PROTOCOLS = [ExecProtocol.V4, ExecProtocol.V3, ExecProtocol.V2];
/** How long end() lets a SPDY client close first (kube clients close once they read the status). */
const SPDY_PEER_CLOSE_GRACE_MS = 5000;

/**
 * Accepts an exec/attach upgrade on a raw socket. A request that is not a usable upgrade gets
 * an HTTP 400 with a Kubernetes Status and the promise rejects with StreamUpgradeError.
 */
export async function acceptExecUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, opts: ExecStreamOptions): Promise<ServerExecSession> {
  if (!opts.stdin && !opts.stdout && !opts.stderr) {
    throw rejectUpgrade(socket, 400, 'BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
  }
  const kind = upgradeKind(req);
  if (kind === 'websocket') return acceptWebSocketExec(req, socket, head, opts);
  if (kind === 'spdy') return acceptSpdyExec(req, socket, head, opts);
  throw rejectUpgrade(socket, 400, 'BadRequest', 'Upgrade request required: use WebSocket (v5.channel.k8s.io) or SPDY/3.1');
}

/** Resize bookkeeping shared by both protocols. */
class ResizeEvents {
  private last: TerminalSize | undefined;
  private readonly subscribers = new Set<(size: TerminalSize) => void>();

  emit(size: TerminalSize): void {
    this.last = size;
    for (const cb of this.subscribers) cb(size);
  }

  subscribe(cb: (size: TerminalSize) => void): () => void {
    this.subscribers.add(cb);
    if (this.last) cb(this.last);
    return () => this.subscribers.delete(cb);
  }

  /** Feeds a byte stream of JSON lines (client-go's encoder writes one object per line). */
  follow(stream: Readable): void {
    const splitter = new JsonLineSplitter((line) => {
      const size = decodeResize(line);
      if (size) this.emit(size);
    }, 4096);
    stream.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk);
      } catch {
        stream.destroy();
      }
    });
    stream.on('end', () => {
      const tail = splitter.end();
      const size = tail ? decodeResize(tail) : undefined;
      if (size) this.emit(size);
    });
    stream.on('error', () => undefined);
  }
}

/** Ends a writable and waits until what was written has been handed on. */
export function finishWritable(w: Writable | null): Promise<void> {
  if (!w || w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      w.off('finish', done);
      w.off('close', done);
      w.off('error', done);
      resolve();
    };
    w.on('finish', done);
    w.on('close', done);
    w.on('error', done);
    if (!w.writableEnded) w.end();
  });
}

async function acceptWebSocketExec(req: IncomingMessage, socket: Duplex, head: Buffer, opts: ExecStreamOptions): Promise<ServerExecSession> {
  const { ws, protocol } = await acceptWebSocket(req, socket, head, WEBSOCKET_EXEC_PROTOCOLS);
  const conn = new WsChannelConnection(ws, { closeSignals: protocol === ExecProtocol.V5 });
  const resize = new ResizeEvents();
  // The resize channel's messages each carry one JSON object, newline-terminated or not.
  const resizeReader = conn.reader(Channel.Resize);
  resizeReader.on('data', (msg: Buffer) => {
    for (const line of msg.toString('utf8').split('\n')) {
      const size = line.trim() ? decodeResize(line) : undefined;
      if (size) resize.emit(size);
    }
  });
  const stdin = opts.stdin ? conn.reader(Channel.Stdin) : null;
  const stdout = opts.stdout ? conn.writer(Channel.Stdout) : null;
  const stderr = opts.stderr && !opts.tty ? conn.writer(Channel.Stderr) : null;
  // The kubelet's "streams are ready" signal: an empty message on the lowest channel it writes.
  conn.send(opts.stdout ? Channel.Stdout : opts.stderr ? Channel.Stderr : Channel.Error, Buffer.alloc(0));
  let ended: Promise<void> | undefined;
  return {
    protocol: 'websocket',
    subprotocol: protocol,
    tty: opts.tty,
    stdin,
    stdout,
    stderr,
    onResize: (cb) => resize.subscribe(cb),
    closed: conn.closed,
    abort: () => conn.terminate(),
    end(result) {
      ended ??= (async () => {
        await Promise.all([finishWritable(stdout), finishWritable(stderr)]);
        const status = encodeExecStatus(result, protocol, opts.command);
        if (status.length > 0) await new Promise<void>((r) => conn.send(Channel.Error, status, () => r()));
        await conn.close(1000);
      })();
      return ended;
    },
  };
}

async function acceptSpdyExec(req: IncomingMessage, socket: Duplex, head: Buffer, opts: ExecStreamOptions): Promise<ServerExecSession> {
  const protocol = acceptSpdy(req, socket, SPDY_EXEC_PROTOCOLS);
  // The streams a client-go client opens for these options (kube's remotecommand createStreams).
  const expected = new Set<string>([StreamType.Error]);
  if (opts.stdin) expected.add(StreamType.Stdin);
  if (opts.stdout) expected.add(StreamType.Stdout);
  if (opts.stderr && !opts.tty) expected.add(StreamType.Stderr);
  if (opts.tty && hasResize(protocol)) expected.add(StreamType.Resize);
  const known = new Set<string>([StreamType.Error, StreamType.Stdin, StreamType.Stdout, StreamType.Stderr, StreamType.Resize]);

  const streams = new Map<string, SpdyStream>();
  let allArrived!: () => void;
  const arrived = new Promise<void>((r) => (allArrived = r));
  const conn = new SpdyConnection(socket, {
    role: 'server',
    head,
    onStream: (stream) => {
      const type = stream.headers['streamtype'] ?? '';
      if (!known.has(type) || streams.has(type)) return false;
      streams.set(type, stream);
      if ([...expected].every((t) => streams.has(t))) allArrived();
      return true;
    },
  });
  const timeoutMs = opts.streamCreationTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    arrived.then(() => 'ok' as const),
    conn.closed.then(() => 'closed' as const),
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ok') {
    conn.destroy();
    await conn.closed;
    throw new StreamUpgradeError(0, outcome === 'timeout' ? 'Timeout' : 'Gone', outcome === 'timeout' ? `timed out after ${timeoutMs} ms waiting for the client to create streams [${[...expected].join(' ')}]` : 'the client went away before creating its streams');
  }

  const errorStream = streams.get(StreamType.Error)!;
  const resize = new ResizeEvents();
  const resizeStream = streams.get(StreamType.Resize);
  if (resizeStream) resize.follow(resizeStream);
  // Streams we only write to: what the client might send on them is read and dropped.
  errorStream.resume();
  const stdinStream = streams.get(StreamType.Stdin);
  const stdoutStream = streams.get(StreamType.Stdout);
  const stderrStream = streams.get(StreamType.Stderr);
  stdoutStream?.resume();
  stderrStream?.resume();
  // A stdin stream the options did not ask for is drained so it never holds the connection.
  if (stdinStream && !opts.stdin) stdinStream.resume();
  let ended: Promise<void> | undefined;
  return {
    protocol: 'spdy',
    subprotocol: protocol,
    tty: opts.tty,
    stdin: opts.stdin ? (stdinStream ?? null) : null,
    stdout: opts.stdout ? (stdoutStream ?? null) : null,
    stderr: opts.stderr && !opts.tty ? (stderrStream ?? null) : null,
    onResize: (cb) => resize.subscribe(cb),
    closed: conn.closed,
    abort: () => conn.destroy(),
    end(result) {
      ended ??= (async () => {
        await Promise.all([finishWritable(stdoutStream ?? null), finishWritable(stderrStream ?? null)]);
        const status = encodeExecStatus(result, protocol, opts.command);
        if (status.length > 0) errorStream.write(status);
        await finishWritable(errorStream);
        await conn.end({ peerGraceMs: SPDY_PEER_CLOSE_GRACE_MS });
      })();
      return ended;
    },
  };
}
