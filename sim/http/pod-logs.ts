// pods/log. For a pod on a simulated node the sim writes synthetic log lines (one per
// second since the container started; tailLines, timestamps, follow, limitBytes,
// sinceSeconds). For a pod on any other node (the virtual node) it proxies to the
// kubelet endpoint in the Node's status, as kube-apiserver does: HTTPS to
// `status.addresses` on `daemonEndpoints.kubeletEndpoint.Port`, presenting the
// apiserver's kubelet-client certificate.

import { request as httpsRequest } from 'node:https';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ClusterApi } from '../api.js';
import { ApiError, badRequest } from '../errors.js';
import { isRecord, type KubeObject } from '../object.js';
import type { NodeFleet } from '../kubelet.js';
import type { PodSubresources, Query } from './resource-handler.js';

type Obj = Record<string, unknown>;

const LINE_INTERVAL_MS = 1000;
/** Upper bound on how long one `follow` stream stays open. */
const MAX_FOLLOW_MS = 30 * 60 * 1000;

function q1(query: Query, key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function nonNegInt(query: Query, key: string): number | undefined {
  const v = q1(query, key);
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`${key}: Invalid value: "${v}": must be a non-negative integer`);
  return Number(v);
}

export function syntheticLine(namespace: string, pod: string, container: string, n: number, atMs: number, timestamps: boolean): string {
  const body = `${container} ${namespace}/${pod} line ${n}: handled request ok`;
  return timestamps ? `${new Date(atMs).toISOString()} ${body}\n` : `${body}\n`;
}

export interface KubeletClientCredentials {
  key: string;
  cert: string;
}

