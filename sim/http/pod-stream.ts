// pods/exec, pods/attach and pods/portforward. On a pod of a simulated node, exec and
// attach run in the sim's built-in container shell (pod-shell.ts), served here over
// WebSocket or SPDY/3.1 as a kubelet would; port-forward has nothing to forward to and is a
// 400 Status. A pod on any other node (the virtual node) is proxied to the kubelet endpoint in the Node's status, as kube-apiserver's
// upgrade-aware proxy does: the options become the kubelet's query
// (`/exec/{ns}/{pod}/{container}?command=..&input=1&output=1&error=1&tty=1`,
// `/attach/...`, `/portForward/{ns}/{pod}?port=..`), the client's upgrade request
// (WebSocket `v5.channel.k8s.io` or `SPDY/3.1`) is written to the kubelet with its
// Upgrade headers unchanged, and from then on bytes are piped both ways until either
// side closes. The kubelet's answer (101 or an error) reaches the client unchanged.
//
// Simplification: kube-apiserver by default translates a client's WebSocket v5 stream
// into SPDY/3.1 toward the kubelet (API-FACTS.md); the sim passes the client's protocol
// through, so a kubelet behind it must speak whatever the client chose.

import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isUpgradeRequest } from '../../kube/index.js';
import type { ClusterApi } from '../api.js';
import { ApiError, badRequest } from '../errors.js';
import type { NodeFleet } from '../kubelet.js';
import type { KubeObject } from '../object.js';
import { kubeletAddress, pickContainer, type KubeletClientCredentials } from './kubelet-endpoint.js';
import { serveContainerShell } from './pod-shell.js';
import { kubeBool, type Query } from './query.js';

export type StreamSubresource = 'exec' | 'attach' | 'portforward';

/** How long the kubelet may take to accept the TLS connection. */
const DIAL_TIMEOUT_MS = 10_000;

/** Request headers not forwarded: the apiserver consumed the bearer token (it presents its own client certificate), and Host names the kubelet. */
const DROPPED_HEADERS = new Set(['authorization', 'host']);

/**
 * The error kube gives for exec/attach into a container that is not running: kubectl's own
 * check for a finished pod, the kubelet's "container not found" otherwise.
 */
function notRunning(pod: KubeObject, container: string, sub: 'exec' | 'attach', startedAt: number | undefined): ApiError | undefined {
  const phase = String(((pod['status'] ?? {}) as Record<string, unknown>)['phase'] ?? 'Pending');
  if (phase === 'Succeeded' || phase === 'Failed') {
    return badRequest(`cannot ${sub === 'exec' ? 'exec into' : 'attach to'} a container in a completed pod; current phase is ${phase}`);
  }
  const spec = (pod['spec'] ?? {}) as Record<string, unknown>;
  const isRegular = (Array.isArray(spec['containers']) ? (spec['containers'] as Array<Record<string, unknown>>) : []).some((c) => c['name'] === container);
  if (phase !== 'Running' || startedAt === undefined || !isRegular) return badRequest(`container not found ("${container}")`);
  return undefined;
}

/** A boolean option of the streaming request (its first value, as kube reads it): absent is false, else kubeBool. */
function queryBool(params: URLSearchParams, key: string): boolean {
  const v = params.get(key);
  return v !== null && kubeBool(v);
}

/** The kubelet path and query for one streaming request, validated as kube-apiserver does. */
export function kubeletStreamPath(pod: KubeObject, sub: StreamSubresource, params: URLSearchParams): string {
  const ns = encodeURIComponent(pod.metadata.namespace ?? '');
  const name = encodeURIComponent(pod.metadata.name ?? '');
  const out = new URLSearchParams();
  if (sub === 'portforward') {
    for (const p of params.getAll('ports').flatMap((v) => v.split(','))) {
      const n = Number(p.trim());
      if (!/^\d+$/.test(p.trim()) || n < 1 || n > 65535) throw badRequest(`ports: Invalid value: "${p}": must be a port number between 1 and 65535`);
      out.append('port', String(n));
    }
    const q = out.toString();
    return `/portForward/${ns}/${name}${q ? `?${q}` : ''}`;
  }
  const query: Query = {};
  const container = params.get('container');
  if (container !== null) query['container'] = container;
  const c = encodeURIComponent(pickContainer(pod, query));
  if (sub === 'exec') {
    const command = params.getAll('command');
    if (command.length === 0) throw badRequest('command: Required value: you must specify at least one command for the container');
    for (const part of command) out.append('command', part);
  }
  if (queryBool(params, 'stdin')) out.set('input', '1');
  if (queryBool(params, 'stdout')) out.set('output', '1');
  if (queryBool(params, 'stderr')) out.set('error', '1');
  if (queryBool(params, 'tty')) out.set('tty', '1');
  const q = out.toString();
  return `/${sub}/${ns}/${name}/${c}${q ? `?${q}` : ''}`;
}

