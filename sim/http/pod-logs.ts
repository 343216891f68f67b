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
import type { KubeObject } from '../object.js';
import type { NodeFleet } from '../kubelet.js';
import { kubeletAddress, pickContainer, type KubeletClientCredentials } from './kubelet-endpoint.js';
import { q1, qBool } from './query.js';
import { podStreams } from './pod-stream.js';
import type { Query } from './query.js';
import type { PodSubresources } from './resource-handler.js';

export type { KubeletClientCredentials };

type Obj = Record<string, unknown>;

const LINE_INTERVAL_MS = 1000;
/** Upper bound on how long one `follow` stream stays open. */
const MAX_FOLLOW_MS = 30 * 60 * 1000;

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

export function podSubresources(api: ClusterApi, fleet: NodeFleet, kubeletClient: KubeletClientCredentials): PodSubresources {
  async function proxy(req: FastifyRequest, reply: FastifyReply, pod: KubeObject, container: string, query: Query): Promise<void> {
    const spec = (pod['spec'] ?? {}) as Obj;
    const nodeName = String(spec['nodeName'] ?? '');
    const { host: addr, port } = kubeletAddress(api, nodeName, 'serve logs from');
    // The kubelet gets the options re-encoded, as kube-apiserver's LogLocation does: a true
    // boolean as "true" (whatever spelling the client used), a false one not at all.
    const params = new URLSearchParams();
    for (const k of ['follow', 'previous', 'timestamps']) if (qBool(query, k)) params.set(k, 'true');
    for (const k of ['sinceSeconds', 'sinceTime', 'tailLines', 'limitBytes']) {
      const v = q1(query, k);
      if (v !== undefined) params.set(k, v);
    }
    const path = `/containerLogs/${encodeURIComponent(pod.metadata.namespace ?? '')}/${encodeURIComponent(pod.metadata.name ?? '')}/${encodeURIComponent(container)}?${params}`;
    reply.hijack();
    const res = reply.raw;
    await new Promise<void>((resolve) => {
      // The kubelet's serving certificate is not verified, as kube-apiserver's default
      // (no --kubelet-certificate-authority); only the loopback address the Node names is dialled.
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
    // exec/attach/port-forward: a 400 for pods on simulated nodes, an upgrade proxy to the kubelet otherwise.
    stream: podStreams(api, fleet, kubeletClient),
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
      // A simulated container never restarts: there is no earlier instance to show (the kubelet's answer).
      if (qBool(query, 'previous')) throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
      const timestamps = qBool(query, 'timestamps');
      const follow = qBool(query, 'follow');
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
