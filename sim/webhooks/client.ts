// One call of one admission webhook, as kube-apiserver makes it: a real HTTPS POST of an
// AdmissionReview to clientConfig.url, or to a Service, verified with clientConfig.caBundle
// (the system's roots when it is empty), bounded by timeoutSeconds, and the answer checked
// as k8s.io/apiserver's VerifyAdmissionResponse checks it.
//
// Services: kube-apiserver dials <name>.<namespace>.svc (its ClusterIP) by default. The sim
// has no cluster network, so it resolves a Service the way kube-apiserver does with
// --enable-aggregator-routing: through the Service's Endpoints object, to the address and
// port of the subset port named like the Service port. Only loopback addresses are dialled
// (the sim must not reach out to other machines on a manifest's say-so); the TLS server
// name is still <name>.<namespace>.svc, so the webhook's certificate must name it, as in a
// real cluster.
//
// Failures are CallErrors carrying kube's wording (`failed to call webhook: Post "<url>": <cause>`,
// `received invalid webhook response: ...`); the dispatcher prefixes `failed calling webhook "<name>": `.
import type { ClientRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { isIP } from 'node:net';
import type { ClusterApi } from '../api.js';
import { isRecord } from '../object.js';
import type { CompiledWebhook } from './configurations.js';

/** The largest answer read from a webhook; a bigger one is a failed call, not an OOM. */
export const MAX_RESPONSE_BYTES = 3 * 1024 * 1024;

export const REVIEW_API_VERSION = 'admission.k8s.io/v1';

/** A call that did not produce a usable answer; failurePolicy decides what it means. */
export class CallError extends Error {
  override readonly name = 'CallError';
}

/** A usable answer: the fields of AdmissionResponse the apiserver acts on. */
export interface WebhookAnswer {
  allowed: boolean;
  /** The decoded JSON patch operations; undefined when the webhook sent none. */
  patch: unknown[] | undefined;
  /** response.status (a metav1.Status) when the webhook sent one. */
  status: Record<string, unknown> | undefined;
  warnings: string[];
}

interface Endpoint {
  host: string;
  port: number;
  path: string;
  /** TLS server name to verify (the Service's DNS name), when it is not `host`. */
  servername: string | undefined;
  /** The URL as kube-apiserver would print it (timeout query included). */
  display: string;
}

function isLoopback(ip: string): boolean {
  return (isIP(ip) === 4 && ip.startsWith('127.')) || ip === '::1';
}

function withTimeout(path: string, seconds: number): string {
  return `${path}${path.includes('?') ? '&' : '?'}timeout=${seconds}s`;
}

function urlEndpoint(w: CompiledWebhook, raw: string): Endpoint {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CallError(`could not get REST client: invalid webhook URL ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'https:') throw new CallError(`could not get REST client: webhook URL ${JSON.stringify(raw)} must use https`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const path = withTimeout(`${u.pathname}${u.search}`, w.timeoutSeconds);
  return { host, port: u.port ? Number(u.port) : 443, path, servername: undefined, display: `${u.protocol}//${u.host}${path}` };
}

/** The Service's loopback endpoint, through its Endpoints object (see the module comment). */
function serviceEndpoint(api: ClusterApi, w: CompiledWebhook): Endpoint {
  const ref = w.service!;
  const dns = `${ref.name}.${ref.namespace}.svc`;
  const path = withTimeout(ref.path || '/', w.timeoutSeconds);
  const display = `https://${dns}:${ref.port}${path}`;
  const fail = (why: string): CallError => new CallError(`failed to call webhook: Post ${JSON.stringify(display)}: ${why}`);
  const svcRt = api.registry.lookup('', 'v1', 'services')!;
  const epRt = api.registry.lookup('', 'v1', 'endpoints')!;
  const svcStored = api.tryGet(svcRt, ref.namespace, ref.name);
  if (!svcStored) throw fail(`service "${ref.name}" not found`);
  const svc = api.parse(svcStored);
  const spec = isRecord(svc['spec']) ? svc['spec'] : {};
  const ports = (Array.isArray(spec['ports']) ? spec['ports'] : []).filter(isRecord);
  const svcPort = ports.find((p) => p['port'] === ref.port);
  if (!svcPort) throw fail(`no service port ${ref.port} found for service "${ref.name}"`);
  const portName = typeof svcPort['name'] === 'string' ? svcPort['name'] : '';
  const epStored = api.tryGet(epRt, ref.namespace, ref.name);
  const subsets = epStored ? api.parse(epStored)['subsets'] : undefined;
  for (const ss of (Array.isArray(subsets) ? subsets : []).filter(isRecord)) {
    const addresses = (Array.isArray(ss['addresses']) ? ss['addresses'] : []).filter(isRecord);
    if (addresses.length === 0) continue;
    for (const p of (Array.isArray(ss['ports']) ? ss['ports'] : []).filter(isRecord)) {
      if ((typeof p['name'] === 'string' ? p['name'] : '') !== portName || typeof p['port'] !== 'number') continue;
      const ip = String(addresses[0]!['ip'] ?? '');
      if (!isLoopback(ip)) {
        throw fail(`endpoint ${ip} of service "${ref.name}" is not a loopback address; the simulated apiserver calls webhooks on loopback only`);
      }
      return { host: ip, port: p['port'], path, servername: dns, display };
    }
  }
  throw fail(`no endpoints available for service "${ref.name}"`);
}

export function resolveEndpoint(api: ClusterApi, w: CompiledWebhook): Endpoint {
  if (w.url !== undefined) return urlEndpoint(w, w.url);
  if (w.service !== undefined) return serviceEndpoint(api, w);
  throw new CallError('could not get REST client: the webhook has neither clientConfig.url nor clientConfig.service');
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** Node's socket and TLS errors in the words Go's HTTP client uses for them. */
function describeFailure(e: Error & { code?: string }, ep: Endpoint): string {
  const code = e.code ?? '';
  const hostPort = isIP(ep.host) === 6 ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
  if (code === 'ECONNREFUSED') return `dial tcp ${hostPort}: connect: connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `dial tcp: lookup ${ep.host}: no such host`;
  if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: x509: ${e.message}`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  if (code === 'ECONNRESET') return 'EOF';
  return e.message;
}

/**
 * Posts `review`; resolves with the status code and body, or throws a CallError. The whole
 * call, a retry included, is bounded by timeoutSeconds.
 */
function post(agent: Agent, w: CompiledWebhook, ep: Endpoint, review: string, signal: AbortSignal): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let current: ClientRequest | undefined;
    const finish = (err: CallError | undefined, value?: { code: number; body: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value!);
    };
    const fail = (why: string): void => finish(new CallError(`failed to call webhook: Post ${JSON.stringify(ep.display)}: ${why}`));
    const timer = setTimeout(() => {
      fail('context deadline exceeded');
      current?.destroy();
    }, w.timeoutSeconds * 1000);
    const onAbort = (): void => {
      fail('context canceled');
      current?.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const attempt = (retried: boolean): void => {
      const req = request({
        host: ep.host,
        port: ep.port,
        path: ep.path,
        method: 'POST',
        agent,
        ...(w.caPem !== undefined ? { ca: w.caPem } : {}),
        ...(ep.servername !== undefined ? { servername: ep.servername } : {}),
        headers: { 'content-type': 'application/json', accept: 'application/json, */*', 'content-length': Buffer.byteLength(review) },
      });
      current = req;
      let answered = false;
      req.on('error', (e: Error & { code?: string }) => {
        // A pooled connection the webhook closed while idle fails before any answer: try once
        // more on a new one, as Go's transport does for a request it can send again.
        if (!answered && !retried && req.reusedSocket && e.code === 'ECONNRESET' && !settled) return attempt(true);
        fail(describeFailure(e, ep));
      });
      req.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            fail(`the webhook's answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
            req.destroy();
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => finish(undefined, { code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e: Error & { code?: string }) => fail(describeFailure(e, ep)));
      });
      req.end(review);
    };
    attempt(false);
  });
}

/** client-go's wording for a non-2xx answer (its message when the body is a Status). */
function statusFailure(code: number, body: string): string {
  try {
    const s: unknown = JSON.parse(body);
    if (isRecord(s) && s['kind'] === 'Status' && typeof s['message'] === 'string' && s['message'] !== '') return s['message'];
  } catch {
    // not JSON: fall through to the generic wording
  }
  if (code >= 500 && body.trim() !== '') return `an error on the server (${JSON.stringify(body.trim().slice(0, 200))}) has prevented the request from succeeding`;
  return `the server responded with the status code ${code} but did not return more information`;
}

/**
 * The answer's fields after kube's checks (VerifyAdmissionResponse for a mutating webhook);
 * throws CallError with kube's message when the answer is not a valid v1 AdmissionReview.
 */
export function verifyAnswer(uid: string, body: string): WebhookAnswer {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch (e) {
    throw new CallError(`failed to call webhook: the answer is not JSON: ${(e as Error).message}`);
  }
  const invalid = (why: string): CallError => new CallError(`received invalid webhook response: ${why}`);
  if (!isRecord(review)) throw invalid('the answer is not a JSON object');
  const r = review['response'];
  if (!isRecord(r)) throw invalid('webhook response was absent');
  if (r['uid'] !== uid) throw invalid(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(typeof r['uid'] === 'string' ? r['uid'] : '')}`);
  if (review['apiVersion'] !== REVIEW_API_VERSION || review['kind'] !== 'AdmissionReview') {
    const [group, version] = typeof review['apiVersion'] === 'string' && review['apiVersion'].includes('/') ? review['apiVersion'].split('/') : ['', String(review['apiVersion'] ?? '')];
    throw invalid(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${group}/${version}, Kind=${String(review['kind'] ?? '')}`);
  }
  const patchText = r['patch'];
  const patchType = r['patchType'];
  const hasPatch = typeof patchText === 'string' && patchText !== '';
  if (hasPatch && patchType === undefined) throw invalid('webhook returned response.patch but not response.patchType');
  if (!hasPatch && patchType !== undefined && patchType !== null) throw invalid('webhook returned response.patchType but not response.patch');
  if (patchType === '') throw invalid('webhook returned invalid response.patchType of ""');
  let patch: unknown[] | undefined;
  if (hasPatch) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(patchText)) throw new CallError('failed to call webhook: response.patch is not base64');
    if (patchType !== 'JSONPatch') throw new CallError(`unsupported patch type ${JSON.stringify(patchType)}`);
    let ops: unknown;
    try {
      ops = JSON.parse(Buffer.from(patchText, 'base64').toString('utf8'));
    } catch (e) {
      throw new CallError(`received undecodable patch in webhook response: ${(e as Error).message}`);
    }
    if (!Array.isArray(ops)) throw new CallError('received undecodable patch in webhook response: a JSON patch is a list of operations');
    patch = ops;
  }
  return {
    allowed: r['allowed'] === true,
    patch,
    status: isRecord(r['status']) ? r['status'] : undefined,
    warnings: Array.isArray(r['warnings']) ? r['warnings'].filter((x): x is string => typeof x === 'string') : [],
  };
}

/** Calls the webhook with `review` (whose request.uid is `uid`); throws CallError on any failure. */
export async function callWebhook(api: ClusterApi, agent: Agent, w: CompiledWebhook, uid: string, review: string, signal: AbortSignal): Promise<WebhookAnswer> {
  const ep = resolveEndpoint(api, w);
  const { code, body } = await post(agent, w, ep, review, signal);
  if (code < 200 || code > 299) throw new CallError(`failed to call webhook: ${statusFailure(code, body)}`);
  return verifyAnswer(uid, body);
}
