/**
 * The scheduler's HTTP face: /healthz, /readyz, /metrics, and (when enabled) the kube-scheduler
 * extender verbs. Every error, including a body that is not JSON, is answered with a Kubernetes
 * Status.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../../kube/index.js';
import { registerExtenderRoutes } from './extender.js';
import type { Scheduler } from './scheduler.js';

export interface ExtenderServerOptions {
  scheduler: Scheduler;
  registry: Registry;
  /** Ready to answer (caches synced), with the reason when not. */
  ready: () => { ok: boolean; reason: string };
  /** Serve the extender verbs (filter, prioritize, bind). Default true. */
  extender?: boolean;
  /** Path before the extender verbs. Default "/scheduler". */
  prefix?: string;
  logger?: Logger;
  /** Largest request body. Default 16 MiB (ExtenderArgs with full Node objects of a big cluster). */
  bodyLimit?: number;
}

function status(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 404: 'NotFound', 405: 'MethodNotAllowed', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType' };

export function buildExtenderServer(options: ExtenderServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024 });

  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (code >= 500) options.logger?.error({ err }, 'scheduler HTTP handler failed');
    void reply.code(code).send(status(code, REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest'), err.message));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(status(404, 'NotFound', `no route ${req.method} ${req.url.split('?')[0]}: try /healthz, /readyz, /metrics${options.extender === false ? '' : `, POST ${options.prefix ?? '/scheduler'}/{filter,prioritize,bind}`}`));
  });

  app.get('/healthz', async () => 'ok');
  app.get('/readyz', async (_req, reply) => {
    const r = options.ready();
    return r.ok ? r.reason : reply.code(503).send(r.reason);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(text);
  });
  if (options.extender !== false) {
    registerExtenderRoutes(app, { scheduler: options.scheduler, prefix: options.prefix ?? '/scheduler', ...(options.logger ? { logger: options.logger } : {}) });
  }
  return app;
}
