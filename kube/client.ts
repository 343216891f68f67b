/**
 * A Kubernetes client that is a good citizen of someone else's API server.
 *
 * - One token bucket per cluster (client-go's controller defaults, 20 QPS / burst 30) that every
 *   request of the client goes through, typed or raw, list, watch or write.
 * - A 429 pauses the *whole* client for the server's Retry-After (one caller being told to back
 *   off means all of ours should), then the request is sent again.
 * - Retries with exponential backoff and full jitter on 5xx and connection errors, but only for
 *   idempotent methods (GET, HEAD, PUT, DELETE): a POST or PATCH whose answer was lost may well
 *   have been applied. 429 is the exception: the API server rejects it before doing anything
 *   (as client-go also assumes), so any verb is sent again after the pause.
 * - A deadline per request; watches get an idle deadline instead (see watch()).
 * - prom-client metrics per cluster / verb / code.
 *
 * Two ways in: raw JSON (`request`, `watch`) for hot paths like informers, which want the
 * server's JSON without client-node's model deserialization; and `api(CoreV1Api)` for
 * client-node's typed APIs, sent through this same client (limiter, retries, metrics).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import {
  ResponseContext,
  ServerConfiguration,
  createConfiguration,
  wrapHttpLibrary,
  type ApiConstructor,
  type ApiType,
  type RequestContext,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { KubeApiError, parseStatus } from './api-error.js';
import { abortReason, isRetryableError, parseRetryAfter, retry, statusCodeOf, systemClock, type Clock, type TimerHandle } from './backoff.js';
import { clientMetricsFor, type ClientMetrics } from './client-metrics.js';
import { JsonLineSplitter } from './json-lines.js';
import { loadKubeConfig, type KubeConfigSource, type ResolvedKubeConfig } from './kubeconfig.js';
import { TokenBucketRateLimiter } from './rate-limiter.js';
import { HttpTransport, readAll, RequestCut } from './transport.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface KubeClientOptions {
  config: KubeConfigSource;
  /** The cluster's name in metrics and errors. Default: the kubeconfig context. */
  cluster?: string;
  /** Sustained requests per second. Default 20. */
  qps?: number;
  /** Requests allowed at once after a quiet spell. Default 30. */
  burst?: number;
  /** Deadline of one request (to the end of its answer). Default 30 s. */
  timeoutMs?: number;
  /** Tries per request, the first included (for retryable failures). Default 5. */
  maxAttempts?: number;
  /** Backoff ceiling of the first retry. Default 200 ms. */
  retryInitialMs?: number;
  /** Largest backoff ceiling. Default 10 s. */
  retryMaxMs?: number;
  /** Upper bound on an honoured Retry-After. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Registry for tidepool_kube_* metrics; a private one when absent (never the global default). */
  registry?: Registry;
  userAgent?: string;
  clock?: Clock;
  random?: () => number;
  /** Told about every try sent (after its answer or failure): for logs and tests. Must not throw. */
  onRequest?: (event: RequestEvent) => void;
}

export interface RequestEvent {
  cluster: string;
  verb: string;
  method: string;
  path: string;
  /** When the request left the rate limiter (clock ms). */
  sentAt: number;
  /** HTTP status, or "error" when no answer came. */
  code: number | 'error';
  durationMs: number;
}

export interface RequestOptions {
  method?: string;
  /** Absolute API path, e.g. /api/v1/namespaces/default/pods. */
  path: string;
  query?: Query;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  /** Default application/json (set a patch type for PATCH). */
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** false: one try only, whatever the failure. */
  retry?: boolean;
}

export interface KubeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One event from a watch stream, as the server sent it (object not validated). */
export interface RawWatchEvent {
  type: string;
  object: unknown;
}

export interface WatchOptions {
  path: string;
  query?: Query;
  signal?: AbortSignal;
  /**
   * Ends the stream with a WatchIdleError when no byte arrives for this long: a watch on a dead
   * TCP connection otherwise hangs silently. Keep it above the server's bookmark interval.
   * Default 120 s.
   */
  idleTimeoutMs?: number;
  /** Called for each event, in order. A throw ends the watch with that error. */
  onEvent(event: RawWatchEvent): void;
  /** Decodes one line of the stream. Default JSON.parse. */
  parse?: (line: string) => RawWatchEvent;
}

