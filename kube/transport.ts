/**
 * The HTTP layer under a KubeClient: one keep-alive connection pool per cluster, TLS and
 * credentials from client-node's KubeConfig, and nothing else (no limiter, no retries — those
 * are the client's).
 *
 * client-node builds a fresh https.Agent (and re-reads CA and token files) for every request;
 * at informer rates that means a TLS handshake per page and per watch. Here the TLS material is
 * read once into one pooled agent, and auth headers (which may come from exec plugins, OIDC or
 * a rotating token file) are asked of the KubeConfig at most every few seconds, and again at
 * once after a 401.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { Pool } from 'undici';

/** A whole answer: status, headers and body read. */
export interface BufferedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  method: string;
  /** Path and query on the transport's server, e.g. /api/v1/namespaces/a/pods?limit=500. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Cuts the request when cut (the cheap alternative to an AbortSignal per request). */
  cut?: RequestCut;
}

/**
 * A handle that cuts one request, before it is sent or while it is on the wire. A KubeClient
 * makes one per request for its deadline and its caller's signal; an AbortController per
 * request (its signal, and node's listener on it) was a visible share of each request's CPU at
 * thousands of requests a second.
 */
export class RequestCut {
  private req: http.ClientRequest | undefined;
  private why: Error | undefined;
  private listener: (() => void) | undefined;

  /** Destroys the request with `reason` (the one being sent, or the next one attached). */
  cut(reason: Error): void {
    if (this.why) return;
    this.why = reason;
    this.req?.destroy(reason);
    this.listener?.();
  }

  get reason(): Error | undefined {
    return this.why;
  }

  // The signal surface undici takes (an EventEmitter's 'abort'): one listener, the request's own.
  get aborted(): boolean {
    return this.why !== undefined;
  }

  on(_event: 'abort', listener: () => void): this {
    this.listener = listener;
    return this;
  }

  addListener(event: 'abort', listener: () => void): this {
    return this.on(event, listener);
  }

  removeListener(_event: 'abort', listener: () => void): this {
    if (this.listener === listener) this.listener = undefined;
    return this;
  }

  /** send() hands over its request. */
  attach(req: http.ClientRequest): void {
    this.req = req;
    if (this.why) req.destroy(this.why);
  }
}

/** How long auth headers are reused before the KubeConfig is asked again. */
const AUTH_TTL_MS = 5_000;

export class HttpTransport {
  private agent: http.Agent | undefined;
  private agentPromise: Promise<http.Agent> | undefined;
  /** undici's pool for requests read whole (null: a proxy is configured, node:http carries them too). */
  private pool: Pool | null | undefined;
  private poolPromise: Promise<Pool | null> | undefined;
  private auth: { headers: Record<string, string>; at: number } | undefined;
  private authPromise: Promise<Record<string, string>> | undefined;

  /**
   * The server's host and port as node:http takes them (an IPv6 literal without its brackets),
   * and the URL's user info as its Basic auth, as node:http reads a URL.
   */
  private readonly origin: { protocol: string; hostname: string; port: string; auth?: string };

  constructor(
    private readonly kc: KubeConfig,
    readonly server: URL,
  ) {
    const host = server.hostname;
    this.origin = {
      protocol: server.protocol,
      hostname: host.startsWith('[') ? host.slice(1, -1) : host,
      port: server.port,
      ...(server.username ? { auth: `${decodeURIComponent(server.username)}:${decodeURIComponent(server.password)}` } : {}),
    };
  }

  /** Headers that authenticate a request (Authorization, impersonation), cached briefly. */
  async authHeaders(): Promise<Record<string, string>> {
    const fresh = this.freshAuth();
    if (fresh) return fresh;
    this.authPromise ??= (async () => {
      try {
        const opts: https.RequestOptions = { headers: {} };
        await this.kc.applyToHTTPSOptions(opts);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(opts.headers ?? {})) {
          if (v !== undefined) headers[k] = String(v).trim();
        }
        // Basic auth from a kubeconfig username/password lands in opts.auth.
        if (opts.auth) headers['Authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
        this.auth = { headers, at: Date.now() };
        return headers;
      } finally {
        this.authPromise = undefined;
      }
    })();
    return this.authPromise;
  }

  /** The cached auth headers while they are fresh. */
  private freshAuth(): Record<string, string> | undefined {
    return this.auth && Date.now() - this.auth.at < AUTH_TTL_MS ? this.auth.headers : undefined;
  }

  /** Forget cached credentials (after a 401: the token may have rotated). */
  invalidateAuth(): void {
    this.auth = undefined;
  }

