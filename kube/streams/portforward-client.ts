/**
 * The client side of port-forward toward an API server's pods/portforward, what kubectl does:
 * a WebSocket carrying SPDY (`SPDY/3.1+portforward.k8s.io`, kubectl >= 1.31) or v4 channels,
 * falling back to a plain SPDY/3.1 upgrade when the server refuses the WebSocket. Each
 * connect(port) opens one forwarded connection.
 */
import { Duplex, type Readable } from 'node:stream';
import { webSocketDuplex } from './ws-tunnel.js';
import type { KubeClient } from '../client.js';
import { dialSpdy, dialWebSocket, withFallback, type StreamTransport } from './client-upgrade.js';
import { SpdyConnection } from './spdy-connection.js';
import { PORT_FORWARD_PROTOCOL, PORT_FORWARD_TUNNEL_PROTOCOL, PORT_FORWARD_WS_PROTOCOL, StreamType } from './protocols.js';
import { validPort } from './portforward-server.js';
import { WsChannelConnection } from './ws-channels.js';

export interface PortForwardTarget {
  namespace: string;
  pod: string;
  ports: number[];
}

export interface OpenPortForwardOptions {
  /** Transports in the order to try. Default ['websocket', 'spdy'], as kubectl. */
  protocols?: StreamTransport[];
  signal?: AbortSignal;
}

export interface ForwardedConnection {
  readonly port: number;
  /** The connection's bytes; end() tells the far side we are done sending. */
  readonly data: Duplex;
  /** What the server reported for this connection (e.g. nothing listens on the port), or undefined; settles when it can say no more. */
  readonly error: Promise<string | undefined>;
}

export interface ClientPortForwardSession {
  readonly protocol: StreamTransport;
  readonly subprotocol: string;
  /**
   * Opens a forwarded connection to `port`. Over SPDY (plain or tunnelled) any number per
   * port; over v4 WebSocket channels one per port of the session, and only those ports.
   */
  connect(port: number): Promise<ForwardedConnection>;
  close(): void;
  readonly closed: Promise<void>;
}

function collectText(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
    const done = (): void => resolve(text.length > 0 ? text : undefined);
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

export async function openPortForward(client: KubeClient, target: PortForwardTarget, opts: OpenPortForwardOptions = {}): Promise<ClientPortForwardSession> {
  const bad = target.ports.find((p) => !validPort(p));
  if (bad !== undefined) throw new RangeError(`openPortForward: invalid port ${bad}`);
  const url = client.url(`/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/portforward`);
  for (const p of target.ports) url.searchParams.append('ports', String(p));
  const session = await withFallback(opts.protocols ?? ['websocket', 'spdy'], async (transport): Promise<ClientPortForwardSession> => {
    if (transport === 'websocket') {
      const protocols = target.ports.length > 0 ? [PORT_FORWARD_TUNNEL_PROTOCOL, PORT_FORWARD_WS_PROTOCOL] : [PORT_FORWARD_TUNNEL_PROTOCOL];
      const { ws, protocol } = await dialWebSocket(client, url, protocols, opts.signal);
      if (protocol === PORT_FORWARD_TUNNEL_PROTOCOL) return spdySession(new SpdyConnection(webSocketDuplex(ws), { role: 'client' }), 'websocket', protocol);
      return channelSession(new WsChannelConnection(ws, { closeSignals: false }), target.ports);
    }
    const { socket, head, protocol } = await dialSpdy(client, url, [PORT_FORWARD_PROTOCOL], opts.signal);
    return spdySession(new SpdyConnection(socket, { role: 'client', head }), 'spdy', protocol);
  });
  if (opts.signal) {
    const onAbort = (): void => session.close();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    void session.closed.then(() => opts.signal!.removeEventListener('abort', onAbort));
  }
  return session;
}

function spdySession(conn: SpdyConnection, transport: StreamTransport, protocol: string): ClientPortForwardSession {
  let nextRequestId = 0;
  return {
    protocol: transport,
    subprotocol: protocol,
    async connect(port) {
      if (!validPort(port)) throw new RangeError(`invalid port ${port}`);
      const requestid = String(nextRequestId++);
      // kubectl's order: the error stream first (closed for writing at once: only the server writes on it), then data.
      const errorStream = await conn.createStream({ streamtype: StreamType.Error, port: String(port), requestid });
      errorStream.end();
      const error = collectText(errorStream);
      const data = await conn.createStream({ streamtype: StreamType.Data, port: String(port), requestid });
      return { port, data, error };
    },
    close: () => void conn.end(),
    closed: conn.closed,
  };
}

function channelSession(conn: WsChannelConnection, ports: readonly number[]): ClientPortForwardSession {
  // Readers exist before the server's first messages (the port prefixes) arrive.
  const channels = ports.map((port, i) => ({
    port,
    data: Duplex.from({ readable: conn.reader(2 * i, { skipPrefix: 2 }), writable: conn.writer(2 * i) }),
    error: collectText(conn.reader(2 * i + 1, { skipPrefix: 2 })),
    taken: false,
  }));
  return {
    protocol: 'websocket',
    subprotocol: PORT_FORWARD_WS_PROTOCOL,
    async connect(port) {
      const ch = channels.find((c) => c.port === port && !c.taken);
      if (!ch) throw new Error(`port ${port} is not one of this session's ports [${ports.join(', ')}] or is already connected (WebSocket channels carry one connection per port)`);
      ch.taken = true;
      return { port, data: ch.data, error: ch.error };
    },
    close: () => void conn.close(1000),
    closed: conn.closed,
  };
}