/** TLS material and auth headers for a raw connection to the API server. */
export interface ConnectionOptions {
  ca?: string | Buffer | (string | Buffer)[];
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
  headers: Record<string, string>;
}

export class KubeTimeoutError extends Error {
  override readonly name = 'KubeTimeoutError';
  /** Read as a retryable connection-level failure by isRetryableError. */
  readonly code = 'ETIMEDOUT';
}

export class WatchIdleError extends Error {
  override readonly name = 'WatchIdleError';
  readonly code = 'ETIMEDOUT';
}

/** A failure with no HTTP answer (refused, reset, TLS), naming the request; keeps the cause's code. */
export class KubeRequestError extends Error {
  override readonly name = 'KubeRequestError';
  readonly code: string | undefined;
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    const c = (cause as { code?: unknown } | undefined)?.code;
    this.code = typeof c === 'string' ? c : undefined;
  }
}

/** A request's place on its server: path (the server URL's prefix included) and query ('' or '?...'). */
interface RequestTarget {
  readonly pathname: string;
  readonly search: string;
}

/** RFC 3986 path characters: a path made of these needs no encoding. */
const PLAIN_PATH = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*$/;
/** A segment that may be a dot segment, '.' or '..', also percent-encoded: resolved by URL. */
const DOT_SEGMENT = /\/(\.|%2e)/i;

