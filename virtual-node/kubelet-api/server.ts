/**
 * The virtual node's kubelet endpoint: the HTTPS server kube-apiserver dials (the Node's
 * InternalIP and daemonEndpoints.kubeletEndpoint.Port) to serve `kubectl logs`, `exec`,
 * `attach` and `port-forward` for pods on the virtual node, and that metrics-server scrapes.
 *
 * This file only wires: TLS (a given certificate, or a self-signed one made at start), the
 * authentication and authorization filter in front of every route but /healthz (auth.ts),
 * upgrade requests routed through fastify like any other, Status errors, request metrics,
 * and a close() that ends every stream and socket. The endpoints are one file each:
 *
 *   GET        /containerLogs/{ns}/{pod}/{container}   container-logs.ts
 *   GET|POST   /exec/{ns}/{pod}[/{uid}]/{container}    exec.ts          (upgrade)
 *   GET|POST   /attach/{ns}/{pod}[/{uid}]/{container}  attach.ts        (upgrade)
 *   GET|POST   /portForward/{ns}/{pod}[/{uid}]         port-forward.ts  (upgrade)
 *   GET        /pods                                   pods.ts
 *   GET        /stats/summary                          stats-summary.ts
 *   GET        /metrics/resource                       metrics-resource.ts
 *   GET        /healthz                                (here; no authentication)
 */
import type { AddressInfo, Socket } from 'node:net';
import { hostname } from 'node:os';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { routeUpgradesThroughFastify, selfSignedServingCertificate, silentLogger, systemClock, type Clock, type KubeClient, type Logger } from '../../kube/index.js';
import type { KubeletBackend } from '../kubelet-backend.js';
import { attachRoute } from './attach.js';
import { KubeletAuth, requestAttributes, type AuthCacheTtls, type AuthorizationMode } from './auth.js';
import { containerLogsRoute } from './container-logs.js';
import type { EndpointContext, KubeletRoute } from './context.js';
import { execRoute } from './exec.js';
import { kubeletApiMetrics } from './metrics.js';
import { metricsResourceRoute } from './metrics-resource.js';
import { PodDirectory } from './pod-directory.js';
import { podsRoute } from './pods.js';
import { portForwardRoute } from './port-forward.js';
import { pathOf } from './query.js';
import { statsSummaryRoute } from './stats-summary.js';
import { KubeletApiError, sendStatus, statusOf } from './status.js';
import { SummaryCollector } from './summary.js';

export interface KubeletApiOptions {
  /** Where the host pods and their mirrors are (the pod controller). */
  backend: KubeletBackend;
  /** The host cluster: TokenReviews and SubjectAccessReviews are sent there. */
  host: KubeClient;
  listen: { host: string; /** 0 picks a free port. */ port: number };
  /** Serving certificate and key (PEM). Absent: a self-signed one is made at start (and logged). */
  tls?: { cert: string; key: string };
  /** Client certificates signed by this CA (PEM) are accepted: user = CN, groups = O. */
  clientCaPem?: string;
  /** Serve only these of the backend's nodes (one endpoint per virtual node). Default: all of them. */
  nodeNames?: string[];
  /** 'Webhook' (default): SubjectAccessReview on the host. 'AlwaysAllow': any authenticated user. */
  authorizationMode?: AuthorizationMode;
  /** Audiences a bearer token must be meant for (TokenReview spec.audiences). */
  tokenAudiences?: string[];
  authCacheTtlMs?: AuthCacheTtls;
  /** Registry for tidepool_virtual_node_kubelet_* metrics; a private one when absent. */
  registry?: Registry;
  logger?: Logger;
  /** The node's start (the Summary API's node.startTime). Default: when the server starts. */
  nodeStartTime?: Date;
  clock?: Clock;
}

export interface KubeletApi {
  port: number;
  address: string;
  /** The serving certificate chain (PEM): what a client trusts to verify this server. */
  certPem: string;
  close(): Promise<void>;
}

