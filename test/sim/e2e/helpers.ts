// Shared helpers for the sim's end-to-end tests: a sim in a temp dir, bounded polling,
// and raw HTTPS requests that present the cluster's token and trust its CA.

import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import YAML from 'yaml';
import { startSim, type Sim, type SimOptions } from '../../../sim/index.js';

export interface TestSim {
  sim: Sim;
  dir: string;
  stop(): Promise<void>;
}

/** Starts a sim writing into a fresh temp dir; `stop` stops it and removes the dir. */
export async function startTestSim(opts: Partial<SimOptions> = {}): Promise<TestSim> {
  const dir = mkdtempSync(join(tmpdir(), 'tidepool-sim-e2e-'));
  const sim = await startSim({ clusters: ['host'], nodes: 2, dir, ...opts });
  return {
    sim,
    dir,
    async stop() {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { waitFor } from '../../helpers/wait.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ClusterAccess {
  server: string;
  ca: string;
  token: string;
}

/** The server, CA and token of one context of a sim kubeconfig. */
export function accessFor(kubeconfig: string, context: string): ClusterAccess {
  const doc = YAML.parse(kubeconfig) as {
    clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ name: string; user: { token: string } }>;
    contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
  };
  const ctx = doc.contexts.find((c) => c.name === context);
  if (!ctx) throw new Error(`no context ${context}`);
  const cluster = doc.clusters.find((c) => c.name === ctx.context.cluster)!;
  const user = doc.users.find((u) => u.name === ctx.context.user)!;
  return { server: cluster.cluster.server, ca: Buffer.from(cluster.cluster['certificate-authority-data'], 'base64').toString(), token: user.user.token };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

/** Reads a whole response: status, headers, body text and, when the body is JSON, its value. */
export function readResponse(res: IncomingMessage): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
    });
    res.on('error', reject);
  });
}

/**
 * Registers a Node the way a virtual kubelet does (the Node, then its status) with its
 * kubelet endpoint at 127.0.0.1:`port`, so the sim proxies pods/log, exec and friends there.
 */
export async function registerKubeletNode(core: CoreV1Api, name: string, port: number): Promise<void> {
  await core.createNode({ body: { metadata: { name } } });
  await core.replaceNodeStatus({
    name,
    body: {
      metadata: { name },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    },
  });
}

/** One HTTPS request to a sim API server; never rejects on an HTTP error status. */
export function raw(
  access: ClusterAccess,
  method: string,
  path: string,
  opts: { body?: string | Buffer; contentType?: string; token?: string | null; accept?: string; timeoutMs?: number; freshConnection?: boolean } = {},
): Promise<RawResponse> {
  const url = new URL(path, access.server);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    const token = opts.token === undefined ? access.token : opts.token;
    if (token !== null) headers['Authorization'] = `Bearer ${token}`;
    if (opts.body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(opts.body);
    }
    if (opts.accept) headers['Accept'] = opts.accept;
    // freshConnection: no pooled keep-alive socket (a socket cut by an outage would show ECONNRESET, not a refusal).
    const req = request(url, { method, headers, ca: access.ca, timeout: opts.timeoutMs ?? 10_000, ...(opts.freshConnection ? { agent: false } : {}) }, (res) => {
      readResponse(res).then(resolve, reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Asserts the shape of a Kubernetes Status failure and returns it. */
export function expectStatus(r: RawResponse, code: number, reason: string): Record<string, unknown> {
  const s = r.json;
  if (!s || s['kind'] !== 'Status' || s['apiVersion'] !== 'v1' || s['status'] !== 'Failure' || s['code'] !== code || s['reason'] !== reason || r.status !== code) {
    throw new Error(`expected a Status ${code} ${reason}, got HTTP ${r.status}: ${r.body.slice(0, 500)}`);
  }
  if (typeof s['message'] !== 'string' || s['message'] === '') throw new Error(`Status without a message: ${r.body}`);
  return s;
}

export function podManifest(name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string>; spec?: Record<string, unknown>; namespace?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      ...(extra.namespace ? { namespace: extra.namespace } : {}),
      ...(extra.labels ? { labels: extra.labels } : {}),
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      schedulerName: 'default-scheduler',
      containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
      ...extra.spec,
    },
  };
}
