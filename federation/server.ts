/**
 * The capacity API and console page, one fastify server:
 *   GET  /api/v1/capacity[?nodes=true&cluster=NAME]   the capacity document
 *   GET  /api/v1/clusters                            members, policy, health, conditions
 *   GET  /api/v1/history                             utilization samples (last hour) and their period
 *   GET  /api/v1/virtual-nodes                       the virtual nodes as the host cluster has them
 *   POST /api/v1/placements {pod, key?, dryRun?}     place a pod (200 {cluster,node} | 409 {reasons})
 *   DELETE /api/v1/placements/:cluster/:namespace/:name   drop an assumption
 *   GET  /metrics  /healthz  /readyz  /  /app.js
 *
 * It listens on loopback by default and is open there. With `auth` every request except the
 * probes needs a bearer token the host cluster accepts and authorizes (server-auth.ts), and
 * with `tls` it speaks HTTPS, so a token never crosses the network in clear.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { KubeClient } from '../kube/index.js';
import { federationInternals, type Federation } from './federation.js';
import { federationMetrics } from './metrics.js';
import { PAGE_HTML, PAGE_JS } from './page.js';
import type { PodObject } from './pod.js';
import { ServerAuth, type ServerAuthOptions } from './server-auth.js';
import { VirtualNodeReader, type VirtualNodesDocument } from './virtual-nodes.js';

export interface ServerOptions {
  federation: Federation;
  registry?: Registry;
  logger?: boolean;
  /** Require a bearer token, reviewed and authorized by the host cluster, on every request but the probes. */
  auth?: ServerAuthOptions;
  /** Serve HTTPS with this certificate (PEM chain) and key. */
  tls?: { cert: string; key: string };
  /**
   * The host cluster the virtual nodes register in: /api/v1/virtual-nodes reads them from it.
   * Without it the answer says the virtual nodes are not known (nothing is guessed).
   */
  hostCluster?: KubeClient;
}

export function buildServer(opts: ServerOptions): FastifyInstance {
  const fed = opts.federation;
  // fastify types an HTTPS instance apart from an HTTP one; routes and hooks are the same, and
  // callers only listen, inject and close, so the HTTPS one is handed out under the common type.
  const app = opts.tls
    ? (Fastify({ logger: opts.logger ?? false, bodyLimit: 1 << 20, https: { cert: opts.tls.cert, key: opts.tls.key } }) as unknown as FastifyInstance)
    : Fastify({ logger: opts.logger ?? false, bodyLimit: 1 << 20 });
  if (opts.auth) {
    const auth = new ServerAuth(opts.auth);
    app.addHook('onRequest', async (req, reply) => {
      const path = req.url.split('?')[0] ?? req.url;
      if (auth.isPublic(path)) return;
      const outcome = await auth.check(req.method, path, req.headers.authorization);
      if (!outcome.allowed) return reply.code(outcome.status).type('application/json').send(outcome.body);
    });
  }
  const { model } = federationInternals(fed);
  const registry = federationMetrics(model, opts.registry);

  app.get('/healthz', async () => 'ok');
  app.get('/readyz', async (_req, reply) => {
    const names = model.clusterNames();
    const ready = names.filter((n) => model.isReady(n));
    if (names.length > 0 && ready.length === 0) return reply.code(503).send(`no member cluster is ready (${names.join(', ')})`);
    return `ok: ${ready.length}/${names.length} member clusters ready`;
  });

  app.get<{ Querystring: { nodes?: string; cluster?: string } }>('/api/v1/capacity', async (req, reply) => {
    const { nodes, cluster } = req.query;
    if (cluster !== undefined && !model.cluster(cluster)) return reply.code(404).send({ error: `no member cluster "${cluster}"` });
    return model.document({ nodes: nodes === 'true' || nodes === '1', ...(cluster !== undefined ? { cluster } : {}) });
  });

  app.get('/api/v1/clusters', async () => ({
    clusters: model.clusterNames().map((name) => {
      const c = model.cluster(name)!;
      const e = model.entry(name)!;
      const p = c.policy;
      return {
        name,
        ready: e.ready,
        paused: p.paused,
        weight: p.weight,
        labels: p.labels,
        taints: p.taints,
        headroom: p.headroom,
        ...(p.maxPods !== undefined ? { maxPods: p.maxPods } : {}),
        ...(p.maxCpu !== undefined ? { maxCpu: p.maxCpu } : {}),
        namespaces: p.namespaces,
        health: fed.health(name) ?? null,
        conditions: e.conditions,
      };
    }),
  }));

  app.get('/api/v1/history', async () => ({ intervalMs: fed.historyIntervalMs(), samples: fed.historySamples() }));

  const virtualNodes = opts.hostCluster ? new VirtualNodeReader({ host: opts.hostCluster }) : undefined;
  app.get('/api/v1/virtual-nodes', async (): Promise<VirtualNodesDocument> => (virtualNodes ? virtualNodes.read() : { connected: false, nodes: [] }));

  app.post<{ Body: { pod?: PodObject; key?: string; dryRun?: boolean } }>('/api/v1/placements', async (req, reply) => {
    const body = req.body;
    if (!body || typeof body !== 'object' || !body.pod || typeof body.pod !== 'object') return reply.code(400).send({ error: 'body must be {"pod": <Pod JSON>, "key"?: "ns/name", "dryRun"?: bool}' });
    let result;
    try {
      result = fed.place(body.pod, { ...(typeof body.key === 'string' ? { key: body.key } : {}), dryRun: body.dryRun === true });
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
    return reply.code(result.ok ? 200 : 409).send(result);
  });

  app.delete<{ Params: { cluster: string; namespace: string; name: string } }>('/api/v1/placements/:cluster/:namespace/:name', async (req, reply) => {
    if (!fed.forget(req.params.cluster, `${req.params.namespace}/${req.params.name}`)) return reply.code(404).send({ error: `no member cluster "${req.params.cluster}"` });
    return reply.code(204).send();
  });

  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(PAGE_HTML));
  app.get('/app.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(PAGE_JS));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  return app;
}