/** Request bodies are not part of any kubelet endpoint served here; anything larger is refused. */
const BODY_LIMIT = 64 * 1024;
const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** Endpoints that address one pod: /{kind}/{namespace}/{pod}/... */
const POD_PATHS = new Set(['containerLogs', 'exec', 'attach', 'portForward', 'run']);

export async function startKubeletApi(opts: KubeletApiOptions): Promise<KubeletApi> {
  validateOptions(opts);
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const metrics = kubeletApiMetrics(opts.registry);
  const pods = new PodDirectory(opts.backend, opts.nodeNames);

  let tls = opts.tls;
  let certPem = opts.tls?.cert ?? '';
  if (!tls) {
    const unspecified = opts.listen.host === '0.0.0.0' || opts.listen.host === '::';
    const hosts = [...new Set([unspecified ? hostname() : opts.listen.host, 'localhost', ...pods.nodes()])];
    const made = selfSignedServingCertificate(hosts);
    tls = made;
    certPem = made.cert;
    logger.info({ hosts }, 'kubelet API: no serving certificate given; made a self-signed one');
  }

  const auth = new KubeletAuth({
    host: opts.host,
    clientCertificates: opts.clientCaPem !== undefined,
    ...(opts.authorizationMode ? { authorizationMode: opts.authorizationMode } : {}),
    ...(opts.tokenAudiences ? { tokenAudiences: opts.tokenAudiences } : {}),
    ...(opts.authCacheTtlMs ? { ttls: opts.authCacheTtlMs } : {}),
    clock,
    logger,
    onDecision: (step, result, cached) => metrics.authDecisions.inc({ step, result, cached: String(cached) }),
  });

  const shutdown = new AbortController();
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const ctx: EndpointContext = {
    pods,
    summary: new SummaryCollector({ pods, clock, nodeStartTime: opts.nodeStartTime?.getTime() ?? clock.now() }),
    logger,
    metrics,
    clock,
    shutdown: shutdown.signal,
    track,
  };

  const app = Fastify({
    https: {
      key: tls.key,
      cert: tls.cert,
      // Client certificates are asked for, not required: a request without one may still
      // carry a bearer token. Verification against the CA decides socket.authorized.
      ...(opts.clientCaPem !== undefined ? { ca: opts.clientCaPem, requestCert: true, rejectUnauthorized: false } : {}),
    },
    bodyLimit: BODY_LIMIT,
    logger: false,
    exposeHeadRoutes: false,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 1024 },
    frameworkErrors: (err, _req, reply) => sendStatus(reply, new KubeletApiError(400, 'BadRequest', err.message)),
  });
  app.server.on('connection', track);
  // exec/attach/port-forward (SPDY/3.1 or WebSocket) pass the same authentication,
  // authorization and Status errors as every other request.
  routeUpgradesThroughFastify(app);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => done(null, undefined));

  app.addHook('onRequest', async (req, reply) => {
    const endpoint = endpointOf(req);
    const started = performance.now();
    reply.raw.once('close', () => {
      const code = reply.raw.headersSent ? String(reply.raw.statusCode) : req.headers.upgrade ? 'upgraded' : 'aborted';
      metrics.requests.inc({ endpoint, code });
      logger.debug({ method: req.method, path: pathOf(req.url), endpoint, code, ms: Math.round(performance.now() - started) }, 'kubelet API request');
    });
    const path = pathOf(req.url);
    if (path === '/healthz') return;
    const user = await auth.authenticate(req.raw);
    const nodes = nodesFor(pods, path);
    if (nodes.length === 0) throw new KubeletApiError(503, 'ServiceUnavailable', 'this kubelet endpoint serves no virtual node yet');
    const attrs = requestAttributes(req.method, path);
    for (const node of nodes) await auth.authorize(user, attrs, node);
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof KubeletApiError) return sendStatus(reply, err);
    if (err.statusCode === 413) return sendStatus(reply, new KubeletApiError(413, 'RequestEntityTooLarge', `the request body exceeds the limit of ${BODY_LIMIT} bytes`));
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return sendStatus(reply, new KubeletApiError(err.statusCode, 'BadRequest', err.message));
    logger.error({ err: err.message }, 'kubelet API: request failed');
    return sendStatus(reply, statusOf(err));
  });
  app.setNotFoundHandler((req, reply) => {
    sendStatus(reply, new KubeletApiError(404, 'NotFound', `the kubelet API has no endpoint ${pathOf(req.url)}`));
  });

  app.get('/healthz', { config: { endpoint: 'healthz' } }, async (_req, reply) => {
    reply.code(200).type('text/plain').send('ok');
  });
  for (const route of [containerLogsRoute(ctx), execRoute(ctx), attachRoute(ctx), portForwardRoute(ctx), podsRoute(ctx), statsSummaryRoute(ctx), metricsResourceRoute(ctx)]) {
    register(app, route);
  }

  await app.listen({ host: opts.listen.host, port: opts.listen.port });
  const address = app.server.address() as AddressInfo;
  logger.info({ address: address.address, port: address.port, nodes: pods.nodes(), clientCertificates: opts.clientCaPem !== undefined }, 'kubelet API listening');

  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    address: address.address,
    certPem,
    close() {
      closing ??= (async () => {
        shutdown.abort();
        for (const s of sockets) s.destroy();
        await app.close();
      })();
      return closing;
    },
  };
}