/** RFC 9110's idempotent methods: sending them twice has the effect of sending them once. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

const signalScope = new AsyncLocalStorage<AbortSignal>();

export class KubeClient {
  readonly cluster: string;
  /** API server URL, no trailing slash. */
  readonly server: string;
  /** The context's default namespace. */
  readonly namespace: string;
  readonly limiter: TokenBucketRateLimiter;
  readonly metrics: ClientMetrics;
  readonly resolved: ResolvedKubeConfig;
  private readonly transport: HttpTransport;
  private readonly serverUrl: URL;
  /** The server URL's own path prefix (as proxies use), no trailing slash: '' for most. */
  private readonly basePath: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly userAgent: string;
  private readonly onRequest: ((event: RequestEvent) => void) | undefined;
  private closed = false;

  constructor(options: KubeClientOptions) {
    this.resolved = loadKubeConfig(options.config);
    this.cluster = options.cluster ?? this.resolved.context;
    this.server = this.resolved.server;
    this.namespace = this.resolved.namespace;
    this.serverUrl = new URL(this.server);
    this.basePath = this.serverUrl.pathname.replace(/\/+$/, '');
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.limiter = new TokenBucketRateLimiter({
      ...(options.qps !== undefined ? { qps: options.qps } : {}),
      ...(options.burst !== undefined ? { burst: options.burst } : {}),
      clock: this.clock,
    });
    this.timeoutMs = positive(options.timeoutMs ?? 30_000, 'timeoutMs');
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryInitialMs = options.retryInitialMs ?? 200;
    this.retryMaxMs = options.retryMaxMs ?? 10_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.userAgent = options.userAgent ?? 'tidepool/0.1';
    this.onRequest = options.onRequest;
    this.metrics = clientMetricsFor(options.registry ?? new Registry());
    this.transport = new HttpTransport(this.resolved.kubeConfig, this.serverUrl);
  }

  /** The full URL of an API path (keeping a path prefix the server URL may have, as proxies use). */
  url(path: string, query?: Query): URL {
    const t = this.target(path, query);
    // On the server's origin whatever the path: a path starting '//' names a path, not a host.
    return new URL(this.serverUrl.origin + t.pathname + t.search);
  }

  /**
   * Where a request for `path` goes: the server's own prefix and the path, and the query as a
   * URL's search. A path made only of URL path characters (what callers build, names encoded)
   * is taken as it is: a URL object per request, parsed only to be taken apart again, cost
   * more CPU than anything else the client does for a binding. Anything else is normalized as
   * a URL would (spaces and other characters encoded, dot segments resolved).
   */
  private target(path: string, query?: Query): RequestTarget {
    const rooted = path.startsWith('/') ? path : `/${path}`;
    if (!PLAIN_PATH.test(rooted) || DOT_SEGMENT.test(rooted)) {
      // A query in the path too ('...?watch=true'), or characters to encode: a URL sorts it out.
      const url = new URL(this.serverUrl.origin + this.basePath + rooted);
      setQuery(url.searchParams, query);
      return { pathname: url.pathname, search: url.search };
    }
    let search = '';
    if (query) {
      const params = new URLSearchParams();
      setQuery(params, query);
      const q = params.toString();
      if (q) search = `?${q}`;
    }
    return { pathname: this.basePath + rooted, search };
  }

  /** Sends a request; resolves with the answer (2xx/3xx), throws KubeApiError for 4xx/5xx. */
  request(options: RequestOptions): Promise<KubeResponse> {
    const method = (options.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['Content-Type'] = options.contentType ?? 'application/json';
    }
    return this.execute(method, this.target(options.path, options.query), headers, body, options);
  }

  /** request() and JSON.parse of the answer. */
  async requestJson<T = unknown>(options: RequestOptions): Promise<T> {
    const res = await this.request(options);
    try {
      return JSON.parse(res.body) as T;
    } catch (err) {
      throw new Error(`${options.method ?? 'GET'} ${options.path} on cluster ${this.cluster}: answer is not JSON: ${(err as Error).message}`);
    }
  }

  /**
   * Opens a watch and feeds its events to onEvent until the stream ends. Resolves when the
   * server closes the stream or `signal` aborts; rejects with a KubeApiError when the server
   * refuses the watch, or when the connection fails or goes idle. Never retried here: the
   * caller (an informer) decides where to resume from.
   */
  async watch(options: WatchOptions): Promise<void> {
    const url = this.target(options.path, { ...options.query, watch: 'true' });
    const verb = 'watch';
    const { signal } = options;
    if (signal?.aborted) return;
    const res = await this.open('GET', url, verb, { Accept: 'application/json' }, undefined, signal, this.timeoutMs);
    if (res === undefined) return;
    const idleMs = options.idleTimeoutMs ?? 120_000;
    await new Promise<void>((resolve, reject) => {
      let done = false;
      // One timer for the idle deadline, re-armed only when it fires early: resetting a timer
      // on every chunk costs more than the rest of the chunk's handling.
      let lastData = this.clock.now();
      let idle: TimerHandle | undefined;
      const armIdle = (ms: number): void => {
        idle = this.clock.setTimeout(() => {
          const quiet = this.clock.now() - lastData;
          if (quiet >= idleMs) finish(new WatchIdleError(`watch ${url.pathname}: no data for ${idleMs} ms; the connection is presumed dead`));
          else armIdle(idleMs - quiet);
        }, ms);
      };
      armIdle(idleMs);
      const finish = (err?: unknown): void => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(idle);
        signal?.removeEventListener('abort', onAbort);
        if (!res.destroyed) res.destroy();
        if (err === undefined || signal?.aborted) resolve();
        else reject(err);
      };
      const onAbort = (): void => finish();
      signal?.addEventListener('abort', onAbort, { once: true });
      const parse = options.parse ?? ((line: string) => JSON.parse(line) as RawWatchEvent);
      const splitter = new JsonLineSplitter((line) => options.onEvent(parse(line)));
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        lastData = this.clock.now();
        try {
          splitter.push(chunk);
        } catch (err) {
          finish(err);
        }
      });
      res.on('end', () => finish());
      res.on('error', (err) => finish(new KubeRequestError(`watch ${url.pathname} on cluster ${this.cluster}: ${err.message}`, err)));
      res.on('close', () => finish(res.complete ? undefined : new KubeRequestError(`watch ${url.pathname} on cluster ${this.cluster}: connection closed`, { code: 'ECONNRESET' })));
    });
  }

  /**
   * Sends a request and resolves at the response headers with the body unread, for answers
   * that are streams (pods/log with follow). Throws KubeApiError for an error status. Not
   * retried: a stream's consumer decides whether to open it again.
   */
  async stream(options: RequestOptions): Promise<IncomingMessage | undefined> {
    const method = (options.method ?? 'GET').toUpperCase();
    const url = this.target(options.path, options.query);
    const headers: Record<string, string> = { Accept: options.accept ?? '*/*' };
    return this.open(method, url, verbFor(method, url.pathname, url.search), headers, undefined, options.signal, options.timeoutMs ?? this.timeoutMs);
  }

  /**
   * What a raw connection to this API server needs (an upgrade for exec/attach/port-forward):
   * the TLS material from the kubeconfig and the auth headers, read as requests read them.
   */
  async connectionOptions(): Promise<ConnectionOptions> {
    return { ...(await this.transport.tlsOptions()), headers: await this.transport.authHeaders() };
  }

  /**
   * A client-node typed API (CoreV1Api, CoordinationV1Api, ...) whose requests go through this
   * client: same limiter, retries, metrics and credentials. Errors are KubeApiError.
   * Pass an AbortSignal with withSignal().
   */
  api<T extends ApiType>(ctor: ApiConstructor<T>): T {
    const config = createConfiguration({
      baseServer: new ServerConfiguration(this.server, {}),
      authMethods: {},
      httpApi: wrapHttpLibrary({ send: (ctx) => this.sendContext(ctx) }),
    });
    return new ctor(config);
  }

  /** Runs fn with `signal` applied to the typed-API requests it makes. */
  withSignal<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    return signal ? signalScope.run(signal, fn) : fn();
  }

  /** Closes pooled connections; later requests fail. */
  close(): void {
    this.closed = true;
    this.transport.close();
  }

  private async sendContext(ctx: RequestContext): Promise<ResponseContext> {
    // The typed APIs are made on this client's server (api()): only the path and query are kept.
    const full = new URL(ctx.getUrl());
    const url: RequestTarget = { pathname: full.pathname, search: full.search };
    const headers: Record<string, string> = { Accept: 'application/json', ...ctx.getHeaders() };
    const raw = ctx.getBody();
    if (raw !== undefined && typeof raw !== 'string') throw new Error('kube client: only JSON bodies are supported for typed API calls');
    const signal = ctx.getSignal() ?? signalScope.getStore();
    const res = await this.execute(ctx.getHttpMethod().toString(), url, headers, raw, signal ? { signal } : {});
    return new ResponseContext(res.status, res.headers, {
      text: async () => res.body,
      binary: async () => Buffer.from(res.body),
    });
  }

  private execute(
    method: string,
    url: RequestTarget,
    headers: Record<string, string>,
    body: string | undefined,
    options: { signal?: AbortSignal; timeoutMs?: number; retry?: boolean },
  ): Promise<KubeResponse> {
    const verb = verbFor(method, url.pathname, url.search);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const startedAt = this.clock.now();
    // The first try goes straight out; retry's machinery is set up only when it fails.
    return this.once(method, url, verb, headers, body, options.signal, timeoutMs).catch((error: unknown) => {
      if (options.signal?.aborted) throw abortReason(options.signal);
      if (options.retry === false) throw error;
      return this.retryAfter(error, startedAt, method, url, verb, headers, body, timeoutMs, options.signal);
    });
  }

  /** One try of a request read whole; rejects with the abort reason when `signal` aborted it. */
  private once(method: string, url: RequestTarget, verb: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined, timeoutMs: number): Promise<KubeResponse> {
    return this.open(method, url, verb, headers, body, signal, timeoutMs, true).then((res) => res ?? Promise.reject(abortReason(signal!)));
  }

  /** Tries again after a failed first try, with backoff, while the failure is retryable. */
  private retryAfter(
    error: unknown,
    startedAt: number,
    method: string,
    url: RequestTarget,
    verb: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<KubeResponse> {
    const idempotent = IDEMPOTENT_METHODS.has(method);
    let reauthenticated = false;
    return retry(
      (attempt) => {
        if (attempt > 1) this.metrics.retries.inc({ cluster: this.cluster, verb });
        return this.once(method, url, verb, headers, body, signal, timeoutMs);
      },
      {
        maxAttempts: this.maxAttempts,
        initialMs: this.retryInitialMs,
        maxMs: this.retryMaxMs,
        maxRetryAfterMs: this.maxRetryAfterMs,
        clock: this.clock,
        random: this.random,
        firstTry: { error, startedAt },
        ...(signal ? { signal } : {}),
        isRetryable: (err) => {
          const code = statusCodeOf(err);
          if (code === 429) return true;
          // A 401 may be a token that rotated since we cached it: read it again, once.
          if (code === 401 && !reauthenticated) return (reauthenticated = true);
          return idempotent && isRetryableError(err);
        },
      },
    );
  }

  /**
   * One try: limiter, send, metrics, 429 pause; throws KubeApiError for an error status. With
   * `buffered` it reads the whole answer; otherwise it resolves at the response headers (the
   * deadline then covers only getting them). Resolves undefined when `signal` aborted.
   */
  private open(method: string, url: RequestTarget, verb: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined, timeoutMs: number): Promise<IncomingMessage | undefined>;
  private open(method: string, url: RequestTarget, verb: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined, timeoutMs: number, buffered: true): Promise<KubeResponse | undefined>;
  private async open(
    method: string,
    url: RequestTarget,
    verb: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    buffered = false,
  ): Promise<IncomingMessage | KubeResponse | undefined> {
    if (this.closed) throw new Error(`kube client for cluster ${this.cluster} is closed`);
    if (signal?.aborted) return undefined;
    const waitStart = this.clock.now();
    // A token at hand (nearly always) is taken without a turn of the event loop.
    if (!this.limiter.tryAcquire()) {
      try {
        await this.limiter.acquire(signal);
      } catch (err) {
        if (signal?.aborted) return undefined;
        throw err;
      }
    }
    this.metrics.rateLimiterWait.observe({ cluster: this.cluster }, (this.clock.now() - waitStart) / 1000);

    const cut = new RequestCut();
    const unlink = signal ? linkAbort(signal, cut) : undefined;
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      cut.cut(new KubeTimeoutError(`${verb} ${url.pathname} on cluster ${this.cluster}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const started = performance.now();
    const sentAt = this.clock.now();
    const record = (code: number | 'error'): void => {
      const durationMs = performance.now() - started;
      this.metrics.requests.inc({ cluster: this.cluster, verb, code: String(code) });
      this.metrics.latency.observe({ cluster: this.cluster, verb }, durationMs / 1000);
      if (this.onRequest) {
        try {
          this.onRequest({ cluster: this.cluster, verb, method, path: url.pathname, sentAt, code, durationMs });
        } catch {
          // an observer must not break requests
        }
      }
    };
    try {
      const sendOptions = { method, path: url.pathname + url.search, headers: { 'User-Agent': this.userAgent, ...headers }, ...(body !== undefined ? { body } : {}), cut };
      if (buffered) {
        const answer = await this.transport.sendBuffered(sendOptions);
        record(answer.status);
        if (answer.status >= 300) throw this.apiError(answer.status, answer.headers, answer.body, verb, url);
        return { status: answer.status, headers: flatHeaders(answer.headers), body: answer.body };
      }
      // A stream: handed over at its headers, unless the server refused it.
      const res = await this.transport.send(sendOptions);
      const status = res.statusCode ?? 0;
      if (status < 300) {
        record(status);
        return res;
      }
      const text = await readAll(res);
      record(status);
      throw this.apiError(status, res.headers, text, verb, url);
    } catch (err) {
      if (err instanceof KubeApiError) throw err;
      record('error');
      if (timedOut) throw new KubeTimeoutError(`${verb} ${url.pathname} on cluster ${this.cluster}: no answer within ${timeoutMs} ms`);
      if (signal?.aborted) return undefined;
      throw new KubeRequestError(`${verb} ${url.pathname} on cluster ${this.cluster}: ${(err as Error).message}`, err);
    } finally {
      this.clock.clearTimeout(timer);
      unlink?.();
    }
  }

  /** Builds the error for an error answer; a 429 pauses the whole client first, a 401 drops cached credentials. */
  private apiError(status: number, rawHeaders: IncomingHttpHeaders, text: string, verb: string, url: RequestTarget): KubeApiError {
    const headers = flatHeaders(rawHeaders);
    if (status === 429) {
      const now = this.clock.now();
      const header = headers['retry-after'];
      let ms = header !== undefined ? parseRetryAfter(header, now) : undefined;
      ms ??= (parseStatus(text)?.details?.retryAfterSeconds ?? 1) * 1000;
      this.limiter.pauseUntil(now + Math.min(ms, this.maxRetryAfterMs));
      this.metrics.throttled.inc({ cluster: this.cluster });
    }
    if (status === 401) this.transport.invalidateAuth();
    return new KubeApiError({ code: status, body: text, headers, verb, path: url.pathname, cluster: this.cluster });
  }
}

/** Each caller signal's in-flight requests (see linkAbort). */
const linkedRequests = new WeakMap<AbortSignal, Set<RequestCut>>();

/**
 * Cuts `request` when `signal` aborts; returns the undo. One 'abort' listener per caller signal,
 * however many requests it covers: a scheduler's or controller's run signal spans thousands of
 * requests a second, and a listener added and removed on it per request was a measurable share
 * of each request's CPU. The listener stays until the signal aborts or is collected: meant for
 * signals that live as long as a component's run, not for a composite made per call.
 */
function linkAbort(signal: AbortSignal, request: RequestCut): () => void {
  if (signal.aborted) {
    request.cut(asError(abortReason(signal)));
    return () => undefined;
  }
  let set = linkedRequests.get(signal);
  if (!set) {
    const requests = new Set<RequestCut>();
    linkedRequests.set(signal, (set = requests));
    signal.addEventListener(
      'abort',
      () => {
        const reason = asError(abortReason(signal));
        for (const c of requests) c.cut(reason);
        requests.clear();
      },
      { once: true },
    );
  }
  const requests = set;
  requests.add(request);
  return () => void requests.delete(request);
}

export function createKubeClient(options: KubeClientOptions): KubeClient {
  return new KubeClient(options);
}

const RESOURCE_VERBS: Readonly<Record<string, string>> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/**
 * The verb a request method asks for on one resource, before list/watch/deletecollection are
 * told apart: GET and HEAD get, POST create, PUT update, PATCH patch, DELETE delete, any other
 * method lower-cased. The kubelet's auth filter and kube-rbac-proxy authorize with it.
 */
export function resourceVerbOf(method: string): string {
  return RESOURCE_VERBS[method.toUpperCase()] ?? method.toLowerCase();
}

/**
 * The Kubernetes verb of a request, as kube-apiserver's request info names it: get, list,
 * watch, create, update, patch, delete, deletecollection.
 */
export function verbOf(method: string, url: URL): string {
  return verbFor(method, url.pathname, url.search);
}

function verbFor(method: string, pathname: string, search: string): string {
  switch (method) {
    case 'DELETE':
      return isCollection(pathname) ? 'deletecollection' : 'delete';
    case 'GET':
    case 'HEAD': {
      const w = search === '' ? null : new URLSearchParams(search).get('watch');
      if (w === 'true' || w === '1' || pathname.includes('/watch/')) return 'watch';
      return isCollection(pathname) ? 'list' : 'get';
    }
    default:
      return resourceVerbOf(method);
  }
}

function isCollection(path: string): boolean {
  const parts = path.split('/').filter(Boolean);
  let i = parts.indexOf('api');
  let rest: string[];
  if (i >= 0) rest = parts.slice(i + 2);
  else if ((i = parts.indexOf('apis')) >= 0) rest = parts.slice(i + 3);
  else return false;
  if (rest[0] === 'watch') rest = rest.slice(1);
  if (rest.length === 0) return false;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    rest = rest.slice(2);
  }
  return rest.length === 1;
}

/** Sets each defined value of `query` on `params`. */
function setQuery(params: URLSearchParams, query: Query | undefined): void {
  for (const k in query) {
    const v = query[k];
    if (v !== undefined) params.set(k, String(v));
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    const v = h[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function positive(v: number, name: string): number {
  if (!(v > 0)) throw new RangeError(`kube client ${name} must be positive, got ${v}`);
  return v;
}
