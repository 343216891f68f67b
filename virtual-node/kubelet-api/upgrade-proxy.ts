/**
 * exec, attach and port-forward reach the mirror through the member's API server: the
 * kubelet request (an HTTP upgrade to SPDY/3.1 or WebSocket) is rewritten into the member's
 * pods/{exec,attach,portforward} request with the same upgrade headers and the member's own
 * credentials, and from then on bytes are piped both ways until either side closes.
 *
 * The stream protocol is passed through, not spoken: whatever kube-apiserver negotiated with
 * us (SPDY/3.1 with X-Stream-Protocol-Version v4.channel.k8s.io by default, or WebSocket
 * v5.channel.k8s.io), the member's API server speaks too, and its 101 answer (or its error
 * Status) reaches the apiserver unchanged. That keeps exit codes, resize, stdin half-close
 * and port-forward streams exactly as the runtime sent them.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isUpgradeRequest, type KubeClient } from '../../kube/index.js';
import type { MirrorLocation } from '../kubelet-backend.js';
import type { EndpointContext } from './context.js';
import { memberError } from './member-error.js';
import { badRequest, KubeletApiError, writeStatusToSocket } from './status.js';

/** How long the member's API server may take to accept the connection. */
const DIAL_TIMEOUT_MS = 10_000;

/**
 * Request headers not passed to the member: our caller's credentials and address are not the
 * member's business, and the member's own come from its kubeconfig. Hop-by-hop headers other
 * than the upgrade's own are dropped as any proxy drops them.
 */
const DROPPED = new Set(['authorization', 'host', 'proxy-authorization', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'content-length', 'cookie', 'impersonate-user', 'impersonate-group', 'impersonate-uid']);

export interface UpgradeTarget {
  endpoint: string;
  mirror: MirrorLocation;
  /** pods subresource on the member: exec, attach or portforward. */
  subresource: 'exec' | 'attach' | 'portforward';
  /** The member's query (repeated keys kept). */
  query: URLSearchParams;
  /** For messages: what is being done, e.g. `exec in container "app" of pod "web"`. */
  what: string;
}

export async function proxyUpgrade(ctx: EndpointContext, req: FastifyRequest, reply: FastifyReply, target: UpgradeTarget): Promise<void> {
  if (!isUpgradeRequest(req)) throw badRequest(`Upgrade request required: ${target.subresource} needs a SPDY/3.1 or WebSocket upgrade`);
  const { mirror } = target;
  const client = mirror.client;
  const url = client.url(`/api/v1/namespaces/${encodeURIComponent(mirror.namespace)}/pods/${encodeURIComponent(mirror.name)}/${target.subresource}`);
  url.search = target.query.toString();

  let conn: Awaited<ReturnType<KubeClient['connectionOptions']>>;
  try {
    conn = await client.connectionOptions();
    // One request to the member like any other: it waits its turn in the client's limiter.
    await client.limiter.acquire(ctx.shutdown);
  } catch (err) {
    if (ctx.shutdown.aborted) throw new KubeletApiError(503, 'ServiceUnavailable', 'the kubelet API is shutting down');
    throw memberError(err, mirror, target.what);
  }

  let head = `${req.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  const ours = new Set(Object.keys(conn.headers).map((k) => k.toLowerCase()));
  const raw = req.raw.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!DROPPED.has(name) && !ours.has(name)) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  for (const [k, v] of Object.entries(conn.headers)) head += `${k}: ${v}\r\n`;
  head += '\r\n';

  // The upgrade arrived on Node's 'upgrade' event (see server.ts): the socket is ours to pipe.
  reply.hijack();
  const downstream = req.raw.socket as Socket;
  downstream.setTimeout(0);
  downstream.setNoDelay(true);
  ctx.metrics.openStreams.inc({ endpoint: target.endpoint });

  await new Promise<void>((resolve) => {
    const port = Number(url.port || (url.protocol === 'http:' ? 80 : 443));
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const upstream: Socket =
      url.protocol === 'http:'
        ? netConnect({ host: hostname, port, timeout: DIAL_TIMEOUT_MS })
        : tlsConnect({
            host: hostname,
            port,
            timeout: DIAL_TIMEOUT_MS,
            ...(conn.ca !== undefined ? { ca: conn.ca } : {}),
            ...(conn.cert !== undefined ? { cert: conn.cert } : {}),
            ...(conn.key !== undefined ? { key: conn.key } : {}),
            rejectUnauthorized: conn.rejectUnauthorized ?? true,
            // SNI carries host names only, never addresses.
            ...(conn.servername ? { servername: conn.servername } : isIP(hostname) === 0 ? { servername: hostname } : {}),
          });
    ctx.track(upstream);
    let connected = false;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      ctx.metrics.openStreams.dec({ endpoint: target.endpoint });
      ctx.shutdown.removeEventListener('abort', onShutdown);
      resolve();
    };
    const onShutdown = (): void => {
      upstream.destroy();
      downstream.destroy();
      finish();
    };
    ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
    const onConnected = (): void => {
      connected = true;
      upstream.setTimeout(0);
      upstream.setNoDelay(true);
      upstream.write(head);
      // The member's answer (101 or a Status) and every frame after it go through unchanged;
      // pipe passes a half-close on, and the close of either side ends both.
      upstream.pipe(downstream);
      downstream.pipe(upstream);
    };
    upstream.once(url.protocol === 'http:' ? 'connect' : 'secureConnect', onConnected);
    upstream.once('timeout', () => {
      if (!connected) upstream.destroy(new Error(`no connection within ${DIAL_TIMEOUT_MS} ms`));
    });
    upstream.on('error', (err) => {
      if (!connected) {
        writeStatusToSocket(downstream, memberError(err, mirror, target.what));
        ctx.logger.warn({ cluster: mirror.cluster, endpoint: target.endpoint, err: err.message }, 'kubelet API: cannot reach the member API server for a stream');
      } else downstream.destroy();
      finish();
    });
    upstream.on('close', () => {
      if (connected) downstream.end();
      finish();
    });
    downstream.on('error', () => upstream.destroy());
    downstream.on('close', () => {
      upstream.destroy();
      finish();
    });
  });
}
