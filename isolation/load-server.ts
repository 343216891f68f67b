// gRPC server streaming node load (proto/loadreport.proto). No anonymous
// callers: a call must carry a client certificate signed by the configured CA
// or a bearer token from the configured set, else it ends UNAUTHENTICATED.
import { timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { silentLogger, type Logger } from '../kube/index.js';
import { nodeLoadService, toMessage } from './load-proto.js';
import type { NodeLoadReport } from './load-report.js';
import type { AgentMetrics } from './metrics.js';

export interface LoadServerTls {
  certPem: string;
  keyPem: string;
  /** CA for client certificates; when set, a verified client certificate authenticates the caller. */
  clientCaPem?: string;
}

export interface LoadServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** TLS is required unless `plaintext` is set (tests and loopback only). */
  tls?: LoadServerTls;
  plaintext?: boolean;
  /** Accepted bearer tokens. */
  tokens?: readonly string[];
  latest: () => NodeLoadReport | null;
  /** Default send interval (ms). */
  intervalMs?: number;
  log?: Logger;
  metrics?: AgentMetrics;
}

export interface LoadServer {
  port: number;
  close(): Promise<void>;
}

// A CertificateProvider that hands grpc-js fixed PEMs. This credential type
// requests client certificates without rejecting at the handshake, so the
// handler can answer UNAUTHENTICATED. grpc-js registers its watcher after
// adding listeners, so updates are delivered on the next tick (as a file
// watcher would).
function staticProvider(tls: LoadServerTls): grpc.experimental.CertificateProvider {
  const identity = { certificate: Buffer.from(tls.certPem), privateKey: Buffer.from(tls.keyPem) };
  const ca = tls.clientCaPem === undefined ? null : { caCertificate: Buffer.from(tls.clientCaPem) };
  return {
    addCaCertificateListener: (l) => void setImmediate(() => l(ca)),
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener: (l) => void setImmediate(() => l(identity)),
    removeIdentityCertificateListener: () => undefined,
  };
}

function tokenMatches(presented: string, accepted: readonly string[]): boolean {
  const p = Buffer.from(presented);
  let ok = false;
  for (const t of accepted) {
    const b = Buffer.from(t);
    if (b.length === p.length && timingSafeEqual(b, p)) ok = true;
  }
  return ok;
}

export async function startLoadServer(o: LoadServerOptions): Promise<LoadServer> {
  const tokens = (o.tokens ?? []).filter((t) => t !== '');
  const mtls = o.tls?.clientCaPem !== undefined;
  if (tokens.length === 0 && !mtls) {
    throw new Error('refusing to serve node load anonymously: set a client CA (--load-tls-client-ca) or a token file (--load-token-file)');
  }
  if (o.tls === undefined && o.plaintext !== true) {
    throw new Error('the load stream needs TLS: set --load-tls-cert and --load-tls-key');
  }
  const log = o.log ?? silentLogger;
  const defaultInterval = o.intervalMs ?? 2000;
  const { service } = nodeLoadService();
  const server = new grpc.Server();
  const open = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  const authenticate = (call: grpc.ServerWritableStream<unknown, unknown>): string | null => {
    if (mtls && call.getAuthContext().sslPeerCertificate !== undefined) return null;
    const header = call.metadata.get('authorization')[0];
    if (typeof header === 'string' && header.startsWith('Bearer ') && tokens.length > 0 && tokenMatches(header.slice(7), tokens)) return null;
    return header === undefined ? 'no client certificate or bearer token' : 'invalid bearer token';
  };

  server.addService(service, {
    WatchNodeLoad: (call: grpc.ServerWritableStream<{ intervalMs?: number }, unknown>) => {
      const denied = authenticate(call);
      if (denied !== null) {
        o.metrics?.streamRejected.inc();
        log.warn({ peer: call.getPeer(), reason: denied }, 'load stream refused');
        call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: `unauthenticated: ${denied}` });
        return;
      }
      const wanted = call.request.intervalMs ?? 0;
      const interval = wanted === 0 ? defaultInterval : Math.min(60_000, Math.max(500, wanted));
      open.add(call);
      o.metrics?.streamClients.set(open.size);
      const send = (): void => {
        const load = o.latest();
        if (load !== null && !call.cancelled) call.write(toMessage(load));
      };
      send();
      const timer = setInterval(send, interval);
      const done = (): void => {
        clearInterval(timer);
        if (open.delete(call)) o.metrics?.streamClients.set(open.size);
      };
      call.on('cancelled', done);
      call.on('close', done);
      call.on('error', done);
    },
  });

  let creds: grpc.ServerCredentials;
  if (o.tls === undefined) {
    creds = grpc.ServerCredentials.createInsecure();
  } else {
    const provider = staticProvider(o.tls);
    // (identity provider, CA provider or null, require client certificate)
    creds = grpc.experimental.createCertificateProviderServerCredentials(provider, mtls ? provider : null, false);
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`, creds, (err, p) => (err === null ? resolve(p) : reject(new Error(`cannot listen for load streams on ${o.host}:${o.port}: ${err.message}`))));
  });
  await new Promise((resolve) => setImmediate(resolve)); // certificates are in place
  log.info({ host: o.host, port, tls: o.tls !== undefined, mtls, tokens: tokens.length }, 'serving node load over gRPC');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const call of open) call.end();
        open.clear();
        o.metrics?.streamClients.set(0);
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
