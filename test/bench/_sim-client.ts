// The load generator of `bench sim`, run in a worker thread so the client's own CPU
// (TLS, HTTP parsing, JSON) is not taken from the server's event loop: the sim gets the
// main thread, as it would against clients in other processes. A tiny RPC over
// parentPort: each request {id, cmd, args} gets {id, result} or {id, error}.
// (The leading underscore keeps test/bench/run.ts from taking it for a suite.)

import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

export { percentile } from './_stats.js'; // bench sim imports it from here

export interface ClientInit {
  server: string;
  token: string;
  ca: string;
  concurrency: number;
}

export interface WriteArgs {
  /** Pods [from, to) of the run. */
  from: number;
  to: number;
  namespaces: number;
  nodePrefix: string;
  nodes: number;
}

export interface WriteFigures {
  writes: number;
  seconds: number;
  /** Per-request latencies (ms), unsorted. */
  latencies: Float64Array;
}

export interface ListFigures {
  seconds: number;
  pages: number;
  items: number;
}

export interface WatchOpenArgs {
  watchers: number;
  fromRv: string;
  expected: number;
}

/** Absolute time in ms, comparable across threads (each thread has its own timeOrigin). */
export const absNow = (): number => performance.timeOrigin + performance.now();

interface Response {
  status: number;
  body: string;
}

/** A keep-alive HTTPS client with at most `concurrency` sockets, as client-node would use. */
class Client {
  readonly agent: https.Agent;
  private readonly base: URL;
  constructor(private readonly init: ClientInit) {
    this.base = new URL(init.server);
    this.agent = new https.Agent({ keepAlive: true, maxSockets: init.concurrency, ca: init.ca });
  }

  request(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Response> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `Bearer ${this.init.token}`, accept: 'application/json' };
      if (body !== undefined) {
        headers['content-type'] = contentType;
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = https.request({ host: this.base.hostname, port: this.base.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async ok(method: string, path: string, body?: string, contentType?: string): Promise<string> {
    const res = await this.request(method, path, body, contentType);
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    return res.body;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `fn(i)` for i in [0, total) with `concurrency` in flight. */
async function runConcurrent(total: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}

/** Runs `fn` back to back with `concurrency` in flight for `seconds`; returns completions/s. */
async function runFor(seconds: number, concurrency: number, fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      await fn();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - t0) / 1000);
}

export function podBody(name: string, node: string, i: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { app: `app-${i % 50}`, 'tidepool.dev/qos': i % 3 === 0 ? 'offline' : 'online', tier: 'bench' },
      annotations: { 'sim.tidepool.dev/cpu-usage': '60%' },
    },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'main',
          image: 'registry.example/app:1.0',
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          env: [{ name: 'MODE', value: 'bench' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
        },
      ],
      terminationGracePeriodSeconds: 30,
    },
  });
}

