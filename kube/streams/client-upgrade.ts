/**
 * The client side of a streaming upgrade toward an API server (what kubectl and
 * kube-apiserver's proxy do): a WebSocket dial or a SPDY/3.1 upgrade request, with the TLS
 * material and credentials of a KubeClient, through its rate limiter. A non-101 answer
 * becomes a KubeApiError carrying the server's Status.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { KubeApiError } from '../api-error.js';
import type { ConnectionOptions, KubeClient } from '../client.js';
import { SPDY_UPGRADE, STREAM_PROTOCOL_HEADER } from './protocols.js';

/** How long the handshake (TCP, TLS, HTTP answer) may take. client-go allows 30 s. */
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** At most this much of an error answer's body is read. */
const MAX_ERROR_BODY = 64 * 1024;

/** The server answered the upgrade with something other than 101 (or with a 101 we cannot use). */
export class UpgradeFailure extends Error {
  override readonly name = 'UpgradeFailure';
  constructor(
    message: string,
    /** The error to report if no other protocol works either. */
    override readonly cause: Error,
  ) {
    super(message, { cause });
  }
}

function readLimited(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    res.on('data', (c: Buffer) => {
      if (bytes < MAX_ERROR_BODY) chunks.push(c.subarray(0, MAX_ERROR_BODY - bytes));
      bytes += c.length;
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('aborted', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function apiError(client: KubeClient, res: IncomingMessage, url: URL): Promise<KubeApiError> {
  const body = await readLimited(res);
  return new KubeApiError({ code: res.statusCode ?? 0, body, headers: flatHeaders(res), verb: 'create', path: url.pathname, cluster: client.cluster });
}

function tlsOptions(conn: ConnectionOptions): Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'> {
  return {
    ...(conn.ca !== undefined ? { ca: conn.ca } : {}),
    ...(conn.cert !== undefined ? { cert: conn.cert } : {}),
    ...(conn.key !== undefined ? { key: conn.key } : {}),
    ...(conn.rejectUnauthorized !== undefined ? { rejectUnauthorized: conn.rejectUnauthorized } : {}),
    ...(conn.servername !== undefined ? { servername: conn.servername } : {}),
  };
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/**
 * Dials a WebSocket offering `protocols`. Resolves with the open socket and the protocol the
 * server chose; rejects with UpgradeFailure (wrapping a KubeApiError) for a non-101 answer or
 * a 101 without one of our protocols, and with the connection error otherwise.
 */
export async function dialWebSocket(client: KubeClient, url: URL, protocols: readonly string[], signal?: AbortSignal): Promise<{ ws: WebSocket; protocol: string }> {
  if (signal?.aborted) throw abortError(signal);
  await client.limiter.acquire(signal);
  const conn = await client.connectionOptions();
  const wsUrl = new URL(url);
  wsUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // `ws` takes only RFC 7230 tokens as subprotocols, and kube's `SPDY/3.1+portforward.k8s.io`
  // has a '/'. ws is given stand-in tokens; the request carries the real names and the
  // server's answer is mapped back before ws checks it.
  const standIns = protocols.map((p, i) => (/^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/.test(p) ? p : `k8s-subprotocol-${i}`));
  const realOf = new Map(standIns.map((s, i) => [s, protocols[i]!]));
  const standInOf = new Map(protocols.map((p, i) => [p, standIns[i]!]));
  const ws = new WebSocket(wsUrl, standIns, {
    ...tlsOptions(conn),
    headers: conn.headers,
    perMessageDeflate: false,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    followRedirects: false,
    finishRequest: (req) => {
      req.setHeader('Sec-WebSocket-Protocol', protocols.join(', '));
      req.prependListener('upgrade', (res: IncomingMessage) => {
        const chosen = res.headers['sec-websocket-protocol'];
        if (chosen !== undefined) res.headers['sec-websocket-protocol'] = standInOf.get(chosen) ?? chosen;
      });
      req.end();
    },
  });
  // Errors after the handshake are the channel layer's to report (it listens for 'close').
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      ws.terminate();
      settle(() => reject(abortError(signal!)));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.once('open', () => {
      const chosen = realOf.get(ws.protocol);
      if (chosen === undefined) {
        ws.terminate();
        const err = new Error(`the server chose no WebSocket subprotocol of [${protocols.join(' ')}]`);
        settle(() => reject(new UpgradeFailure(err.message, err)));
        return;
      }
      settle(() => resolve({ ws, protocol: chosen }));
    });
    ws.once('unexpected-response', (req, res) => {
      apiError(client, res, url).then((err) => {
        req.destroy();
        settle(() => reject(new UpgradeFailure(`WebSocket upgrade refused: ${err.message}`, err)));
      }, reject);
    });
    ws.once('error', (err: Error) => settle(() => reject(err)));
    ws.once('close', () => settle(() => reject(new Error('WebSocket closed during the handshake'))));
  });
}

/**
 * Sends a SPDY/3.1 upgrade (POST, as kubectl) offering `protocols` in X-Stream-Protocol-Version.
 * Resolves with the upgraded socket, any bytes read past the 101, and the chosen protocol.
 */
export async function dialSpdy(
  client: KubeClient,
  url: URL,
  protocols: readonly string[],
  signal?: AbortSignal,
): Promise<{ socket: Duplex; head: Buffer; protocol: string }> {
  if (signal?.aborted) throw abortError(signal);
  await client.limiter.acquire(signal);
  const conn = await client.connectionOptions();
  const mod = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const req = mod.request(url, {
      method: 'POST',
      agent: false,
      ...tlsOptions(conn),
      headers: { ...conn.headers, Connection: 'Upgrade', Upgrade: SPDY_UPGRADE, [STREAM_PROTOCOL_HEADER]: [...protocols], 'Content-Length': '0' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      settle(() => reject(new Error(`SPDY upgrade to ${url.pathname}: no answer within ${HANDSHAKE_TIMEOUT_MS} ms`)));
    }, HANDSHAKE_TIMEOUT_MS);
    const onAbort = (): void => {
      req.destroy();
      settle(() => reject(abortError(signal!)));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      const chosen = String(res.headers['x-stream-protocol-version'] ?? '');
      if (!protocols.includes(chosen)) {
        socket.destroy();
        const err = new Error(`the server chose X-Stream-Protocol-Version "${chosen}", not one of [${protocols.join(' ')}]`);
        settle(() => reject(new UpgradeFailure(err.message, err)));
        return;
      }
      settle(() => resolve({ socket, head, protocol: chosen }));
    });
    req.on('response', (res: IncomingMessage) => {
      apiError(client, res, url).then((err) => {
        req.destroy();
        settle(() => reject(new UpgradeFailure(`SPDY upgrade refused: ${err.message}`, err)));
      }, reject);
    });
    req.on('error', (err) => settle(() => reject(err)));
    req.end();
  });
}

export type StreamTransport = 'websocket' | 'spdy';

/**
 * Tries the transports in order, moving to the next only when the server refused the upgrade
 * (kubectl's fallback rule); resolves with the first that connects. When all are refused, the
 * last refusal's KubeApiError is thrown.
 */
export async function withFallback<T>(order: readonly StreamTransport[], attempt: (transport: StreamTransport) => Promise<T>): Promise<T> {
  if (order.length === 0) throw new RangeError('at least one streaming protocol is required');
  let last: Error | undefined;
  for (const t of order) {
    try {
      return await attempt(t);
    } catch (err) {
      if (!(err instanceof UpgradeFailure)) throw err;
      last = err.cause;
    }
  }
  throw last!;
}
