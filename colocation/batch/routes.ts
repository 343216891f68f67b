/**
 * HTTP face of the batch controller, for the process's one server (`tidepool colocation` wires
 * it next to /metrics): readiness, and the breakdown of one node for the capacity API and for
 * people asking "why does this node offer no batch capacity?".
 *
 *   GET /api/v1/batch/nodes/:node   200 {breakdown, published} | 400/404 Kubernetes Status
 *   GET /healthz                    200 while the controller runs
 *   GET /readyz                     200 once the node cache is filled, else 503
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isDNS1123Subdomain } from '../../kube/index.js';
import type { BatchController } from './controller.js';

function status(reply: FastifyReply, code: number, reason: string, message: string): FastifyReply {
  return reply.code(code).type('application/json').send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

export function registerBatchRoutes(app: FastifyInstance, controller: BatchController, options: { health?: boolean } = {}): void {
  app.get<{ Params: { node: string } }>('/api/v1/batch/nodes/:node', async (req, reply) => {
    const name = req.params.node;
    if (isDNS1123Subdomain(name).length > 0) return status(reply, 400, 'BadRequest', `"${name}" is not a valid node name (a DNS subdomain)`);
    const breakdown = controller.breakdown(name);
    if (!breakdown) return status(reply, 404, 'NotFound', `no real node "${name}" is known (virtual nodes have no batch breakdown)`);
    return { breakdown, published: controller.published(name) ?? null };
  });
  if (options.health === false) return;
  app.get('/healthz', async () => 'ok');
  app.get('/readyz', async (_req, reply) => (controller.ready() ? 'ok' : reply.code(503).send('node cache not synced yet')));
}