/** What a kubelet sends when the pod's containers start (a strategic merge patch of pods/status). */
export function statusPatch(podIP: string, hostIP: string, now: string): string {
  const cond = (type: string): Record<string, unknown> => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
  return JSON.stringify({
    status: {
      phase: 'Running',
      hostIP,
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: now,
      conditions: [cond('Initialized'), cond('Ready'), cond('ContainersReady'), cond('PodScheduled')],
      containerStatuses: [
        {
          name: 'main',
          state: { running: { startedAt: now } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: 'registry.example/app:1.0',
          imageID: 'sim://registry.example/app:1.0',
          containerID: `sim://${podIP}`,
          started: true,
        },
      ],
    },
  });
}

async function writePods(client: Client, concurrency: number, a: WriteArgs): Promise<WriteFigures> {
  const n = a.to - a.from;
  const latencies = new Float64Array(n * 2);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const t0 = performance.now();
  await runConcurrent(n, concurrency, async (j) => {
    const i = a.from + j;
    const ns = `bench-${i % a.namespaces}`;
    const name = `pod-${i}`;
    const nodeIndex = i % a.nodes;
    const t1 = performance.now();
    await client.ok('POST', `/api/v1/namespaces/${ns}/pods`, podBody(name, `${a.nodePrefix}${nodeIndex}`, i));
    const t2 = performance.now();
    const podIP = `10.${64 + (nodeIndex >> 8)}.${nodeIndex & 0xff}.${2 + (Math.floor(i / a.nodes) % 250)}`;
    await client.ok('PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, statusPatch(podIP, '127.0.0.1', now), 'application/strategic-merge-patch+json');
    latencies[2 * j] = t2 - t1;
    latencies[2 * j + 1] = performance.now() - t2;
  });
  const seconds = (performance.now() - t0) / 1000;
  return { writes: n * 2, seconds, latencies };
}

async function paginatedList(client: Client, limit: number): Promise<ListFigures> {
  const t0 = performance.now();
  let pages = 0;
  let items = 0;
  let cont = '';
  do {
    const body = await client.ok('GET', `/api/v1/pods?limit=${limit}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    // A client decodes every page (client-node does); that is part of what a LIST costs.
    const list = JSON.parse(body) as { items: unknown[]; metadata: { continue?: string } };
    pages++;
    items += list.items.length;
    cont = list.metadata.continue ?? '';
  } while (cont);
  return { seconds: (performance.now() - t0) / 1000, pages, items };
}

/** W watch streams on all pods; records (resourceVersion, arrival time) of every MODIFIED event. */
class Watchers {
  private readonly agent: https.Agent;
  private readonly requests: Array<ReturnType<typeof https.get>> = [];
  private arrivals: Float64Array;
  private delivered = 0;
  private done: Promise<void>;
  private finish!: () => void;
  private fail!: (e: Error) => void;

  constructor(
    private readonly init: ClientInit,
    private readonly a: WatchOpenArgs,
  ) {
    this.agent = new https.Agent({ keepAlive: false, maxSockets: a.watchers + 1, ca: init.ca });
    this.arrivals = new Float64Array(a.expected * 2);
    this.done = new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    this.done.catch(() => undefined);
  }

  open(): Promise<void> {
    const base = new URL(this.init.server);
    let ready = 0;
    return new Promise<void>((resolve, reject) => {
      for (let w = 0; w < this.a.watchers; w++) {
        const req = https.get(
          {
            host: base.hostname,
            port: base.port,
            path: `/api/v1/pods?watch=true&resourceVersion=${this.a.fromRv}`,
            headers: { authorization: `Bearer ${this.init.token}`, accept: 'application/json' },
            agent: this.agent,
          },
          (res) => {
            if (res.statusCode !== 200) return reject(new Error(`watch: HTTP ${res.statusCode}`));
            if (++ready === this.a.watchers) resolve();
            let buf = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buf += chunk;
              let start = 0;
              let nl: number;
              while ((nl = buf.indexOf('\n', start)) >= 0) {
                this.onLine(buf.slice(start, nl));
                start = nl + 1;
              }
              buf = buf.slice(start);
            });
            res.on('error', (e) => this.fail(e));
          },
        );
        req.on('error', reject);
        this.requests.push(req);
      }
    });
  }

  private onLine(line: string): void {
    // Decode like a client would; a malformed line fails the run.
    const ev = JSON.parse(line) as { type: string; object: { metadata: { resourceVersion: string } } };
    if (ev.type !== 'MODIFIED') return;
    const i = this.delivered++;
    if (i >= this.a.expected) return;
    this.arrivals[2 * i] = Number(ev.object.metadata.resourceVersion);
    this.arrivals[2 * i + 1] = absNow();
    // Progress lets the producer stay a bounded distance ahead of the slowest reader.
    if (this.delivered % 500 === 0) parentPort?.postMessage({ progress: this.delivered });
    if (this.delivered === this.a.expected) this.finish();
  }

  async wait(timeoutMs: number): Promise<Float64Array> {
    const timer = setTimeout(() => this.fail(new Error(`watch: only ${this.delivered}/${this.a.expected} events delivered after ${timeoutMs} ms`)), timeoutMs);
    try {
      await this.done;
    } finally {
      clearTimeout(timer);
      for (const r of this.requests) r.destroy();
      this.agent.destroy();
    }
    return this.arrivals;
  }
}

// ------------------------------------------------------------------ RPC

function serve(init: ClientInit): void {
  const client = new Client(init);
  let watchers: Watchers | undefined;
  type Handler = (args: never) => Promise<unknown>;
  const handlers: Record<string, Handler> = {
    rate: async (a: { seconds: number; path: string }) =>
      runFor(a.seconds, init.concurrency, async () => {
        await client.ok('GET', a.path);
      }),
    writePods: async (a: WriteArgs) => writePods(client, init.concurrency, a),
    list: async (a: { limit: number }) => paginatedList(client, a.limit),
    watchOpen: async (a: WatchOpenArgs) => {
      watchers = new Watchers(init, a);
      await watchers.open();
      return true;
    },
    watchWait: async (a: { timeoutMs: number }) => {
      if (!watchers) throw new Error('watchWait before watchOpen');
      return watchers.wait(a.timeoutMs);
    },
    close: async () => {
      client.close();
      return true;
    },
  };
  parentPort!.on('message', (msg: { id: number; cmd: string; args: unknown }) => {
    const h = handlers[msg.cmd];
    const run = h ? h(msg.args as never) : Promise.reject(new Error(`unknown command ${msg.cmd}`));
    run.then(
      (result) => parentPort!.postMessage({ id: msg.id, result }),
      (e: Error) => parentPort!.postMessage({ id: msg.id, error: e.stack ?? e.message }),
    );
  });
}

// Imported by sim.ts on the main thread for its helpers; serves only inside the worker.
if (!isMainThread) serve(workerData as ClientInit);
