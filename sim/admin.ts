// The sim's admin endpoint (plain HTTP on loopback, bearer token): fault injection and
// node/scheduler switches for tests and demos, per cluster.
//   GET  /clusters                              state and fault settings of every cluster
//   PATCH /clusters/:name/faults                {latencyMs, errorRate, errorCode, retryAfterSeconds}
//   DELETE /clusters/:name/faults               clear faults
//   POST /clusters/:name/outage                 {"down": true|false} (alias {"on": ...})
//   POST /clusters/:name/drop-watches
//   POST /clusters/:name/compact
//   POST /clusters/:name/nodes/:node/ready      {"ready": true|false}
//   POST /clusters/:name/scheduler              {"enabled": true|false}
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply } from 'fastify';
import type { SimCluster } from './cluster.js';
import { FaultError } from './faults.js';
import { isRecord } from './object.js';

export interface AdminServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

export async function startAdminServer(clusters: Map<string, SimCluster>, host: string): Promise<AdminServer> {
  const token = randomBytes(24).toString('base64url');
  const expected = Buffer.from(`Bearer ${token}`);
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  app.addHook('onRequest', async (req, reply) => {
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      await reply.code(401).send({ error: 'missing or wrong bearer token' });
    }
  });
  const fail = (reply: FastifyReply, code: number, error: string): FastifyReply => reply.code(code).send({ error });
  const clusterOf = (name: string): SimCluster | undefined => clusters.get(name);
  const body = (b: unknown): Record<string, unknown> => (isRecord(b) ? b : {});

  app.get('/clusters', async () => ({
    clusters: [...clusters.values()].map((c) => ({
      name: c.name,
      url: c.url,
      down: !c.listening,
      faults: c.faults(),
      scheduler: c.scheduler.isEnabled(),
      nodes: c.fleet.nodeNames().length,
      watches: c.watches.size,
    })),
  }));
  app.patch<{ Params: { name: string } }>('/clusters/:name/faults', async (req, reply) => {
    const c = clusterOf(req.params.name);
    if (!c) return fail(reply, 404, `no cluster ${req.params.name}`);
    try {
      return { faults: c.setFaults(body(req.body)) };
    } catch (e) {
      if (e instanceof FaultError) return fail(reply, 400, e.message);
      throw e;
    }
  });
  app.delete<{ Params: { name: string } }>('/clusters/:name/faults', async (req, reply) => {
    const c = clusterOf(req.params.name);
    if (!c) return fail(reply, 404, `no cluster ${req.params.name}`);
    c.clearFaults();
    return { faults: c.faults() };
  });
  app.post<{ Params: { name: string } }>('/clusters/:name/outage', async (req, reply) => {
    const c = clusterOf(req.params.name);
    if (!c) return fail(reply, 404, `no cluster ${req.params.name}`);
    // {"on": true} (as the usage notes spell it) is accepted as well as {"down": true}.
    const b = body(req.body);
    const down = b['down'] ?? b['on'];
    if (typeof down !== 'boolean') return fail(reply, 400, 'body must be {"down": true|false} (or {"on": true|false})');
    await c.outage(down);
    return { down };
  });
  app.post<{ Params: { name: string } }>('/clusters/:name/drop-watches', async (req, reply) => {
    const c = clusterOf(req.params.name);
    if (!c) return fail(reply, 404, `no cluster ${req.params.name}`);
    return { dropped: c.dropWatches() };
  });
  app.post<{ Params: { name: string } }>('/clusters/:name/compact', async (req, reply) => {
    const c = clusterOf(req.params.name);
    if (!c) return fail(reply, 404, `no cluster ${req.params.name}`);
    c.compact();
    return { compactedAt: c.store.currentRv() };
  });
  app.post<{ Params: { name: string; node: string } }>('/clusters/:name/nodes/:node/ready', async (req, reply) => {
    const c = clusterOf(req.params.name);
    if (!c) return fail(reply, 404, `no cluster ${req.params.name}`);
    const ready = body(req.body)['ready'];
    if (typeof ready !== 'boolean') return fail(reply, 400, 'body must be {"ready": true|false}');
    if (!c.fleet.isSimulated(req.params.node)) return fail(reply, 404, `no simulated node ${req.params.node}`);
    c.fleet.setReady(req.params.node, ready);
    return { ready };
  });
  app.post<{ Params: { name: string } }>('/clusters/:name/scheduler', async (req, reply) => {
    const c = clusterOf(req.params.name);
    if (!c) return fail(reply, 404, `no cluster ${req.params.name}`);
    const enabled = body(req.body)['enabled'];
    if (typeof enabled !== 'boolean') return fail(reply, 400, 'body must be {"enabled": true|false}');
    c.scheduler.setEnabled(enabled);
    return { enabled };
  });
  await app.listen({ host, port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { url: `http://${host}:${port}`, token, close: () => app.close() };
}
