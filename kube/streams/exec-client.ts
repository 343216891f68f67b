/**
 * The client side of exec/attach toward an API server's pods/exec or pods/attach, what
 * kubectl does: WebSocket v5.channel.k8s.io first, SPDY/3.1 (v4 down to v2) when the server
 * refuses it — or the other order when asked. The session hands out Node streams and a
 * result promise that settles with the command's exit code or the server's failure.
 */
import type { Readable, Writable } from 'node:stream';
import type { KubeClient } from '../client.js';
import { dialSpdy, dialWebSocket, withFallback, type StreamTransport } from './client-upgrade.js';
import { SpdyConnection, type SpdyStream } from './spdy-connection.js';
import { Channel, ExecProtocol, StreamType, hasResize, type ExecResult } from './protocols.js';
import { decodeExecStatus, encodeResize } from './status.js';
import { WsChannelConnection } from './ws-channels.js';

export interface ExecTarget {
  namespace: string;
  pod: string;
  container?: string;
  /** Required for exec; ignored by attach. */
  command?: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface OpenExecOptions {
  subresource?: 'exec' | 'attach';
  /** Transports in the order to try. Default ['websocket', 'spdy'], as kubectl. */
  protocols?: StreamTransport[];
  /** Aborting closes the session (or stops the dial). */
  signal?: AbortSignal;
}

export interface ClientExecSession {
  readonly protocol: StreamTransport;
  readonly subprotocol: string;
  /** end() tells the command its input is over (v5 close signal, SPDY FIN). */
  readonly stdin: Writable | null;
  /** Must be read: a reader that stops holds the whole connection (and the result behind it). */
  readonly stdout: Readable | null;
  /** Null with a TTY. */
  readonly stderr: Readable | null;
  resize(width: number, height: number): void;
  /** The command's exit code or the server's failure; never rejects. */
  readonly result: Promise<ExecResult>;
  /** Resolves when the connection is closed. */
  readonly closed: Promise<void>;
  /** Ends the session now; a result not yet known becomes an error. */
  close(): void;
}

const SPDY_EXEC_PROTOCOLS = [ExecProtocol.V4, ExecProtocol.V3, ExecProtocol.V2];

/** The pods/exec (or attach) URL with kube's PodExecOptions as query parameters. */
export function execUrl(client: KubeClient, target: ExecTarget, subresource: 'exec' | 'attach'): URL {
  const url = client.url(`/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/${subresource}`);
  if (subresource === 'exec') for (const part of target.command ?? []) url.searchParams.append('command', part);
  if (target.container) url.searchParams.set('container', target.container);
  url.searchParams.set('stdin', String(target.stdin));
  url.searchParams.set('stdout', String(target.stdout));
  url.searchParams.set('stderr', String(target.stderr && !target.tty));
  url.searchParams.set('tty', String(target.tty));
  return url;
}

/**
 * Opens an exec (or attach) session. Rejects with a KubeApiError when the server answers with
 * an error (404 for a missing pod, 400 for bad options...), with the connection error when it
 * cannot be reached, and with the signal's reason when aborted.
 */
export async function openExec(client: KubeClient, target: ExecTarget, opts: OpenExecOptions = {}): Promise<ClientExecSession> {
  const subresource = opts.subresource ?? 'exec';
  if (subresource === 'exec' && !(target.command && target.command.length > 0)) throw new RangeError('openExec: exec needs a command');
  if (!target.stdin && !target.stdout && !target.stderr) throw new RangeError('openExec: at least one of stdin, stdout, stderr is required');
  const url = execUrl(client, target, subresource);
  const session = await withFallback(opts.protocols ?? ['websocket', 'spdy'], async (transport) => {
    if (transport === 'websocket') {
      const { ws, protocol } = await dialWebSocket(client, url, [ExecProtocol.V5], opts.signal);
      return webSocketSession(new WsChannelConnection(ws, { closeSignals: protocol === ExecProtocol.V5 }), protocol, target);
    }
    const { socket, head, protocol } = await dialSpdy(client, url, SPDY_EXEC_PROTOCOLS, opts.signal);
    return spdySession(new SpdyConnection(socket, { role: 'client', head }), protocol, target);
  });
  if (opts.signal) {
    const onAbort = (): void => session.close();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    void session.closed.then(() => opts.signal!.removeEventListener('abort', onAbort));
  }
  return session;
}

/** Collects a stream's bytes until it ends. */
function collect(stream: Readable): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
    stream.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

function webSocketSession(conn: WsChannelConnection, protocol: string, target: ExecTarget): ClientExecSession {
  const stdin = target.stdin ? conn.writer(Channel.Stdin, { signalClose: true }) : null;
  const stdout = target.stdout ? conn.reader(Channel.Stdout) : null;
  const stderr = target.stderr && !target.tty ? conn.reader(Channel.Stderr) : null;
  let closedByUs = false;
  const result = collect(conn.reader(Channel.Error)).then(async (message): Promise<ExecResult> => {
    await conn.closed;
    if (message.length > 0) return decodeExecStatus(message, protocol);
    if (closedByUs) return { error: 'the session was closed before the command finished' };
    // client-go reads a normal closure with nothing on the error channel as success.
    if (conn.closeCode === 1000) return { exitCode: 0 };
    return { error: `the connection closed (WebSocket code ${conn.closeCode ?? 'none'}) before the command's status arrived` };
  });
  // The server closes after the status; once it is known there is nothing left to wait for.
  void result.then(() => conn.close());
  return {
    protocol: 'websocket',
    subprotocol: protocol,
    stdin,
    stdout,
    stderr,
    resize: (width, height) => conn.send(Channel.Resize, encodeResize({ width, height })),
    result,
    closed: conn.closed,
    close: () => {
      closedByUs = true;
      void conn.close(1000);
    },
  };
}

async function spdySession(conn: SpdyConnection, protocol: string, target: ExecTarget): Promise<ClientExecSession> {
  const open = (type: string): Promise<SpdyStream> => conn.createStream({ streamtype: type });
  let streams: { error: SpdyStream; stdin?: SpdyStream; stdout?: SpdyStream; stderr?: SpdyStream; resize?: SpdyStream };
  try {
    // One at a time, each answered before the next, in client-go's order.
    const error = await open(StreamType.Error);
    const stdin = target.stdin ? await open(StreamType.Stdin) : undefined;
    const stdout = target.stdout ? await open(StreamType.Stdout) : undefined;
    const stderr = target.stderr && !target.tty ? await open(StreamType.Stderr) : undefined;
    const resize = target.tty && hasResize(protocol) ? await open(StreamType.Resize) : undefined;
    streams = { error, ...(stdin ? { stdin } : {}), ...(stdout ? { stdout } : {}), ...(stderr ? { stderr } : {}), ...(resize ? { resize } : {}) };
  } catch (err) {
    conn.destroy();
    await conn.closed;
    throw err;
  }
  // Streams we only write to: anything the server sends on them is drained.
  streams.stdin?.resume();
  streams.resize?.resume();
  let closedByUs = false;
  const errorStream = streams.error;
  const result = collect(errorStream).then((message): ExecResult => {
    if (message.length > 0) return decodeExecStatus(message, protocol);
    if (closedByUs) return { error: 'the session was closed before the command finished' };
    if (errorStream.finReceived) return { exitCode: 0 };
    return { error: `the connection closed before the command's status arrived${conn.closeError ? `: ${conn.closeError.message}` : ''}` };
  });
  // Frames are handled in order, so all output sent before the status has been delivered.
  void result.then(() => conn.end());
  return {
    protocol: 'spdy',
    subprotocol: protocol,
    stdin: streams.stdin ?? null,
    stdout: streams.stdout ?? null,
    stderr: streams.stderr ?? null,
    resize: (width, height) => {
      streams.resize?.write(encodeResize({ width, height }));
    },
    result,
    closed: conn.closed,
    close: () => {
      closedByUs = true;
      void conn.end();
    },
  };
}
