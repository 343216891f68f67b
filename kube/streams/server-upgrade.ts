/**
 * The HTTP side of accepting a streaming upgrade on a raw socket, as a kubelet does: which
 * protocol the request asks for, the 101 answer (WebSocket through the `ws` package, SPDY/3.1
 * written by hand), and the refusal — an HTTP error with a Kubernetes Status, after which the
 * socket is closed. Works on a socket from Node's 'upgrade' event as well as one a framework
 * handed over (the sim's fastify routes get the socket detached from the HTTP parser).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SPDY_UPGRADE } from './protocols.js';

/** The request was refused; its answer has already been written on the socket. */
export class StreamUpgradeError extends Error {
  override readonly name = 'StreamUpgradeError';
  constructor(
    /** The HTTP status written (0 when the socket was already gone). */
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const REASON_PHRASES: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };

/** Which streaming protocol an upgrade request asks for, if any. */
export function upgradeKind(req: IncomingMessage): 'websocket' | 'spdy' | undefined {
  const connection = headerList(req, 'connection').map((t) => t.toLowerCase());
  const upgrade = String(req.headers.upgrade ?? '').trim().toLowerCase();
  if (!connection.includes('upgrade') || !upgrade) return undefined;
  if (upgrade === 'websocket') return 'websocket';
  if (upgrade === SPDY_UPGRADE.toLowerCase()) return 'spdy';
  return undefined;
}

/** Every value of a header, whether repeated or comma-separated, trimmed. */
export function headerList(req: IncomingMessage, name: string): string[] {
  const out: string[] = [];
  const lower = name.toLowerCase();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() !== lower) continue;
    for (const part of req.rawHeaders[i + 1]!.split(',')) {
      const v = part.trim();
      if (v) out.push(v);
    }
  }
  return out;
}

/**
 * Answers the request with an HTTP error carrying a Kubernetes Status and closes the socket;
 * returns the error for the caller to throw.
 */
export function rejectUpgrade(socket: Duplex, code: number, reason: string, message: string): StreamUpgradeError {
  if (!socket.destroyed && socket.writable) {
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
    socket.end(
      `HTTP/1.1 ${code} ${REASON_PHRASES[code] ?? reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    // Once written, nothing more comes from us; a client that keeps the socket open is cut.
    socket.once('finish', () => socket.destroy());
    return new StreamUpgradeError(code, reason, message);
  }
  socket.destroy();
  return new StreamUpgradeError(0, reason, message);
}

/**
 * Completes a WebSocket handshake choosing the first of the client's subprotocols in
 * `supported`. Malformed handshakes and unsupported subprotocols are refused with a 400 Status
 * (the `ws` package would answer them in plain text, which kube clients cannot read).
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, supported: readonly string[]): Promise<{ ws: WebSocket; protocol: string }> {
  if (req.method !== 'GET') return Promise.reject(rejectUpgrade(socket, 400, 'BadRequest', `a WebSocket upgrade must be a GET request, not ${req.method}`));
  const key = String(req.headers['sec-websocket-key'] ?? '');
  if (!/^[+/0-9A-Za-z]{22}==$/.test(key)) return Promise.reject(rejectUpgrade(socket, 400, 'BadRequest', 'missing or invalid Sec-WebSocket-Key header'));
  const version = String(req.headers['sec-websocket-version'] ?? '');
  if (version !== '13' && version !== '8') return Promise.reject(rejectUpgrade(socket, 400, 'BadRequest', `unsupported Sec-WebSocket-Version "${version}"; supports 13`));
  const offered = headerList(req, 'sec-websocket-protocol');
  const protocol = offered.find((p) => supported.includes(p));
  if (!protocol) {
    return Promise.reject(
      rejectUpgrade(socket, 400, 'BadRequest', `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`),
    );
  }
  if (socket.destroyed || !socket.readable || !socket.writable) return Promise.reject(new StreamUpgradeError(0, 'Gone', 'the client went away before the upgrade'));
  // `ws` parses Sec-WebSocket-Protocol as RFC 7230 tokens and refuses kube's
  // `SPDY/3.1+portforward.k8s.io` (a '/'), which Go clients send all the same. The choice is
  // made above; ws is shown a token and answers with the real name.
  req.headers['sec-websocket-protocol'] = 'negotiated';
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, handleProtocols: () => protocol });
  return new Promise((resolve, reject) => {
    // ws gives up silently (no callback) on a socket that stopped being writable meanwhile.
    const onClose = (): void => reject(new StreamUpgradeError(0, 'Gone', 'the client went away during the upgrade'));
    socket.once('close', onClose);
    wss.handleUpgrade(req, socket as Parameters<WebSocketServer['handleUpgrade']>[1], head, (ws) => {
      socket.off('close', onClose);
      resolve({ ws, protocol });
    });
  });
}

/**
 * Answers a SPDY/3.1 upgrade with 101 and the chosen X-Stream-Protocol-Version; refuses with a
 * 400 Status when the client offers none of `supported` (kube answers 403 there; any non-101
 * is what clients act on).
 */
export function acceptSpdy(req: IncomingMessage, socket: Duplex, supported: readonly string[]): string {
  const offered = headerList(req, 'x-stream-protocol-version');
  if (offered.length === 0) throw rejectUpgrade(socket, 400, 'BadRequest', 'unable to upgrade: X-Stream-Protocol-Version header is required');
  const protocol = offered.find((p) => supported.includes(p));
  if (!protocol) {
    throw rejectUpgrade(socket, 400, 'BadRequest', `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`);
  }
  if (socket.destroyed || !socket.writable) throw new StreamUpgradeError(0, 'Gone', 'the client went away before the upgrade');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  return protocol;
}
