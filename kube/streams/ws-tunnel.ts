/**
 * A WebSocket as a byte stream, for SPDY tunnelled inside it (kubectl's port-forward since
 * 1.31: `SPDY/3.1+portforward.k8s.io`, each binary message a run of SPDY bytes).
 */
import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';

/**
 * `ws`'s own stream, made to emit 'close' when the WebSocket closes (it does so only when
 * destroyed, which nothing else would do): the SPDY session above learns the tunnel is gone.
 */
export function webSocketDuplex(ws: WebSocket): Duplex {
  const duplex = createWebSocketStream(ws);
  duplex.on('error', () => undefined);
  ws.once('close', () => {
    // What arrived before the close is read first.
    if (duplex.readableEnded) duplex.destroy();
    else duplex.once('end', () => duplex.destroy());
  });
  return duplex;
}
