/**
 * The webhook's HTTPS server (fastify):
 *   POST <path>   an AdmissionReview v1 in, the answer out (400 Status for a malformed review)
 *   GET  /healthz /readyz /metrics
 * Bodies are parsed here, not by fastify, so every malformed request gets a Kubernetes Status.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../../kube/index.js';
import type { WebhookMetrics } from './metrics.js';
import type { PodMutator } from './mutate.js';
import type { NamespaceLabels } from './namespaces.js';
import { answerReview, parseReview, ReviewError } from './review.js';

/** Room for a pod and its old version (kube-apiserver caps each request body at 3 MiB). */
export const MAX_REVIEW_BYTES = 8 * 1024 * 1024;

export interface WebhookAppDeps {
  tls: { cert: string; key: string };
  path: string;
  namespaces: NamespaceLabels | undefined;
  mutators: readonly PodMutator[] | undefined;
  metrics: WebhookMetrics;
  registry: Registry;
  logger: Logger;
}

function sendStatus(reply: FastifyReply, code: number, reason: string, message: string): void {
  reply
    .code(code)
    .type('application/json')
    .send(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

export function buildWebhookApp(d: WebhookAppDeps): FastifyInstance {
  const app = Fastify({
    https: { cert: d.tls.cert, key: d.tls.key },
    logger: false,
    bodyLimit: MAX_REVIEW_BYTES,
    // The API server keeps connections open between reviews; close() must not wait for them.
    forceCloseConnections: true,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code >= 500) d.logger.error({ err }, 'webhook request failed');
    sendStatus(reply, code, code === 413 ? 'RequestEntityTooLarge' : code >= 500 ? 'InternalError' : 'BadRequest', err.message);
  });
  app.setNotFoundHandler((req, reply) => {
    sendStatus(reply, 404, 'NotFound', `no route ${req.method} ${req.url.split('?')[0]}: AdmissionReviews go to POST ${d.path}`);
  });

  app.get('/healthz', async () => 'ok');
  app.get('/readyz', async (_req, reply) => {
    if (d.namespaces && !d.namespaces.synced()) return reply.code(503).send('waiting for the namespace list');
    return 'ok';
  });
  app.get('/metrics', async (_req, reply) => reply.type(d.registry.contentType).send(await d.registry.metrics()));

  app.post(d.path, async (req, reply) => {
    const started = process.hrtime.bigint();
    let request;
    try {
      const text = typeof req.body === 'string' ? req.body : '';
      if (text.trim() === '') throw new ReviewError('the body is empty; an AdmissionReview is required');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw new ReviewError(`the body is not JSON: ${(e as Error).message}`);
      }
      request = parseReview(body);
    } catch (e) {
      if (!(e instanceof ReviewError)) throw e;
      d.metrics.badRequests.inc();
      d.logger.warn({ err: e.message }, 'malformed AdmissionReview refused');
      return sendStatus(reply, 400, 'BadRequest', e.message);
    }
    // Labels matter only to a pod create; updates and other kinds need no lookup.
    const nsLabels = request.operation === 'CREATE' && request.namespace && d.namespaces ? await d.namespaces.get(request.namespace) : undefined;
    const a = answerReview(request, nsLabels, d.mutators);
    d.metrics.observe(a.outcome, Number(process.hrtime.bigint() - started) / 1e9);
    const fields = { uid: request.uid, namespace: request.namespace, name: request.name, operation: request.operation, outcome: a.outcome, reason: a.reason, dryRun: request.dryRun };
    if (a.outcome === 'mutated') d.logger.info({ ...fields, ops: a.patch.length, warnings: a.warnings }, 'offline pod mutated');
    else if (a.outcome === 'unchanged' || a.outcome === 'error' || a.outcome === 'not-a-pod') d.logger.warn({ ...fields, warnings: a.warnings }, 'pod admitted unchanged');
    else d.logger.debug(fields, 'pod admitted as it is');
    return reply.code(200).type('application/json').send(JSON.stringify(a.review));
  });
  return app;
}