/** The fastify instance type, whatever server it runs on (HTTPS here). */
type App = { route(opts: { method: string[]; url: string; config: { endpoint: string }; handler: (req: FastifyRequest, reply: FastifyReply) => Promise<void> }): unknown };

function register(app: App, route: KubeletRoute): void {
  const allowed = new Set(route.methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])));
  for (const url of route.urls) {
    app.route({
      method: [...ALL_METHODS],
      url,
      config: { endpoint: route.endpoint },
      handler: async (req, reply) => {
        if (!allowed.has(req.method)) {
          reply.header('Allow', [...allowed].join(', '));
          throw new KubeletApiError(405, 'MethodNotAllowed', `${req.method} is not supported on ${pathOf(req.url)}; use ${route.methods.join(' or ')}`);
        }
        await route.handler(req, reply);
      },
    });
  }
}

function endpointOf(req: FastifyRequest): string {
  const config = req.routeOptions.config as { endpoint?: unknown } | undefined;
  return typeof config?.endpoint === 'string' ? config.endpoint : 'unknown';
}

/**
 * The nodes a request must be allowed on: the pod's node for a pod endpoint whose pod is ours,
 * else every node served (the answer may be about any of them).
 */
function nodesFor(pods: PodDirectory, path: string): string[] {
  const parts = path.split('/');
  const kind = parts[1] ?? '';
  if (POD_PATHS.has(kind) && parts.length >= 4) {
    const namespace = safeDecode(parts[2]!);
    const name = safeDecode(parts[3]!);
    if (namespace !== undefined && name !== undefined) return pods.nodesFor(namespace, name);
  }
  return pods.nodes();
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function validateOptions(opts: KubeletApiOptions): void {
  const port = opts.listen?.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`kubelet API: listen.port must be an integer in [0, 65535], got ${String(port)}`);
  if (typeof opts.listen.host !== 'string' || opts.listen.host === '') throw new Error('kubelet API: listen.host is required (an address to listen on, e.g. 0.0.0.0)');
  if (opts.tls && (!opts.tls.cert.includes('BEGIN CERTIFICATE') || !opts.tls.key.includes('PRIVATE KEY'))) {
    throw new Error('kubelet API: tls.cert and tls.key must be PEM (a certificate and its private key)');
  }
  if (opts.clientCaPem !== undefined && !opts.clientCaPem.includes('BEGIN CERTIFICATE')) {
    throw new Error('kubelet API: clientCaPem must be a PEM certificate (the CA that signs client certificates)');
  }
  if (opts.authorizationMode !== undefined && opts.authorizationMode !== 'Webhook' && opts.authorizationMode !== 'AlwaysAllow') {
    throw new Error(`kubelet API: authorizationMode must be Webhook or AlwaysAllow, got ${String(opts.authorizationMode)}`);
  }
}
