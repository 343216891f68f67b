/**
 * /exec/{namespace}/{pod}/{container}?command=..&input=1&output=1&error=1&tty=1 (and the form
 * with the pod's uid before the container): runs a command in the mirror's container through
 * the member's pods/exec, bridged between the two stream sessions (see exec-bridge.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { paramsOf, type EndpointContext, type KubeletRoute } from './context.js';
import { boolParam, queryOf } from './query.js';
import { badRequest } from './status.js';
import { bridgeExecUpgrade } from './exec-bridge.js';

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * The kubelet's stream options (input/output/error/tty), as its remotecommand options read
 * them: a tty has no separate stderr, and a stream with none of the three is refused.
 */
export function parseStreamOptions(params: URLSearchParams): StreamOptions {
  const tty = boolParam(params, 'tty');
  const opts = { stdin: boolParam(params, 'input'), stdout: boolParam(params, 'output'), stderr: boolParam(params, 'error') && !tty, tty };
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr (input=1, output=1, error=1)');
  return opts;
}

/** The member's pods/exec or pods/attach query for these options. */
export function memberStreamQuery(container: string, o: StreamOptions, command: string[] = []): URLSearchParams {
  const q = new URLSearchParams({ container });
  for (const part of command) q.append('command', part);
  if (o.stdin) q.set('stdin', 'true');
  if (o.stdout) q.set('stdout', 'true');
  if (o.stderr) q.set('stderr', 'true');
  if (o.tty) q.set('tty', 'true');
  return q;
}

export function execRoute(ctx: EndpointContext): KubeletRoute {
  return {
    endpoint: 'exec',
    urls: ['/exec/:namespace/:pod/:container', '/exec/:namespace/:pod/:uid/:container'],
    methods: ['GET', 'POST'],
    async handler(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const { namespace = '', pod = '', container = '', uid } = paramsOf(req);
      const params = queryOf(req.url);
      const command = params.getAll('command');
      if (command.length === 0 || command.every((c) => c === '')) throw badRequest('command: Required value: you must specify at least one command for the container');
      const options = parseStreamOptions(params);
      const { mirror } = ctx.pods.resolve(namespace, pod, container, uid);
      await bridgeExecUpgrade(ctx, req, reply, { endpoint: 'exec', mirror, container, command, options, what: `exec in container "${container}" of pod "${pod}"` });
    },
  };
}
