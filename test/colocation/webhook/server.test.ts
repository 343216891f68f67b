// The webhook's HTTPS surface: reviews in and out, bad requests as Kubernetes Statuses,
// /healthz /readyz /metrics, configuration errors that name the flag, serving certificates
// from files, and a clean close (by close() or by the signal).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../../kube/index.js';
import { startWebhook, WebhookConfigError, type NamespaceLabels, type WebhookHandle } from '../../../colocation/webhook/index.js';
import { call, postReview } from './helpers.js';

const silent = pino({ level: 'silent' });

function review(uid: string, labels: Record<string, string>, namespace = 'default'): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace,
      operation: 'CREATE',
      object: { metadata: { name: uid, namespace, labels }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] } },
    },
  });
}

describe('serving reviews', () => {
  let server: WebhookHandle;
  let registry: Registry;
  let synced = false;
  const namespaces: NamespaceLabels = {
    get: (ns) => Promise.resolve<Record<string, string>>(ns === 'batch' ? { 'tidepool.dev/colocation': 'enabled' } : {}),
    synced: () => synced,
    stop: () => Promise.resolve(),
  };

  beforeAll(async () => {
    registry = new Registry();
    server = await startWebhook({ host: '127.0.0.1', port: 0, registry, namespaceLabels: namespaces, logger: silent });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers an offline pod with a patch and an online one without', async () => {
    const offline = await postReview(server, review('exec', { 'spark-role': 'executor' }));
    expect(offline.status).toBe(200);
    expect((offline.json?.['response'] as Record<string, unknown>)['patchType']).toBe('JSONPatch');
    const online = await postReview(server, review('web', { app: 'web' }));
    expect(online.json?.['response']).toEqual({ uid: 'web', allowed: true });
    const optedIn = await postReview(server, review('etl', { app: 'etl' }, 'batch'));
    expect((optedIn.json?.['response'] as Record<string, unknown>)['patchType']).toBe('JSONPatch');
  });

  it('refuses what is not an AdmissionReview with a 400 Status', async () => {
    for (const [body, message] of [
      ['', 'the body is empty; an AdmissionReview is required'],
      ['{"apiVersion": ', 'the body is not JSON: '],
      ['{"apiVersion":"v1","kind":"Pod"}', 'expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got "v1" and "Pod"'],
    ] as const) {
      const r = await postReview(server, body);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400 });
      expect(String(r.json?.['message'])).toContain(message);
    }
  });

  it('answers unknown paths with a 404 Status that names the review path', async () => {
    const r = await call(server, 'POST', '/mutate', '{}');
    expect(r.status).toBe(404);
    expect(r.json?.['message']).toBe('no route POST /mutate: AdmissionReviews go to POST /mutate-pods');
  });

  it('is healthy at once and ready once the namespace list is in', async () => {
    expect((await call(server, 'GET', '/healthz')).status).toBe(200);
    const notYet = await call(server, 'GET', '/readyz');
    expect(notYet.status).toBe(503);
    expect(notYet.body).toBe('waiting for the namespace list');
    synced = true;
    expect((await call(server, 'GET', '/readyz')).status).toBe(200);
  });

  it('counts reviews by outcome and times them, on the registry it was given', async () => {
    const text = (await call(server, 'GET', '/metrics')).body;
    expect(text).toContain('tidepool_webhook_mutations_total{outcome="mutated"} 2');
    expect(text).toContain('tidepool_webhook_mutations_total{outcome="online"} 1');
    expect(text).toContain('tidepool_webhook_bad_requests_total 3');
    expect(text).toContain('tidepool_webhook_review_duration_seconds_count{outcome="mutated"} 2');
    expect(await registry.getSingleMetricAsString('tidepool_webhook_mutations_total')).toContain('outcome="mutated"');
  });
});

describe('configuration', () => {
  it.each([
    [{ port: 70000 }, '--secure-port: 70000 is not a port number (0-65535)'],
    [{ host: 'not an ip' }, '--bind-address: "not an ip" is not an IP address'],
    [{ path: 'mutate' }, '--webhook-path: "mutate" must be an absolute URL path (letters, digits, . _ ~ - /)'],
    [{ path: '/metrics' }, '--webhook-path: "/metrics" is taken by the health and metrics endpoints'],
    [{ hosts: ['bad host!'] }, '--tls-san: "bad host!" is neither an IP address nor a DNS name'],
    [{ tls: { certFile: '/nonexistent/tls.crt', keyFile: '/nonexistent/tls.key' } }, '--tls-cert-file: cannot read /nonexistent/tls.crt'],
  ])('%j is refused, naming the flag', async (opts, message) => {
    const err = await startWebhook({ host: '127.0.0.1', port: 0, logger: silent, ...opts }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WebhookConfigError);
    expect((err as Error).message).toContain(message);
  });

  it('a port in use is an error naming the flags', async () => {
    const first = await startWebhook({ host: '127.0.0.1', port: 0, logger: silent });
    try {
      await expect(startWebhook({ host: '127.0.0.1', port: first.port, logger: silent })).rejects.toThrow(`cannot listen on 127.0.0.1:${first.port} (--bind-address, --secure-port)`);
    } finally {
      await first.close();
    }
  });
});

describe('serving certificates', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tidepool-webhook-tls-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the certificate from --tls-cert-file and returns --tls-ca-file as caPem', async () => {
    const ca = createCertificateAuthority('test-webhook-ca');
    const leaf = ca.issue({ commonName: 'webhook', usage: 'server', ipAddresses: ['127.0.0.1'] });
    writeFileSync(join(dir, 'tls.crt'), leaf.cert);
    writeFileSync(join(dir, 'tls.key'), leaf.key);
    writeFileSync(join(dir, 'ca.crt'), ca.cert);
    const server = await startWebhook({
      host: '127.0.0.1',
      port: 0,
      logger: silent,
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caFile: join(dir, 'ca.crt') },
    });
    try {
      expect(server.caPem).toBe(ca.cert);
      expect((await call(server, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('a key file without a key is refused', async () => {
    writeFileSync(join(dir, 'empty.key'), 'nothing here\n');
    await expect(startWebhook({ host: '127.0.0.1', port: 0, logger: silent, tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'empty.key') } })).rejects.toThrow(
      `--tls-private-key-file: ${join(dir, 'empty.key')} holds no PEM PRIVATE KEY`,
    );
  });

  it('a self-signed certificate names the hosts it was asked for', async () => {
    const server = await startWebhook({ host: '127.0.0.1', port: 0, logger: silent, hosts: ['webhook.example.svc'] });
    try {
      // 127.0.0.1 is not among its names, so the default check refuses it...
      await expect(call(server, 'GET', '/healthz')).rejects.toThrow(/altnames/);
    } finally {
      await server.close();
    }
  });
});

describe('shutdown', () => {
  it('aborting the signal closes the server', async () => {
    const ac = new AbortController();
    const server = await startWebhook({ host: '127.0.0.1', port: 0, logger: silent, signal: ac.signal });
    expect((await call(server, 'GET', '/healthz')).status).toBe(200);
    ac.abort();
    await server.close();
    await expect(call(server, 'GET', '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });
});
