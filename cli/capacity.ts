// `tidepool capacity`: the pool at a glance, straight from member clusters (--kubeconfig and
// --member-contexts) or from a running federation API (--server). With --serve it keeps
// running and serves the capacity API and console page itself: open on loopback (the default),
// and only with --authenticate (bearer tokens reviewed by the host cluster) anywhere else.
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { createKubeClient, selfSignedServingCertificate, type KubeClient } from '../kube/index.js';
import {
  Federation,
  MemberClusterRegistry,
  buildServer,
  capacityTable,
  loadFederationConfig,
  parseAuthResource,
  SCORE_POLICIES,
  type AuthResourceAttributes,
  type CapacityDocument,
  type ScorePolicy,
} from '../federation/index.js';
import { intFlag, listFlag, listenFlag } from './options.js';
import { untilSignal } from './sim.js';

export interface CapacityCliOptions {
  kubeconfig?: string;
  memberContexts?: string[];
  server?: string;
  config?: string;
  hostContext?: string;
  output: 'table' | 'json' | 'wide';
  timeout: number;
  readyTimeout: number;
  policy: ScorePolicy;
  serve?: { host: string; port: number };
  authenticate?: boolean;
  authorizeResource?: AuthResourceAttributes;
  authAudiences?: string[];
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
}

/**
 * Whoever may reach the Service through the API server's proxy may call it directly. (Not the
 * URL path: kube's system:discovery role gives every authenticated user GET on /api/*.)
 */
const DEFAULT_AUTH_RESOURCE = 'namespace=tidepool-system,resource=services,subresource=proxy,name=tidepool-capacity';

