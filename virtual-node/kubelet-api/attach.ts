/**
 * /attach/{namespace}/{pod}/{container}?input=1&output=1&error=1&tty=1 (and the form with the
 * pod's uid): attaches to the mirror's running container through the member's pods/attach,
 * bridged between the two stream sessions (see exec-bridge.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { paramsOf, type EndpointContext, type KubeletRoute } from './context.js';
import { parseStreamOptions } from './exec.js';
import { queryOf } from './query.js';
import { bridgeExecUpgrade } from './exec-bridge.js';

export function attachRoute(ctx: EndpointContext): KubeletRoute {
  return {
    endpoint: 'attach',
    urls: ['/attach/:namespace/:pod/:container', '/attach/:namespace/:pod/:uid/:container'],
    methods: ['GET', 'POST'],
    async handler(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const { namespace = '', pod = '', container = '', uid } = paramsOf(req);
      const options = parseStreamOptions(queryOf(req.url));
      const { mirror } = ctx.pods.resolve(namespace, pod, container, uid);
      await bridgeExecUpgrade(ctx, req, reply, { endpoint: 'attach', mirror, container, options, what: `attach to container "${container}" of pod "${pod}"` });
    },
  };
}
