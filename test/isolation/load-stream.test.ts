import { status } from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LoadStreamError, streamNodeLoad, type LoadClientOptions } from '../../isolation/load-client.js';
import type { NodeLoadReport } from '../../isolation/load-report.js';
import { startLoadServer, type LoadServer, type LoadServerOptions } from '../../isolation/load-server.js';
import { makeCa, type Pem, type TestCa } from './certs.js';

const report: NodeLoadReport = {
  nodeName: 'node-a',
  timestampMs: 1_700_000_000_000,
  windowMs: 2000,
  capacity: { cpuMilli: 8000, memoryBytes: 32 * 2 ** 30 },
  usage: { cpuMilli: 3100, memoryBytes: 12 * 2 ** 30 },
  classes: [
    { qos: 'online', cpuMilli: 2000, memoryBytes: 8 * 2 ** 30, pods: 3 },
    { qos: 'offline', cpuMilli: 900, memoryBytes: 3 * 2 ** 30, pods: 2 },
    { qos: 'system', cpuMilli: 200, memoryBytes: 2 ** 30, pods: 0 },
  ],
  offlineBudgetMilli: 1400,
  offlineCpus: 2,
};

let ca: TestCa;
let server: Pem;
let client: Pem;
let running: LoadServer | null = null;

beforeAll(() => {
  ca = makeCa();
  server = ca.issue('localhost', { server: true });
  client = ca.issue('scheduler');
});

afterEach(async () => {
  await running?.close();
  running = null;
});

async function start(extra: Partial<LoadServerOptions>): Promise<number> {
  running = await startLoadServer({ host: '127.0.0.1', port: 0, latest: () => report, intervalMs: 500, ...extra });
  return running.port;
}

async function firstTwo(o: LoadClientOptions): Promise<NodeLoadReport[]> {
  const ac = new AbortController();
  const got: NodeLoadReport[] = [];
  for await (const r of streamNodeLoad({ ...o, signal: ac.signal })) {
    got.push(r);
    if (got.length === 2) ac.abort();
  }
  return got;
}

async function failure(o: LoadClientOptions): Promise<LoadStreamError> {
  try {
    for await (const _ of streamNodeLoad(o)) throw new Error('received a report without authenticating');
  } catch (err) {
    return err as LoadStreamError;
  }
  throw new Error('stream ended without an error');
}

describe('node load stream over gRPC', () => {
  it('streams reports to a client with a certificate from the shared CA', async () => {
    const port = await start({ tls: { ...server, clientCaPem: ca.certPem } });
    const got = await firstTwo({ address: `127.0.0.1:${port}`, tls: { caPem: ca.certPem, ...client } });
    expect(got).toEqual([report, report]);
  });

  it('accepts a bearer token over TLS without a client certificate', async () => {
    const port = await start({ tls: server, tokens: ['s3cret'] });
    const got = await firstTwo({ address: `127.0.0.1:${port}`, tls: { caPem: ca.certPem }, token: 's3cret' });
    expect(got[0]!.classes.map((c) => c.qos)).toEqual(['online', 'offline', 'system']);
  });

  it('rejects anonymous callers, wrong tokens and certificates from another CA with UNAUTHENTICATED', async () => {
    const port = await start({ tls: { ...server, clientCaPem: ca.certPem }, tokens: ['s3cret'] });
    const address = `127.0.0.1:${port}`;
    const anon = await failure({ address, tls: { caPem: ca.certPem } });
    expect(anon).toBeInstanceOf(LoadStreamError);
    expect(anon.code).toBe(status.UNAUTHENTICATED);
    expect(anon.message).toContain('no client certificate or bearer token');
    expect((await failure({ address, tls: { caPem: ca.certPem }, token: 'guess' })).code).toBe(status.UNAUTHENTICATED);
    const stranger = makeCa('other-ca').issue('intruder');
    expect((await failure({ address, tls: { caPem: ca.certPem, ...stranger } })).code).toBe(status.UNAUTHENTICATED);
  });

  it('refuses to start without a way to authenticate callers, or without TLS unless told', async () => {
    await expect(startLoadServer({ host: '127.0.0.1', port: 0, tls: server, latest: () => report })).rejects.toThrow('refusing to serve node load anonymously');
    await expect(startLoadServer({ host: '127.0.0.1', port: 0, tokens: ['t'], latest: () => report })).rejects.toThrow('needs TLS');
  });

  it('works in plaintext with a token when explicitly allowed (loopback tests)', async () => {
    const port = await start({ plaintext: true, tokens: ['t'] });
    const got = await firstTwo({ address: `127.0.0.1:${port}`, plaintext: true, token: 't' });
    expect(got).toHaveLength(2);
  });

  it('ends open streams when the server closes', async () => {
    const port = await start({ plaintext: true, tokens: ['t'] });
    const seen: NodeLoadReport[] = [];
    const consume = (async () => {
      for await (const r of streamNodeLoad({ address: `127.0.0.1:${port}`, plaintext: true, token: 't' })) {
        seen.push(r);
        if (seen.length === 1) void running!.close();
      }
    })();
    await consume;
    running = null;
    expect(seen.length).toBeGreaterThanOrEqual(1);
  });
});
