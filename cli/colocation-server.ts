// The one HTTP server of a colocation process (--listen): /healthz, /readyz over every part that
// runs, /metrics from the process's one Registry, the batch controller's node breakdown, and the
// scheduler's kube-scheduler extender verbs under /scheduler. Every error, a body that is not
// JSON included, is answered with a Kubernetes Status.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { registerBatchRoutes, type BatchController } from '../colocation/batch/index.js';
import { registerExtenderRoutes, type Scheduler } from '../colocation/scheduler/index.js';
import type { Logger } from '../kube/index.js';

/** A part that says whether it can do its job yet. */
export interface ReadinessCheck {
  name: string;
  ready(): boolean;
  /** Said on /readyz while not ready. */
  waitingFor: string;
}

export interface ColocationServerOptions {
  registry: Registry;
  checks: readonly ReadinessCheck[];
  /** The batch controller's breakdown route, when it runs. */
  batch?: BatchController;
  /** The extender verbs, when the scheduler runs with them. */
  extender?: { scheduler: Scheduler; prefix: string };
  logger: Logger;
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 404: 'NotFound', 405: 'MethodNotAllowed', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType' };

function status(code: number, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest'), code };
}

export function buildColocationServer(o: ColocationServerOptions): FastifyInstance {
  // ExtenderArgs with full Node objects of a big cluster are large.
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (code >= 500) o.logger.error({ err }, 'colocation HTTP handler failed');
    void reply.code(code).send(status(code, err.message));
  });
  const routes = ['GET /healthz', 'GET /readyz', 'GET /metrics'];
  if (o.batch) routes.push('GET /api/v1/batch/nodes/<node>');
  if (o.extender) routes.push(`POST ${o.extender.prefix}/{filter,prioritize,bind}`);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(status(404, `no route ${req.method} ${req.url.split('?')[0]}: this process serves ${routes.join(', ')}`));
  });

  app.get('/healthz', async () => 'ok');
  app.get('/readyz', async (_req, reply) => {
    const waiting = o.checks.filter((c) => !c.ready()).map((c) => `${c.name}: ${c.waitingFor}`);
    if (waiting.length > 0) return reply.code(503).send(`not ready: ${waiting.join('; ')}`);
    return `ok: ${o.checks.map((c) => c.name).join(', ')}`;
  });
  app.get('/metrics', async (_req, reply) => reply.type(o.registry.contentType).send(await o.registry.metrics()));
  if (o.batch) registerBatchRoutes(app, o.batch, { health: false });
  if (o.extender) registerExtenderRoutes(app, { scheduler: o.extender.scheduler, prefix: o.extender.prefix, logger: o.logger });
  return app;
}
