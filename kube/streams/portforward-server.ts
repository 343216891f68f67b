/**
 * The server side of port-forward, what a kubelet does: every forwarded connection the client
 * opens becomes a PortForwardStream (its port, its bytes as a Duplex, and a way to report a
 * failure), for the caller to connect to whatever listens on that port.
 *
 * Three transports, chosen from the request:
 * - SPDY/3.1 `portforward.k8s.io`: per connection, an error stream and a data stream that
 *   carry `port` and `requestID` headers; any number of connections per port.
 * - WebSocket `SPDY/3.1+portforward.k8s.io` (kubectl >= 1.31): the same SPDY session carried
 *   inside binary WebSocket messages.
 * - WebSocket `v4.channel.k8s.io`: the ports come from the query; port i gets channels 2i
 *   (data) and 2i+1 (error), each opened by a message holding the port as uint16 little-endian;
 *   one connection per port for the life of the socket.
 */
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { webSocketDuplex } from './ws-tunnel.js';
import { SpdyConnection, type SpdyStream } from './spdy-connection.js';
import { PORT_FORWARD_PROTOCOL, PORT_FORWARD_TUNNEL_PROTOCOL, PORT_FORWARD_WS_PROTOCOL, StreamType } from './protocols.js';
import { acceptSpdy, acceptWebSocket, rejectUpgrade, upgradeKind } from './server-upgrade.js';
import { WsChannelConnection } from './ws-channels.js';

export interface PortForwardStream {
  readonly port: number;
  /** The client's id for this connection (SPDY `requestID`; the port's index over WebSocket channels). */
  readonly requestId: string;
  /** The forwarded connection's bytes. Ending it tells the client the far side closed. */
  readonly data: Duplex;
  /** Reports a failure of this connection to the client (kubectl prints it) and ends it. */
  fail(message: string): void;
}

export interface ServerPortForwardSession {
  readonly protocol: 'websocket' | 'spdy';
  readonly subprotocol: string;
  /** Each forwarded connection the client opens; ones that came before a subscriber are handed to it at once. */
  onStream(cb: (stream: PortForwardStream) => void): () => void;
  /** Closes the session (all its connections) and resolves when it is closed. */
  close(): Promise<void>;
  readonly closed: Promise<void>;
}

export interface PortForwardOptions {
  /** How long the second stream of a SPDY data/error pair may take. Default 30 s. */
  streamCreationTimeoutMs?: number;
}

/** Streams handed to subscribers, and kept for the first one when none is there yet. */
class StreamFeed {
  private readonly queued: PortForwardStream[] = [];
  private readonly subscribers = new Set<(s: PortForwardStream) => void>();

  push(s: PortForwardStream): void {
    if (this.subscribers.size === 0) this.queued.push(s);
    for (const cb of this.subscribers) cb(s);
  }

  subscribe(cb: (s: PortForwardStream) => void): () => void {
    this.subscribers.add(cb);
    for (const s of this.queued.splice(0)) cb(s);
    return () => this.subscribers.delete(cb);
  }
}

export function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * Accepts a port-forward upgrade on a raw socket. `ports` are the ones the request named
 * (required for WebSocket channels; SPDY streams name their own). A request that is not a
 * usable upgrade gets an HTTP 400 Status and the promise rejects with StreamUpgradeError.
 */
