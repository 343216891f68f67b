/**
 * /portForward/{namespace}/{pod}[?port=..] (and the form with the pod's uid): forwards ports of
 * the mirror pod through the member's pods/portforward, over the upgraded connection (see
 * upgrade-proxy.ts). With SPDY the ports travel in each stream's headers, so the query may
 * name none; those it names must be port numbers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { paramsOf, type EndpointContext, type KubeletRoute } from './context.js';
import { queryOf } from './query.js';
import { badRequest } from './status.js';
import { proxyUpgrade } from './upgrade-proxy.js';

/** The ports of a port-forward query (`port`, repeated or comma-separated), each checked. */
export function parsePorts(params: URLSearchParams): number[] {
  const out: number[] = [];
  for (const raw of params.getAll('port').flatMap((v) => v.split(','))) {
    const p = raw.trim();
    const n = Number(p);
    if (!/^\d{1,5}$/.test(p) || n < 1 || n > 65535) throw badRequest(`port: Invalid value: "${raw}": must be a port number between 1 and 65535`);
    out.push(n);
  }
  return out;
}

export function portForwardRoute(ctx: EndpointContext): KubeletRoute {
  return {
    endpoint: 'portForward',
    urls: ['/portForward/:namespace/:pod', '/portForward/:namespace/:pod/:uid'],
    methods: ['GET', 'POST'],
    async handler(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const { namespace = '', pod = '', uid } = paramsOf(req);
      const ports = parsePorts(queryOf(req.url));
      const { mirror } = ctx.pods.resolve(namespace, pod, undefined, uid);
      const query = new URLSearchParams();
      for (const p of ports) query.append('ports', String(p));
      await proxyUpgrade(ctx, req, reply, {
        endpoint: 'portForward',
        mirror,
        subresource: 'portforward',
        query,
        what: `port-forward to pod "${pod}"`,
      });
    },
  };
}