export function podSubresources(api: ClusterApi, fleet: NodeFleet, kubeletClient: KubeletClientCredentials): PodSubresources {
  const nodesRt = api.registry.lookup('', 'v1', 'nodes')!;

  function pickContainer(pod: KubeObject, query: Query): string {
    const spec = (isRecord(pod['spec']) ? pod['spec'] : {}) as Obj;
    const containers = ((Array.isArray(spec['containers']) ? spec['containers'] : []) as Obj[]).map((c) => String(c['name']));
    const inits = ((Array.isArray(spec['initContainers']) ? spec['initContainers'] : []) as Obj[]).map((c) => String(c['name']));
    const wanted = q1(query, 'container');
    const podName = pod.metadata.name ?? '';
    if (wanted) {
      if (!containers.includes(wanted) && !inits.includes(wanted)) {
        throw badRequest(`container ${wanted} is not valid for pod ${podName}`);
      }
      return wanted;
    }
    if (containers.length === 1) return containers[0]!;
    throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`);
  }

  async function proxy(req: FastifyRequest, reply: FastifyReply, pod: KubeObject, container: string, query: Query): Promise<void> {
    const spec = (pod['spec'] ?? {}) as Obj;
    const nodeName = String(spec['nodeName'] ?? '');
    const node = api.tryGet(nodesRt, '', nodeName);
    if (!node) throw new ApiError(404, 'NotFound', `nodes "${nodeName}" not found`);
    const n = api.parse(node);
    const status = (isRecord(n['status']) ? n['status'] : {}) as Obj;
    const port = Number(((status['daemonEndpoints'] as Obj | undefined)?.['kubeletEndpoint'] as Obj | undefined)?.['Port'] ?? 0);
    const addrs = (Array.isArray(status['addresses']) ? status['addresses'] : []) as Obj[];
    const addr = (addrs.find((a) => a['type'] === 'InternalIP') ?? addrs[0])?.['address'];
    if (!port || typeof addr !== 'string') {
      throw new ApiError(400, 'BadRequest', `node ${nodeName} has no kubelet endpoint to serve logs from`);
    }
    // The sim only ever dials loopback: it is a test fixture, not a network client.
    if (!addr.startsWith('127.') && addr !== 'localhost' && addr !== '::1') {
      throw new ApiError(502, 'ServiceUnavailable', `refusing to proxy to non-loopback kubelet address ${addr}`);
    }
    const params = new URLSearchParams();
    for (const k of ['follow', 'previous', 'sinceSeconds', 'sinceTime', 'timestamps', 'tailLines', 'limitBytes']) {
      const v = q1(query, k);
      if (v !== undefined) params.set(k, v);
    }
    const path = `/containerLogs/${encodeURIComponent(pod.metadata.namespace ?? '')}/${encodeURIComponent(pod.metadata.name ?? '')}/${encodeURIComponent(container)}?${params}`;
    reply.hijack();
    const res = reply.raw;
    await new Promise<void>((resolve) => {
      const upstream = httpsRequest(
        { host: addr, port, path, method: 'GET', key: kubeletClient.key, cert: kubeletClient.cert, rejectUnauthorized: false },
        (up) => {
          res.writeHead(up.statusCode ?? 502, { 'Content-Type': up.headers['content-type'] ?? 'text/plain' });
          up.pipe(res);
          up.on('end', resolve);
          up.on('error', () => {
            res.end();
            resolve();
          });
        },
      );
      req.raw.on('close', () => upstream.destroy());
      upstream.on('error', (e) => {
        if (!res.headersSent) {
          const err = new ApiError(502, 'InternalError', `error trying to reach the kubelet of node ${nodeName}: ${e.message}`);
          res.writeHead(502, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(err.toStatus()));
        } else res.end();
        resolve();
      });
      upstream.end();
    });
  }

  return {
    // exec/attach/port-forward: simulated kubelets run no containers, and proxying the
    // streaming upgrade to a real kubelet is not implemented; say so instead of a bare 405.
    async stream(_req, _reply, pod, sub) {
      const nodeName = String(((pod['spec'] ?? {}) as Obj)['nodeName'] ?? '');
      const podName = pod.metadata.name ?? '';
      if (!nodeName) throw badRequest(`pod ${podName} does not have a host assigned`);
      if (fleet.isSimulated(nodeName)) {
        throw badRequest(`pod ${podName} runs on simulated node ${nodeName}, whose kubelet runs no containers: ${sub} is not available`);
      }
      throw new ApiError(501, 'NotImplemented', `the simulated apiserver does not proxy ${sub} to the kubelet of node ${nodeName}`);
    },
    async log(req, reply, pod, query) {
      const container = pickContainer(pod, query);
      const spec = (pod['spec'] ?? {}) as Obj;
      const nodeName = String(spec['nodeName'] ?? '');
      const podName = pod.metadata.name ?? '';
      const ns = pod.metadata.namespace ?? '';
      if (!nodeName) throw badRequest(`pod ${podName} does not have a host assigned`);
      if (!fleet.isSimulated(nodeName)) return proxy(req, reply, pod, container, query);
      const startedAt = fleet.podStartedAt(ns, podName);
      if (startedAt === undefined) {
        throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ContainerCreating`);
      }
      const tail = nonNegInt(query, 'tailLines');
      const limitBytes = nonNegInt(query, 'limitBytes');
      const sinceSeconds = nonNegInt(query, 'sinceSeconds');
      const timestamps = q1(query, 'timestamps') === 'true';
      const follow = q1(query, 'follow') === 'true';
      const now = api.clock.now();
      let from = startedAt;
      if (sinceSeconds !== undefined) from = Math.max(from, now - sinceSeconds * 1000);
      const sinceTime = q1(query, 'sinceTime');
      if (sinceTime) {
        const t = Date.parse(sinceTime);
        if (Number.isNaN(t)) throw badRequest(`sinceTime: Invalid value: "${sinceTime}": must be RFC3339`);
        from = Math.max(from, t);
      }
      const total = Math.floor((now - startedAt) / LINE_INTERVAL_MS) + 1;
      let first = Math.max(0, Math.ceil((from - startedAt) / LINE_INTERVAL_MS));
      if (tail !== undefined) first = Math.max(first, total - tail);
      let text = '';
      for (let i = first; i < total; i++) text += syntheticLine(ns, podName, container, i, startedAt + i * LINE_INTERVAL_MS, timestamps);
      let budget = limitBytes ?? Infinity;
      if (!follow) {
        const body = limitBytes !== undefined ? Buffer.from(text).subarray(0, limitBytes) : text;
        reply.code(200).type('text/plain').send(body);
        return;
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      const write = (s: string): boolean => {
        const b = Buffer.from(s);
        if (b.length >= budget) {
          res.end(b.subarray(0, budget));
          return false;
        }
        budget -= b.length;
        res.write(b);
        return true;
      };
      if (!write(text)) return;
      let next = total;
      const deadline = now + MAX_FOLLOW_MS;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const running = fleet.podStartedAt(ns, podName) === startedAt && api.tryGet(api.registry.lookup('', 'v1', 'pods')!, ns, podName);
          if (!running || api.clock.now() > deadline) {
            clearInterval(timer);
            res.end();
            resolve();
            return;
          }
          if (!write(syntheticLine(ns, podName, container, next, startedAt + next * LINE_INTERVAL_MS, timestamps))) {
            clearInterval(timer);
            resolve();
            return;
          }
          next++;
        }, LINE_INTERVAL_MS);
        req.raw.on('close', () => {
          clearInterval(timer);
          resolve();
        });
      });
    },
  };
}