function authResourceFlag(v: string): AuthResourceAttributes {
  try {
    return parseAuthResource(v);
  } catch (err) {
    throw new InvalidArgumentError(`--authorize-resource: ${(err as Error).message}`);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${flag} ${path}: ${(err as Error).message}`);
  }
}

/** The flags of --serve that only make sense together, checked before anything starts. */
function checkServeFlags(o: CapacityCliOptions): void {
  const given = (flags: Record<string, unknown>): string[] => Object.keys(flags).filter((f) => flags[f] !== undefined);
  const serveOnly = given({ '--authenticate': o.authenticate, '--tls-cert-file': o.tlsCertFile, '--tls-private-key-file': o.tlsPrivateKeyFile });
  if (!o.serve && serveOnly.length) throw new Error(`${serveOnly.join(', ')} go with --serve`);
  const authOnly = given({ '--authorize-resource': o.authorizeResource, '--auth-audiences': o.authAudiences });
  if (!o.authenticate && authOnly.length) throw new Error(`${authOnly.join(', ')} go with --authenticate`);
  if ((o.tlsCertFile === undefined) !== (o.tlsPrivateKeyFile === undefined)) throw new Error('--tls-cert-file and --tls-private-key-file go together');
  if (o.authenticate && !o.hostContext) throw new Error('--authenticate needs --host-context: the cluster that reviews the callers\' tokens');
  if (o.serve && !o.authenticate && !isLoopback(o.serve.host)) {
    throw new Error(`--serve ${o.serve.host}:${o.serve.port} listens beyond loopback: add --authenticate, so only callers the host cluster authorizes get in`);
  }
}

function urlFlag(v: string): string {
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return v.replace(/\/+$/, '');
  } catch {
    throw new InvalidArgumentError(`--server must be an http(s) URL, got "${v}"`);
  }
}

export function registerCapacityCommand(program: Command): Command {
  return program
    .command('capacity')
    .description('show the idle capacity of the member clusters (the pool), or serve the capacity API and console page')
    .option('--kubeconfig <file>', 'kubeconfig with one context per member cluster (default $KUBECONFIG or ~/.kube/config)')
    .option('--member-contexts <names>', 'comma-separated kubeconfig contexts of the member clusters', listFlag('--member-contexts', /^[A-Za-z0-9@._:/-]+$/, 'context name'))
    .option('--server <url>', 'read from a running federation API instead of the clusters', urlFlag)
    .option('--config <file>', 'federation config file (members, headroom, taints...)')
    .option('--host-context <name>', 'with --serve: also watch MemberCluster objects in this kubeconfig context')
    .addOption(new Option('-o, --output <format>', 'table, wide or json (json: the API document)').choices(['table', 'json', 'wide']).default('table'))
    .option('--timeout <seconds>', 'how long to wait for the member clusters to sync', intFlag('--timeout', 1, 3600), 30)
    .option('--ready-timeout <seconds>', 'a member silent this long is not Ready', intFlag('--ready-timeout', 1, 3600), 30)
    .addOption(new Option('--policy <name>', 'placement score policy').choices([...SCORE_POLICIES]).default('most-idle'))
    .option('--serve <[host:]port>', 'keep running: serve /api/v1/capacity, /metrics and the console page here', listenFlag('--serve'))
    .option('--authenticate', 'with --serve: every request but /healthz and /readyz needs a bearer token, checked with a TokenReview and a SubjectAccessReview in the --host-context cluster; needed to serve beyond loopback')
    .option('--authorize-resource <attrs>', `with --authenticate: the resource a caller needs (GET: get, POST: create, DELETE: delete) (default: ${DEFAULT_AUTH_RESOURCE})`, authResourceFlag)
    .option('--auth-audiences <names>', 'with --authenticate: audiences a token must carry (default: the API server\'s)', listFlag('--auth-audiences', /^[^\s,]+$/, 'audience'))
    .option('--tls-cert-file <file>', 'with --serve: serve HTTPS with this certificate (default with --authenticate: a self-signed one made at start)')
    .option('--tls-private-key-file <file>', 'key of --tls-cert-file')
    .action(async (o: CapacityCliOptions) => {
      try {
        await runCapacity(o);
      } catch (err) {
        // A runtime failure (bad kubeconfig, unreachable server): the message, not the usage.
        process.stderr.write(`tidepool capacity: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}

export async function runCapacity(o: CapacityCliOptions): Promise<void> {
  if (o.server) {
    if (o.memberContexts || o.config || o.serve) throw new Error('--server reads a running federation API; it cannot be combined with --member-contexts, --config or --serve');
    print(await readCapacityApi(o.server, o.timeout), o.output);
    return;
  }
  if (!o.memberContexts && !o.config && !o.hostContext) throw new Error('name the member clusters: --member-contexts east,west (with --kubeconfig), --config FILE, or --server URL');
  if (o.hostContext && !o.serve) throw new Error('--host-context needs --serve (MemberCluster objects are watched by a running federation)');
  checkServeFlags(o);
  const tls = o.tlsCertFile && o.tlsPrivateKeyFile ? { cert: readFlagFile('--tls-cert-file', o.tlsCertFile), key: readFlagFile('--tls-private-key-file', o.tlsPrivateKeyFile) } : undefined;
  const kubeconfig = o.kubeconfig ?? process.env['KUBECONFIG']?.split(':')[0] ?? join(homedir(), '.kube', 'config');
  const config = o.config ? loadFederationConfig(o.config) : undefined;
  const logger = pino({ level: o.serve ? 'info' : 'warn' }, pino.destination(2));
  const fed = new Federation({
    readyTimeoutMs: config?.readyTimeoutMs ?? o.readyTimeout * 1000,
    scorePolicy: config?.scorePolicy ?? o.policy,
    logger,
  });
  fed.start();
  let registry: MemberClusterRegistry | undefined;
  let host: KubeClient | undefined;
  try {
    for (const ctx of o.memberContexts ?? []) {
      const client = createKubeClient({ config: { kind: 'file', path: kubeconfig, context: ctx }, cluster: ctx });
      fed.addMemberWithClient(ctx, client);
    }
    for (const m of config?.members ?? []) await fed.upsertMember(m);
    if (o.hostContext) {
      host = createKubeClient({ config: { kind: 'file', path: kubeconfig, context: o.hostContext }, cluster: o.hostContext });
      registry = new MemberClusterRegistry({ host, federation: fed, logger });
      registry.start();
    }
    for (const n of await syncMembers(fed, o.timeout * 1000)) {
      process.stderr.write(`warning: member cluster ${n} did not sync within ${o.timeout}s (${fed.health(n)?.lastError ?? 'no answer'})\n`);
    }
    if (!o.serve) {
      print(fed.document(), o.output);
      return;
    }
    const serving = tls ?? (o.authenticate ? selfSignedTls(o.serve.host) : undefined);
    const app = buildServer({
      federation: fed,
      ...(serving ? { tls: serving } : {}),
      ...(o.authenticate && host
        ? {
            auth: {
              host,
              resourceAttributes: o.authorizeResource ?? parseAuthResource(DEFAULT_AUTH_RESOURCE),
              ...(o.authAudiences ? { audiences: o.authAudiences } : {}),
              onRefusal: (e) => logger.info(e, 'capacity API: request refused'),
            },
          }
        : {}),
    });
    const addr = await app.listen({ host: o.serve.host, port: o.serve.port });
    logger.info({ addr, authenticate: o.authenticate === true, tls: serving !== undefined }, 'federation capacity API and console listening');
    await untilSignal();
    await app.close();
  } finally {
    await registry?.stop();
    await fed.stop();
    host?.close();
  }
}

/**
 * GET <server>/api/v1/capacity. Every way it can fail is a sentence naming the address and
 * what to check, never the bare "fetch failed" of Node's fetch. (node:http rather than fetch:
 * fetch refuses ports on the browsers' blocked list, 1 and 6000 among them, with "bad port".)
 */
export async function readCapacityApi(server: string, timeoutSeconds: number): Promise<CapacityDocument> {
  const url = `${server}/api/v1/capacity`;
  let res: PlainResponse;
  try {
    res = await getText(url, timeoutSeconds * 1000);
  } catch (err) {
    throw new Error(`cannot reach ${url}: ${unreachableReason(err, new URL(url), timeoutSeconds)}`, { cause: err });
  }
  if (res.status < 200 || res.status > 299) {
    // The capacity API answers errors as a Kubernetes Status; its message says what went wrong.
    const message = statusMessage(res.text);
    const hint = res.status === 401 || res.status === 403 ? ' (that server authenticates its callers, and --server sends no token)' : '';
    throw new Error(`${url} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${message ? `: ${message}` : ''}${hint}`);
  }
  const notOurs = 'is --server the address of the capacity API or console (tidepool capacity --serve, tidepool demo)?';
  let doc: unknown;
  try {
    doc = JSON.parse(res.text);
  } catch {
    throw new Error(`${url} answered something that is not JSON (${res.text.trim() === '' ? 'an empty body' : res.contentType || 'no content type'}): ${notOurs}`);
  }
  if (!isCapacityDocument(doc)) throw new Error(`${url} answered JSON that is not a capacity document (no clusters and total): ${notOurs}`);
  return doc;
}

interface PlainResponse {
  status: number;
  statusText: string;
  contentType: string;
  text: string;
}

/** One GET, bounded in time from the request to the last byte. */
function getText(url: string, timeoutMs: number): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, { headers: { accept: 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', contentType: String(res.headers['content-type'] ?? ''), text }));
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), timeoutMs);
    req.on('error', reject);
    req.on('close', () => clearTimeout(timer));
  });
}