  /** Sends one request; resolves with the response as soon as its headers arrive. */
  send(opts: SendOptions): Promise<IncomingMessage> {
    // With the pool built and the credentials fresh (nearly always), no await before sending.
    const auth = this.freshAuth();
    if (this.agent && auth) return this.sendWith(this.agent, auth, opts);
    return Promise.all([this.getAgent(), this.authHeaders()]).then(([agent, headers]) => this.sendWith(agent, headers, opts));
  }

  private sendWith(agent: http.Agent, auth: Record<string, string>, opts: SendOptions): Promise<IncomingMessage> {
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
    const headers: Record<string, string> = { ...auth, ...opts.headers };
    if (body) headers['Content-Length'] = String(body.length);
    const mod = this.server.protocol === 'http:' ? http : https;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = mod.request({ ...this.origin, path: opts.path, method: opts.method, headers, agent }, resolve);
      req.on('error', reject);
      opts.cut?.attach(req);
      req.end(body);
    });
  }

  /**
   * Sends one request and reads the whole answer through undici, which costs about half the CPU
   * of node:http per request (the scheduler's bindings, the controllers' writes: thousands a
   * second). A cluster reached through a proxy is asked through node:http (send()) instead.
   */
  sendBuffered(opts: SendOptions): Promise<BufferedResponse> {
    const auth = this.freshAuth();
    if (this.pool && auth) return this.sendWithPool(this.pool, auth, opts);
    return Promise.all([this.getPool(), this.authHeaders()]).then(([pool, headers]) => {
      if (pool) return this.sendWithPool(pool, headers, opts);
      return this.send(opts).then(async (res) => ({ status: res.statusCode ?? 0, headers: res.headers, body: await readAll(res) }));
    });
  }

  private async sendWithPool(pool: Pool, auth: Record<string, string>, opts: SendOptions): Promise<BufferedResponse> {
    const res = await pool.request({
      method: opts.method as 'GET',
      path: opts.path,
      headers: { ...auth, ...opts.headers },
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      ...(opts.cut ? { signal: opts.cut } : {}),
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  }

  private getPool(): Promise<Pool | null> {
    if (this.pool !== undefined) return Promise.resolve(this.pool);
    this.poolPromise ??= this.buildPool().then((p) => (this.pool = p));
    return this.poolPromise;
  }

  private async buildPool(): Promise<Pool | null> {
    if (this.kc.getCurrentCluster()?.proxyUrl) return null;
    const tls = this.server.protocol === 'https:' ? await this.tlsOptions() : undefined;
    // The client's own deadline (a RequestCut) bounds each request: undici's timers are off.
    return new Pool(this.server.origin, { connections: 96, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, ...(tls ? { connect: tls } : {}) });
  }

  /** The TLS options the pooled agent uses (CA, client certificate, server name). */
  async tlsOptions(): Promise<{ ca?: string | Buffer | (string | Buffer)[]; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean; servername?: string }> {
    const opts: https.RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    return {
      ...(opts.ca ? { ca: opts.ca as string | Buffer | (string | Buffer)[] } : {}),
      ...(opts.cert ? { cert: opts.cert as string | Buffer } : {}),
      ...(opts.key ? { key: opts.key as string | Buffer } : {}),
      ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
      ...(opts.servername ? { servername: opts.servername } : {}),
    };
  }

  /** Closes pooled connections. Requests in flight are cut. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
    this.agentPromise = undefined;
    this.pool?.destroy().catch(() => undefined);
    this.pool = undefined;
    this.poolPromise = undefined;
  }

  private getAgent(): Promise<http.Agent> {
    if (this.agent) return Promise.resolve(this.agent);
    this.agentPromise ??= this.buildAgent().then((a) => (this.agent = a));
    return this.agentPromise;
  }

  private async buildAgent(): Promise<http.Agent> {
    // A proxied cluster: client-node's agent for the kubeconfig's proxy URL carries the requests.
    if (this.kc.getCurrentCluster()?.proxyUrl) {
      const opts: https.RequestOptions = { headers: {} };
      await this.kc.applyToHTTPSOptions(opts);
      if (opts.agent) return opts.agent as http.Agent;
    }
    // As many idle sockets kept as may be open: a burst of parallel writes (bindings, mirrors) that
    // closed all but 8 would pay a TLS handshake per request on the next burst. 96: a scheduler's
    // 64 bindings on the wire leave room for its watches, lease renewals and Events.
    const pool = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets: 96, maxFreeSockets: 96, scheduling: 'lifo' as const };
    if (this.server.protocol === 'http:') return new http.Agent(pool);
    return new https.Agent({ ...pool, ...(await this.tlsOptions()) });
  }
}

/** The whole body of an answer; rejects if the connection is cut before its end. */
export function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(Object.assign(new Error('answer cut short'), { code: 'ECONNRESET' })));
  });
}
