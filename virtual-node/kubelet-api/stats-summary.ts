/**
 * GET /stats/summary: the kubelet Summary API (stats/v1alpha1) for the node, from the member
 * clusters' metrics (see summary.ts). A member that cannot be read leaves its pods out and is
 * logged; the others are still answered, so one slow cluster does not blind the scraper.
 * `only_cpu_and_memory` is accepted (it is all there is anyway).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestSignal, type EndpointContext, type KubeletRoute } from './context.js';
import { boolParam, queryOf } from './query.js';

export function statsSummaryRoute(ctx: EndpointContext): KubeletRoute {
  return {
    endpoint: 'stats/summary',
    urls: ['/stats/summary', '/stats/summary/'],
    methods: ['GET'],
    async handler(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      boolParam(queryOf(req.url), 'only_cpu_and_memory');
      const { signal, dispose } = requestSignal(ctx, reply);
      try {
        const { summary, errors } = await ctx.summary.collect(signal);
        if (errors.length > 0) ctx.logger.warn({ errors }, 'kubelet API: stats summary is missing pods whose member metrics could not be read');
        reply.code(200).type('application/json').send(JSON.stringify(summary));
      } finally {
        dispose();
      }
    },
  };
}