export async function acceptPortForwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ports: readonly number[], opts: PortForwardOptions = {}): Promise<ServerPortForwardSession> {
  const bad = ports.find((p) => !validPort(p));
  if (bad !== undefined) throw rejectUpgrade(socket, 400, 'BadRequest', `invalid port ${bad}: must be between 1 and 65535`);
  const kind = upgradeKind(req);
  if (kind === 'spdy') {
    const protocol = acceptSpdy(req, socket, [PORT_FORWARD_PROTOCOL]);
    return spdySession(socket, head, 'spdy', protocol, opts);
  }
  if (kind === 'websocket') {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '');
    // v4 channels need the ports up front; check before answering so the refusal is a Status.
    if (ports.length === 0 && !offered.includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
      throw rejectUpgrade(socket, 400, 'BadRequest', 'at least 1 port must be specified for port-forward over WebSocket');
    }
    const { ws, protocol } = await acceptWebSocket(req, socket, head, ports.length > 0 ? [PORT_FORWARD_TUNNEL_PROTOCOL, PORT_FORWARD_WS_PROTOCOL] : [PORT_FORWARD_TUNNEL_PROTOCOL]);
    if (protocol === PORT_FORWARD_TUNNEL_PROTOCOL) return spdySession(webSocketDuplex(ws), Buffer.alloc(0), 'websocket', protocol, opts);
    return channelSession(new WsChannelConnection(ws, { closeSignals: false }), ports);
  }
  throw rejectUpgrade(socket, 400, 'BadRequest', 'Upgrade request required: use SPDY/3.1 or WebSocket');
}

function spdySession(socket: Duplex, head: Buffer, transport: 'websocket' | 'spdy', protocol: string, opts: PortForwardOptions): ServerPortForwardSession {
  const feed = new StreamFeed();
  const timeoutMs = opts.streamCreationTimeoutMs ?? 30_000;
  const pending = new Map<string, { data?: SpdyStream; error?: SpdyStream; timer: NodeJS.Timeout }>();
  const conn = new SpdyConnection(socket, {
    role: 'server',
    head,
    onStream: (stream) => {
      const type = stream.headers['streamtype'];
      const port = Number(stream.headers['port']);
      if ((type !== StreamType.Data && type !== StreamType.Error) || !validPort(port)) return false;
      // Clients older than the requestID header: the pair's ids are consecutive (error, then data).
      const requestId = stream.headers['requestid'] ?? String(type === StreamType.Error ? stream.id : stream.id - 2);
      let entry = pending.get(requestId);
      if (!entry) {
        entry = {
          timer: setTimeout(() => {
            pending.delete(requestId);
            entry!.data?.reset();
            entry!.error?.reset();
          }, timeoutMs),
        };
        pending.set(requestId, entry);
      }
      if (entry[type]) return false;
      entry[type] = stream;
      if (entry.data && entry.error) {
        clearTimeout(entry.timer);
        pending.delete(requestId);
        const { data, error } = entry;
        // The client does not write on the error stream; what it sends is drained.
        error.resume();
        // When the far side is done, an empty error stream tells the client "no error".
        data.once('finish', () => error.end());
        feed.push({
          port,
          requestId,
          data,
          fail: (message) => {
            error.end(message);
            data.end();
          },
        });
      }
      return true;
    },
  });
  void conn.closed.then(() => {
    for (const e of pending.values()) clearTimeout(e.timer);
    pending.clear();
  });
  return {
    protocol: transport,
    subprotocol: protocol,
    onStream: (cb) => feed.subscribe(cb),
    close: () => conn.end(),
    closed: conn.closed,
  };
}

function channelSession(conn: WsChannelConnection, ports: readonly number[]): ServerPortForwardSession {
  const feed = new StreamFeed();
  let open = ports.length;
  ports.forEach((port, i) => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    conn.send(2 * i, prefix);
    conn.send(2 * i + 1, prefix);
    const data = Duplex.from({ readable: conn.reader(2 * i), writable: conn.writer(2 * i) });
    // v4 channels cannot close one by one: once every connection's far side is done, the socket closes.
    data.once('finish', () => {
      if (--open === 0) void conn.close(1000);
    });
    feed.push({
      port,
      requestId: String(i),
      data,
      fail: (message) => {
        conn.send(2 * i + 1, Buffer.from(message));
        data.end();
      },
    });
  });
  return {
    protocol: 'websocket',
    subprotocol: PORT_FORWARD_WS_PROTOCOL,
    onStream: (cb) => feed.subscribe(cb),
    close: () => conn.close(1000),
    closed: conn.closed,
  };
}
