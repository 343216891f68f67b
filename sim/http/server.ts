// The HTTPS server of one simulated cluster: authentication and authorization (sim/auth),
// fault injection, request size limits, Status errors, discovery, OpenAPI and the
// resource routes.

import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { routeUpgradesThroughFastify } from '../../kube/index.js';
import { ApiError, internalError, statusFailure, tooManyRequests } from '../errors.js';
import type { RequestAuth } from '../auth/request-auth.js';
import type { FaultSettings } from '../faults.js';
import { openApiIndex, openApiDocument } from './openapi.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js';
import type { Query } from './query.js';
import { parseResourcePath } from './request-info.js';
import { handleResource, type HandlerContext } from './resource-handler.js';

/** kube-apiserver's default request body limit is 3 MiB. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface ServerOptions {
  ctx: HandlerContext;
  tls: { key: string; cert: string };
  /**
   * Authenticates (admin token first, then ServiceAccount tokens) and authorizes each
   * request: 401 without valid credentials, 403 when RBAC denies it.
   */
  auth: Pick<RequestAuth, 'check'>;
  faults: () => FaultSettings;
  serverAddress: () => string;
}

export interface ServerHandle {
  app: FastifyInstance;
  sockets: Set<Socket>;
}

/** The path of a request URL, without its query. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function sendStatus(reply: FastifyReply, e: ApiError): void {
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  reply.code(e.code).type('application/json').send(JSON.stringify(e.toStatus()));
}

export function buildServer(opts: ServerOptions): ServerHandle {
  const app = Fastify({
    https: { key: opts.tls.key, cert: opts.tls.cert },
    bodyLimit: MAX_BODY_BYTES,
    logger: false,
    // Kubernetes names can be long; paths with many segments are normal.
    routerOptions: { maxParamLength: 1024 },
    forceCloseConnections: true,
    // A path that is not valid percent-encoding never reaches a route; answer it with a Status too.
    frameworkErrors: (err, _req, reply) => {
      sendStatus(reply, new ApiError(400, 'BadRequest', err.message));
    },
  });
  const sockets = new Set<Socket>();
  app.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // kubectl exec/attach/port-forward (WebSocket or SPDY/3.1) pass the same routing: auth,
  // faults, Status errors.
  routeUpgradesThroughFastify(app);
  const { ctx, auth } = opts;

  // Bodies are parsed by the handlers, so malformed JSON becomes a Kubernetes Status.
  app.removeAllContentTypeParsers();
  const asString = (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void => done(null, body);
  app.addContentTypeParser('*', { parseAs: 'string' }, asString);
  // The same parser named for the types clients send: fastify finds (and caches) an exact
  // match at once, where every request falling through to '*' parses its Content-Type again.
  for (const type of ['application/json', 'application/strategic-merge-patch+json', 'application/merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'application/yaml']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, asString);
  }
  // Protobuf bodies (client-go typed clients) stay bytes; see protobuf.ts.
  app.addContentTypeParser('application/vnd.kubernetes.protobuf', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Callback style, not async: every request passes here, and a promise per request costs
  // a microtask turn and an allocation for nothing when there is no injected latency.
  app.addHook('onRequest', (req, reply, done) => {
    const path = pathOf(req.url);
    if (path === '/healthz' || path === '/livez' || path === '/readyz' || path === '/version') return done();
    const who = auth.check(req.method, path, req.query as Query, req.raw);
    if (who instanceof ApiError) {
      // A reply sent from a callback hook ends the request; done() is not called.
      sendStatus(reply, who);
      return;
    }
    const f = opts.faults();
    const inject = (): void => {
      if (f.errorRate > 0 && Math.random() < f.errorRate) {
        sendStatus(reply, f.errorCode === 429 ? tooManyRequests(f.retryAfterSeconds) : internalError('injected fault'));
        return;
      }
      done();
    };
    if (f.latencyMs > 0) setTimeout(inject, f.latencyMs);
    else inject();
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof ApiError) return sendStatus(reply, err);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendStatus(reply, new ApiError(413, 'RequestEntityTooLarge', `the request body exceeds the limit of ${MAX_BODY_BYTES} bytes`));
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendStatus(reply, new ApiError(err.statusCode, 'BadRequest', err.message));
    }
    return sendStatus(reply, internalError(err.message));
  });
  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).type('application/json').send(JSON.stringify(statusFailure(404, 'NotFound', 'the server could not find the requested resource')));
  });

  const json = (reply: FastifyReply, body: unknown): void => {
    reply.code(200).type('application/json').send(JSON.stringify(body));
  };
  const reg = ctx.api.registry;
  app.get('/healthz', async () => 'ok');
  app.get('/livez', async () => 'ok');
  app.get('/readyz', async () => 'ok');
  app.get('/version', async (_req, reply) => json(reply, versionInfo()));
  app.get('/api', async (_req, reply) => json(reply, apiVersions(opts.serverAddress())));
  app.get('/apis', async (_req, reply) => json(reply, apiGroupList(reg)));
  app.get('/openapi/v2', async () => {
    // kubectl tolerates a 404 here and uses its built-in patch metadata (API-FACTS.md).
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  });
  app.get('/openapi/v3', async (_req, reply) => json(reply, openApiIndex(reg)));
  app.get('/openapi/v3/*', async (req, reply) => {
    const gvPath = (req.params as Record<string, string>)['*'] ?? '';
    const doc = openApiDocument(reg, gvPath);
    if (!doc) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    json(reply, doc);
  });

  const resourceRoute = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = pathOf(req.url);
    // Group and group-version discovery.
    if (req.method === 'GET') {
      const parts = path.split('/').filter(Boolean);
      if (parts[0] === 'api' && parts.length === 2) {
        const doc = apiResourceList(reg, '', parts[1]!);
        if (doc) return json(reply, doc);
      }
      if (parts[0] === 'apis' && parts.length === 2) {
        const doc = apiGroup(reg, parts[1]!);
        if (doc) return json(reply, doc);
      }
      if (parts[0] === 'apis' && parts.length === 3) {
        const doc = apiResourceList(reg, parts[1]!, parts[2]!);
        if (doc) return json(reply, doc);
      }
    }
    const info = parseResourcePath(path);
    if (!info) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    await handleResource(ctx, req, reply, info);
  };
  app.all('/api/*', resourceRoute);
  app.all('/apis/*', resourceRoute);

  return { app, sockets };
}
