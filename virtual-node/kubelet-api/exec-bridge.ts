/**
 * exec and attach as a kubelet serves them, bridged to the mirror: the member's pods/exec (or
 * attach) is opened first — WebSocket v5, falling back to SPDY/3.1 when the member refuses it,
 * whichever it answers — so a member's refusal (no such container, pod not running) reaches
 * the caller as that Status before anything is upgraded; then the caller's upgrade (SPDY/3.1
 * from kube-apiserver, or WebSocket) is accepted and the two sessions are joined: stdin on,
 * stdout/stderr back, resizes on, the member's exit status as ours.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { acceptExecUpgrade, bridgeExec, isUpgradeRequest, openExec, StreamUpgradeError, type ClientExecSession } from '../../kube/index.js';
import type { MirrorLocation } from '../kubelet-backend.js';
import type { EndpointContext } from './context.js';
import type { StreamOptions } from './exec.js';
import { memberError } from './member-error.js';
import { badRequest } from './status.js';

export interface ExecBridgeTarget {
  endpoint: 'exec' | 'attach';
  mirror: MirrorLocation;
  container: string;
  command?: string[];
  options: StreamOptions;
  /** For messages: what is being done. */
  what: string;
}

export async function bridgeExecUpgrade(ctx: EndpointContext, req: FastifyRequest, reply: FastifyReply, target: ExecBridgeTarget): Promise<void> {
  if (!isUpgradeRequest(req)) throw badRequest(`Upgrade request required: ${target.endpoint} needs a SPDY/3.1 or WebSocket upgrade`);
  const { mirror, options } = target;
  let member: ClientExecSession;
  try {
    await mirror.client.limiter.acquire(ctx.shutdown);
    member = await openExec(
      mirror.client,
      { namespace: mirror.namespace, pod: mirror.name, container: target.container, ...(target.command ? { command: target.command } : {}), ...options },
      { subresource: target.endpoint, signal: ctx.shutdown },
    );
  } catch (err) {
    throw memberError(err, mirror, target.what);
  }
  // From here the socket is ours: the answer is the upgrade (or a Status written on the socket).
  reply.hijack();
  const socket = req.raw.socket;
  socket.setTimeout(0);
  ctx.metrics.openStreams.inc({ endpoint: target.endpoint });
  const onShutdown = (): void => {
    member.close();
    socket.destroy();
  };
  ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
  try {
    const server = await acceptExecUpgrade(req.raw, socket, Buffer.alloc(0), options);
    await bridgeExec(server, member);
  } catch (err) {
    member.close();
    // A refused upgrade has already been answered with a 400 Status on the socket.
    if (!(err instanceof StreamUpgradeError)) ctx.logger.warn({ cluster: mirror.cluster, endpoint: target.endpoint, err: (err as Error).message }, 'kubelet API: stream bridge failed');
  } finally {
    ctx.shutdown.removeEventListener('abort', onShutdown);
    ctx.metrics.openStreams.dec({ endpoint: target.endpoint });
  }
}
