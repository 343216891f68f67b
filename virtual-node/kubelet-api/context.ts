/**
 * What every endpoint of the kubelet API gets from the server, and the shape in which an
 * endpoint hands its route back to be wired. Endpoints know nothing of TLS, authentication
 * or listening; the server knows nothing of logs, stats or streams.
 */
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock, Logger } from '../../kube/index.js';
import type { KubeletApiMetrics } from './metrics.js';
import type { PodDirectory } from './pod-directory.js';
import type { SummaryCollector } from './summary.js';

export interface EndpointContext {
  pods: PodDirectory;
  summary: SummaryCollector;
  logger: Logger;
  metrics: KubeletApiMetrics;
  clock: Clock;
  /** Aborted when the server closes: every stream it serves ends then. */
  shutdown: AbortSignal;
  /** A socket the server must destroy on close (the member side of a bridged stream). */
  track(socket: Socket): void;
}

export interface KubeletRoute {
  /** The endpoint's name in metrics and logs. */
  endpoint: string;
  /** fastify route paths (with :params). */
  urls: string[];
  /** Methods served; others get 405. */
  methods: string[];
  handler(req: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/** The path parameters of a route, as strings. */
export function paramsOf(req: FastifyRequest): Record<string, string> {
  return (req.params ?? {}) as Record<string, string>;
}

/**
 * An AbortSignal that fires when the server shuts down or the client goes away, whichever
 * comes first; `dispose` detaches it from both. The response's 'close' is the one that tells
 * of a client gone: the request's fires as soon as its (empty) body has been read.
 */
export function requestSignal(ctx: EndpointContext, reply: FastifyReply): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const abort = (): void => ac.abort();
  if (ctx.shutdown.aborted) ac.abort();
  ctx.shutdown.addEventListener('abort', abort, { once: true });
  reply.raw.once('close', abort);
  return {
    signal: ac.signal,
    dispose() {
      ctx.shutdown.removeEventListener('abort', abort);
      reply.raw.off('close', abort);
    },
  };
}