/** Why a request never got an answer, in words, from Node's error codes. */
function unreachableReason(err: unknown, url: URL, timeoutSeconds: number): string {
  const e = err as { name?: unknown; code?: unknown; message?: unknown; errors?: unknown };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutSeconds} s (--timeout)`;
  // A name with several addresses (localhost: ::1 and 127.0.0.1) can fail with one error per address.
  const code = typeof e.code === 'string' ? e.code : Array.isArray(e.errors) ? String((e.errors[0] as { code?: unknown } | undefined)?.code ?? '') : '';
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused: nothing listens on ${url.host} (is tidepool demo or tidepool capacity --serve running? --server takes the address they print)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `no such host: ${url.hostname}`;
    case 'ECONNRESET':
      return 'the connection was closed before an answer came';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'the TLS handshake failed (does the server speak http rather than https?)';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `its TLS certificate is not trusted (${code}: ${message}); set NODE_EXTRA_CA_CERTS to the CA that signed it`;
    default:
      return code ? `${message} (${code})` : message;
  }
}

function statusMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { kind?: unknown; message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON: the body itself, if short, is the best there is
  }
  const t = text.trim();
  return t.length > 0 && t.length <= 200 && !t.startsWith('<') ? t : '';
}

function isCapacityDocument(v: unknown): v is CapacityDocument {
  const d = v as { clusters?: unknown; total?: unknown } | null;
  return typeof d === 'object' && d !== null && Array.isArray(d.clusters) && typeof d.total === 'object' && d.total !== null;
}

/** A serving certificate for the listen address and the host name, when none is given. */
function selfSignedTls(listenHost: string): { cert: string; key: string } {
  const names = ['localhost', '127.0.0.1', ...(isIP(listenHost) !== 0 && listenHost !== '0.0.0.0' && listenHost !== '::' ? [listenHost] : []), ...(process.env['POD_IP'] ? [process.env['POD_IP']] : [])];
  const c = selfSignedServingCertificate([...new Set(names)]);
  return { cert: c.cert, key: c.key };
}

/** Waits for every member to sync and reads its usage once; returns the members that did not sync. */
export async function syncMembers(fed: Federation, timeoutMs: number): Promise<string[]> {
  const names = fed.memberNames();
  const ready = await Promise.all(names.map((n) => fed.member(n)!.waitForReady(timeoutMs)));
  await Promise.all(names.filter((_, i) => ready[i]).map((n) => fed.member(n)!.refreshUsage()));
  return names.filter((_, i) => !ready[i]);
}

function print(doc: CapacityDocument, output: CapacityCliOptions['output']): void {
  // -o json prints the API's document itself (cpu in millicores, memory in bytes).
  if (output === 'json') {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else process.stdout.write(capacityTable(doc, output === 'wide'));
}
