/**
 * Upgrade requests (kubectl exec / attach / port-forward over WebSocket or SPDY/3.1) routed
 * through fastify like any other request.
 *
 * Node hands a request with an Upgrade header to the server's 'upgrade' event, with the socket
 * already detached from its HTTP parser, and fastify never sees it. Wrapping it in a
 * ServerResponse and giving it to the app's router keeps one path for every request (hooks,
 * authentication, routes, Status errors); a handler may take the socket over and pipe it, or
 * answer on it like any reply, after which the connection closes (no keep-alive after an
 * upgrade request).
 */
import { ServerResponse, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** What is needed of a fastify instance (HTTP or HTTPS): its Node server and its router. */
export interface UpgradeRoutedApp {
  server: { on(event: 'upgrade', listener: (req: IncomingMessage, socket: Socket, head: Buffer) => void): unknown };
  routing(req: IncomingMessage, res: ServerResponse): void;
}

export function routeUpgradesThroughFastify(app: UpgradeRoutedApp): void {
  app.server.on('upgrade', (req, socket, head) => {
    // Bytes the client sent after the headers belong to the stream the handler will read.
    if (head.length > 0) socket.unshift(head);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.on('finish', () => socket.end());
    socket.on('error', () => socket.destroy());
    app.routing(req, res);
  });
}

/** Whether a request asks to upgrade its connection (Connection: upgrade and an Upgrade header). */
export function isUpgradeRequest(req: { headers: IncomingHttpHeaders }): boolean {
  const connection = String(req.headers.connection ?? '').toLowerCase();
  return typeof req.headers.upgrade === 'string' && connection.split(',').some((t) => t.trim() === 'upgrade');
}
