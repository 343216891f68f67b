/**
 * GET /containerLogs/{namespace}/{pod}/{container}: a host pod's container log, read from its
 * mirror in the member cluster (`GET .../pods/{mirror}/log` there) and streamed through as it
 * comes, flushed chunk by chunk while following, until the member ends the log or the client
 * goes away (then the member's stream is cut at once).
 *
 * The log options are the kubelet's (follow, previous, timestamps, tailLines, limitBytes,
 * sinceSeconds, sinceTime), checked as kube's ValidatePodLogOptions checks them: a value that
 * does not parse is a 400, one that breaks a rule (negative tail, both since*) is a 422.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Query } from '../../kube/index.js';
import { paramsOf, requestSignal, type EndpointContext, type KubeletRoute } from './context.js';
import { memberError } from './member-error.js';
import { boolParam, intParam, queryOf, timeParam } from './query.js';
import { invalid } from './status.js';

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceSeconds?: number;
  /** As given (RFC 3339), validated. */
  sinceTime?: string;
}

export function parseLogOptions(params: URLSearchParams): LogOptions {
  const opts: LogOptions = {
    follow: boolParam(params, 'follow'),
    previous: boolParam(params, 'previous'),
    timestamps: boolParam(params, 'timestamps'),
  };
  const tailLines = intParam(params, 'tailLines');
  const limitBytes = intParam(params, 'limitBytes');
  const sinceSeconds = intParam(params, 'sinceSeconds');
  const sinceTime = timeParam(params, 'sinceTime') !== undefined ? params.get('sinceTime')! : undefined;
  const causes: Array<{ field: string; message: string }> = [];
  if (tailLines !== undefined && tailLines < 0) causes.push({ field: 'tailLines', message: `Invalid value: ${tailLines}: must be greater than or equal to 0` });
  if (limitBytes !== undefined && limitBytes < 1) causes.push({ field: 'limitBytes', message: `Invalid value: ${limitBytes}: must be greater than 0` });
  if (sinceSeconds !== undefined && sinceSeconds < 1) causes.push({ field: 'sinceSeconds', message: `Invalid value: ${sinceSeconds}: must be greater than 0` });
  if (sinceSeconds !== undefined && sinceTime !== undefined) causes.push({ field: 'sinceSeconds', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
  if (causes.length > 0) throw invalid('PodLogOptions', causes);
  if (tailLines !== undefined) opts.tailLines = tailLines;
  if (limitBytes !== undefined) opts.limitBytes = limitBytes;
  if (sinceSeconds !== undefined) opts.sinceSeconds = sinceSeconds;
  if (sinceTime !== undefined) opts.sinceTime = sinceTime;
  return opts;
}

/** The member's pods/log query for these options. */
function memberQuery(container: string, o: LogOptions): Query {
  return {
    container,
    ...(o.follow ? { follow: 'true' } : {}),
    ...(o.previous ? { previous: 'true' } : {}),
    ...(o.timestamps ? { timestamps: 'true' } : {}),
    tailLines: o.tailLines,
    limitBytes: o.limitBytes,
    sinceSeconds: o.sinceSeconds,
    sinceTime: o.sinceTime,
  };
}

export function containerLogsRoute(ctx: EndpointContext): KubeletRoute {
  return {
    endpoint: 'containerLogs',
    urls: ['/containerLogs/:namespace/:pod/:container'],
    methods: ['GET'],
    async handler(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const { namespace = '', pod = '', container = '' } = paramsOf(req);
      const options = parseLogOptions(queryOf(req.url));
      const { mirror } = ctx.pods.resolve(namespace, pod, container);
      const { signal, dispose } = requestSignal(ctx, reply);
      let upstream: IncomingMessage | undefined;
      try {
        upstream = await mirror.client.stream({
          path: `/api/v1/namespaces/${encodeURIComponent(mirror.namespace)}/pods/${encodeURIComponent(mirror.name)}/log`,
          query: memberQuery(container, options),
          signal,
        });
      } catch (err) {
        dispose();
        throw memberError(err, mirror, `reading the log of container "${container}" in pod "${pod}"`);
      }
      if (!upstream) {
        // The client left (or the server is closing) before the member answered.
        dispose();
        return;
      }
      await pipeLog(ctx, req, reply, upstream, options.follow);
      dispose();
    },
  };
}

/** Streams the member's answer to the client until either side ends it. */
function pipeLog(ctx: EndpointContext, req: FastifyRequest, reply: FastifyReply, upstream: IncomingMessage, follow: boolean): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  // A followed log is read line by line as it is written: no Nagle delay on small chunks.
  req.raw.socket.setNoDelay(true);
  res.writeHead(200, { 'Content-Type': upstream.headers['content-type'] ?? 'text/plain' });
  res.flushHeaders();
  if (follow) ctx.metrics.openStreams.inc({ endpoint: 'containerLogs' });
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (follow) ctx.metrics.openStreams.dec({ endpoint: 'containerLogs' });
      ctx.shutdown.removeEventListener('abort', onShutdown);
      upstream.destroy();
      if (!res.writableEnded) res.end();
      resolve();
    };
    const onShutdown = (): void => {
      finish();
      res.destroy();
    };
    ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
    // pipe() writes each chunk as it arrives (chunked encoding) and honours back-pressure.
    upstream.pipe(res, { end: false });
    upstream.once('end', finish);
    upstream.once('error', finish);
    upstream.once('close', finish);
    res.once('close', finish);
  });
}
