// The agent's HTTP endpoint: /healthz, /readyz, /metrics (Prometheus) and
// /status (what the node supports, what is degraded, the current CPU split).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from './agent.js';
import type { AgentMetrics } from './metrics.js';

export interface AgentHttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startAgentHttp(o: { host: string; port: number; agent: Agent; metrics: AgentMetrics }): Promise<AgentHttpServer> {
  const server: Server = createServer((req, res) => {
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/healthz': {
        const h = o.agent.healthy();
        return send(h.ok ? 200 : 500, 'text/plain', `${h.reason}\n`);
      }
      case '/readyz':
        return o.agent.ready() ? send(200, 'text/plain', 'ok\n') : send(503, 'text/plain', 'waiting for the pod list and a first reconcile\n');
      case '/metrics':
        o.metrics.registry
          .metrics()
          .then((text) => send(200, o.metrics.registry.contentType, text))
          .catch((err: unknown) => send(500, 'text/plain', `${(err as Error).message}\n`));
        return;
      case '/status':
        return send(200, 'application/json', `${JSON.stringify({ status: o.agent.status(), load: o.agent.latestLoad() }, null, 2)}\n`);
      default:
        return send(404, 'text/plain', 'not found: try /healthz, /readyz, /metrics, /status\n');
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${o.host}:${o.port} (--listen): ${err.message}`)));
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
