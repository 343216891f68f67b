/**
 * GET /pods: the host pods bound to the nodes this endpoint serves, as a v1 PodList, the way
 * a kubelet lists the pods it runs (as the host API has them: spec and synced-back status).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EndpointContext, KubeletRoute } from './context.js';

export function podsRoute(ctx: EndpointContext): KubeletRoute {
  return {
    endpoint: 'pods',
    urls: ['/pods', '/pods/'],
    methods: ['GET'],
    async handler(_req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const items = ctx.pods.pods().map((p) => ({ apiVersion: 'v1', kind: 'Pod', ...p.pod }));
      reply.code(200).type('application/json').send(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items }));
    },
  };
}
