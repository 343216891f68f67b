// A small consumer of the node-load stream (until the colocation scheduler
// subscribes itself): yields each NodeLoadReport as it arrives.
import * as grpc from '@grpc/grpc-js';
import { fromMessage, nodeLoadService, type NodeLoadMessage } from './load-proto.js';
import type { NodeLoadReport } from './load-report.js';

export interface LoadClientOptions {
  /** host:port of the agent. */
  address: string;
  tls?: { caPem: string; certPem?: string; keyPem?: string; serverName?: string };
  plaintext?: boolean;
  token?: string;
  intervalMs?: number;
  signal?: AbortSignal;
}

/** Thrown when the stream ends with a gRPC error (code from grpc.status). */
export class LoadStreamError extends Error {
  override readonly name = 'LoadStreamError';
  constructor(
    readonly code: grpc.status,
    details: string,
  ) {
    super(`node load stream failed (${grpc.status[code] ?? code}): ${details}`);
  }
}

export async function* streamNodeLoad(o: LoadClientOptions): AsyncGenerator<NodeLoadReport> {
  if (o.tls === undefined && o.plaintext !== true) throw new Error('node load client needs TLS (tls.caPem) or plaintext: true');
  const { client: Client } = nodeLoadService();
  const creds =
    o.tls === undefined
      ? grpc.credentials.createInsecure()
      : grpc.credentials.createSsl(Buffer.from(o.tls.caPem), o.tls.keyPem === undefined ? null : Buffer.from(o.tls.keyPem), o.tls.certPem === undefined ? null : Buffer.from(o.tls.certPem));
  const options: grpc.ChannelOptions = o.tls?.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': o.tls.serverName };
  const client = new Client(o.address, creds, options);
  const md = new grpc.Metadata();
  if (o.token !== undefined) md.set('authorization', `Bearer ${o.token}`);
  const call = (client as unknown as { WatchNodeLoad(req: object, md: grpc.Metadata): grpc.ClientReadableStream<NodeLoadMessage> }).WatchNodeLoad(
    { intervalMs: o.intervalMs ?? 0 },
    md,
  );
  const onAbort = (): void => call.cancel();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const msg of call as AsyncIterable<NodeLoadMessage>) yield fromMessage(msg);
  } catch (err) {
    const e = err as grpc.ServiceError;
    if (e.code === grpc.status.CANCELLED && o.signal?.aborted === true) return;
    throw new LoadStreamError(e.code ?? grpc.status.UNKNOWN, e.details ?? e.message);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    call.cancel();
    client.close();
  }
}