/** An HTTP error written straight to a taken-over socket, which then closes. */
function writeStatus(socket: Socket, e: ApiError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(e.toStatus());
  socket.end(
    `HTTP/1.1 ${e.code} ${e.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function podStreams(api: ClusterApi, fleet: NodeFleet, kubeletClient: KubeletClientCredentials) {
  return async function stream(req: FastifyRequest, reply: FastifyReply, pod: KubeObject, sub: string): Promise<void> {
    if (sub !== 'exec' && sub !== 'attach' && sub !== 'portforward') throw badRequest(`unknown streaming subresource ${sub}`);
    const nodeName = String(((pod['spec'] ?? {}) as Record<string, unknown>)['nodeName'] ?? '');
    const podName = pod.metadata.name ?? '';
    const q = req.url.indexOf('?');
    const params = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
    // Container validation comes before the host check, as in kube's streamLocation.
    const path = kubeletStreamPath(pod, sub, params);
    if (!nodeName) throw badRequest(`pod ${podName} does not have a host assigned`);
    if (fleet.isSimulated(nodeName)) {
      if (sub === 'portforward') throw badRequest(`pod ${podName} runs on simulated node ${nodeName}, whose containers listen on no ports: portforward is not available`);
      const container = pickContainer(pod, params.has('container') ? { container: params.get('container')! } : {});
      const refused = notRunning(pod, container, sub, fleet.podStartedAt(pod.metadata.namespace ?? '', podName));
      if (refused) throw refused;
      if (!isUpgradeRequest(req)) throw badRequest('Upgrade request required');
      const streams = { stdin: queryBool(params, 'stdin'), stdout: queryBool(params, 'stdout'), stderr: queryBool(params, 'stderr'), tty: queryBool(params, 'tty') };
      if (!streams.stdin && !streams.stdout && !streams.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
      // From here the socket is the session's (server.ts hands upgrade requests over detached from the HTTP parser).
      reply.hijack();
      await serveContainerShell(api, fleet, req, pod, { sub, container, command: params.getAll('command'), ...streams });
      return;
    }
    const { host, port } = kubeletAddress(api, nodeName, `stream ${sub} from`);
    if (!isUpgradeRequest(req)) throw badRequest('Upgrade request required');

    // Only an upgrade request gets here, and server.ts hands those to fastify with the
    // socket already detached from Node's HTTP parser: the socket is ours to pipe.
    reply.hijack();
    const client = req.raw.socket;
    client.setTimeout(0);
    const rawHeaders = req.raw.rawHeaders;
    let head = `${req.method} ${path} HTTP/1.1\r\nHost: ${host.includes(':') ? `[${host}]` : host}:${port}\r\n`;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      if (!DROPPED_HEADERS.has(rawHeaders[i]!.toLowerCase())) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
    }
    head += '\r\n';

    await new Promise<void>((resolve) => {
      // Like kube-apiserver without --kubelet-certificate-authority (its default), the sim
      // does not verify the kubelet's serving certificate: a virtual kubelet serves a
      // self-signed one. It only dials the loopback address the Node names (kubeletAddress).
      const upstream = tlsConnect({ host, port, key: kubeletClient.key, cert: kubeletClient.cert, rejectUnauthorized: false, timeout: DIAL_TIMEOUT_MS });
      let connected = false;
      const done = (): void => {
        client.destroy();
        upstream.destroy();
        resolve();
      };
      upstream.once('timeout', () => {
        if (!connected) upstream.destroy(new Error(`no TLS connection within ${DIAL_TIMEOUT_MS} ms`));
      });
      upstream.once('secureConnect', () => {
        connected = true;
        upstream.setTimeout(0);
        upstream.write(head);
        // The kubelet's response, 101 or not, and every frame after it go through unchanged;
        // `pipe` passes a half-close on, and a full close of either side ends both.
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', (e) => {
        if (!connected) writeStatus(client, new ApiError(502, 'InternalError', `error trying to reach the kubelet of node ${nodeName}: ${e.message}`));
        else client.destroy();
        resolve();
      });
      upstream.on('close', () => {
        if (connected) {
          // Let the piped bytes drain to the client, then end its side.
          client.end();
          resolve();
        }
      });
      client.on('error', done);
      client.on('close', done);
    });
  };
}
