// The capacity API behind authentication, as kube-rbac-proxy guards a service: a caller's bearer
// token goes to the host cluster (the sim) as a TokenReview and its user is authorized with a
// SubjectAccessReview for the URL path, or for a resource the operator names. Refusals are
// Kubernetes Statuses; answers are cached for a short while; the probes stay open.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Federation, buildServer, parseAuthResource, type ServerAuthOptions } from '../../federation/index.js';
import { KubeClient, selfSignedServingCertificate } from '../../kube/index.js';
import { renderKubeconfig } from '../../sim/index.js';
import YAML from 'yaml';
import { waitFor } from '../helpers/wait.js';
import { clusterRole, clusterRoleBinding, create, role, roleBinding, sa, startAuthCluster, type AuthCluster } from '../sim/auth/helpers.js';
import { expectStatus, raw, type ClusterAccess } from '../sim/e2e/helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const NS = 'tidepool-system';

let t: AuthCluster;
let dir: string;
let kubeconfigPath: string;
let host: KubeClient;
let fed: Federation;
const servers: FastifyInstance[] = [];
/** Reviews the capacity server sent to the host, by kind. */
const reviews = { tokenreviews: 0, subjectaccessreviews: 0 };
let nowMs = Date.now();

async function serve(auth: Omit<ServerAuthOptions, 'host'>): Promise<ClusterAccess> {
  const tls = selfSignedServingCertificate(['127.0.0.1']);
  const app = buildServer({ federation: fed, tls: { cert: tls.cert, key: tls.key }, auth: { host, clock: { now: () => nowMs }, ...auth } });
  servers.push(app);
  const server = await app.listen({ host: '127.0.0.1', port: 0 });
  return { server, ca: tls.caCert, token: '' };
}

async function serviceAccount(name: string): Promise<string> {
  await create(t.access, `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
  return t.cluster.issueToken(NS, name);
}

beforeAll(async () => {
  t = await startAuthCluster('host');
  dir = mkdtempSync(join(tmpdir(), 'tidepool-cap-auth-'));
  const kubeconfig = renderKubeconfig([t.cluster.kubeconfigEntry()]);
  kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
  host = new KubeClient({
    config: { kind: 'inline', text: kubeconfig, context: 'host' },
    timeoutMs: 5_000,
    maxAttempts: 1,
    onRequest: (e) => {
      for (const k of Object.keys(reviews) as Array<keyof typeof reviews>) if (e.path.endsWith(`/${k}`)) reviews[k]++;
    },
  });
  fed = new Federation({ readyTimeoutMs: 5_000 });
  await create(t.access, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await create(t.access, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', YAML.parse(readFileSync(join(ROOT, 'deploy/crds/membercluster.yaml'), 'utf8')));
  // What a dashboard reader is given: GET on the capacity document and the metrics, no placements.
  await create(t.access, ...clusterRole('capacity-reader', [{ verbs: ['get'], nonResourceURLs: ['/api/v1/capacity', '/api/v1/clusters', '/metrics'] }]));
  await create(t.access, ...role(NS, 'capacity-proxy', [{ verbs: ['get'], apiGroups: [''], resources: ['services/proxy'], resourceNames: ['tidepool-capacity'] }]));
}, 60_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  await fed?.stop();
  host?.close();
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const AS_SERVICE_PROXY = parseAuthResource('namespace=tidepool-system,resource=services,subresource=proxy,name=tidepool-capacity');

describe('the capacity API with authentication', () => {
  it('answers 401 with a Status to a caller without a token or with one the host does not know', async () => {
    const api = await serve({ resourceAttributes: AS_SERVICE_PROXY });
    expectStatus(await raw(api, 'GET', '/api/v1/capacity', { token: null }), 401, 'Unauthorized');
    expectStatus(await raw(api, 'GET', '/api/v1/capacity', { token: 'not-a-token-the-cluster-signed' }), 401, 'Unauthorized');
    // A token signed by the cluster for another audience is not good here either.
    await create(t.access, `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'elsewhere' } });
    const foreign = t.cluster.issueToken(NS, 'elsewhere', { audiences: ['vault'] });
    expectStatus(await raw(api, 'GET', '/api/v1/capacity', { token: foreign }), 401, 'Unauthorized');
  });

  it('as a resource: lets a user in only with the verb its method maps to, and refuses with 403 naming user, verb and resource', async () => {
    const api = await serve({ resourceAttributes: AS_SERVICE_PROXY });
    const token = await serviceAccount('proxied');
    const denied = expectStatus(await raw(api, 'GET', '/api/v1/capacity', { token }), 403, 'Forbidden');
    expect(denied['message']).toBe(`forbidden: User "system:serviceaccount:${NS}:proxied" cannot get resource "services/proxy" in API group "" in the namespace "${NS}"`);
    await create(t.access, ...roleBinding(NS, 'proxied', { kind: 'Role', name: 'capacity-proxy' }, [sa(NS, 'proxied')]));
    // The refusal above is remembered for a while (denied answers are cached): move past it.
    nowMs += 11_000;
    const ok = await raw(api, 'GET', '/api/v1/capacity', { token });
    expect(ok.status).toBe(200);
    expect(ok.json).toHaveProperty('clusters');
    expect((await raw(api, 'GET', '/metrics', { token })).body).toMatch(/^# HELP tidepool_federation_/m);
    // Reading is not placing: POST asks for create, which the Role does not give.
    const placing = expectStatus(await raw(api, 'POST', '/api/v1/placements', { token, body: JSON.stringify({ pod: {} }) }), 403, 'Forbidden');
    expect(placing['message']).toContain('cannot create resource "services/proxy"');
  });

  it('keeps the probes open: the kubelet calls them without a token', async () => {
    const api = await serve({ resourceAttributes: AS_SERVICE_PROXY });
    expect((await raw(api, 'GET', '/healthz', { token: null })).status).toBe(200);
    expect((await raw(api, 'GET', '/readyz?verbose', { token: null })).status).toBe(200);
    expectStatus(await raw(api, 'GET', '/api/v1/clusters', { token: null }), 401, 'Unauthorized');
  });

  it('by URL path: /metrics needs its own grant, but /api/* is every authenticated user\'s through system:discovery', async () => {
    const api = await serve({});
    const token = await serviceAccount('scraper');
    const denied = expectStatus(await raw(api, 'GET', '/metrics', { token }), 403, 'Forbidden');
    expect(denied['message']).toBe(`forbidden: User "system:serviceaccount:${NS}:scraper" cannot get path "/metrics"`);
    await create(t.access, ...clusterRoleBinding('scraper-reads', 'capacity-reader', [sa(NS, 'scraper')]));
    nowMs += 11_000;
    expect((await raw(api, 'GET', '/metrics', { token })).status).toBe(200);
    expectStatus(await raw(api, 'POST', '/api/v1/placements', { token, body: '{}' }), 403, 'Forbidden');
    // Why the command authorizes as a resource: a ServiceAccount nobody granted anything reads the API by path.
    const anybody = await serviceAccount('anybody');
    expect((await raw(api, 'GET', '/api/v1/history', { token: anybody })).status).toBe(200);
  });

  it('reviews a token and an access once and reuses the answers briefly, so a revoked grant ends within a minute', async () => {
    const api = await serve({ resourceAttributes: AS_SERVICE_PROXY });
    const token = await serviceAccount('poller');
    await create(t.access, ...roleBinding(NS, 'poller', { kind: 'Role', name: 'capacity-proxy' }, [sa(NS, 'poller')]));
    const before = { ...reviews };
    for (let i = 0; i < 5; i++) expect((await raw(api, 'GET', '/api/v1/capacity', { token })).status).toBe(200);
    expect((await raw(api, 'GET', '/api/v1/clusters', { token })).status).toBe(200);
    expect({ tokenreviews: reviews.tokenreviews - before.tokenreviews, subjectaccessreviews: reviews.subjectaccessreviews - before.subjectaccessreviews }).toEqual({ tokenreviews: 1, subjectaccessreviews: 1 });

    const del = await raw(t.access, 'DELETE', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings/poller`);
    expect(del.status).toBe(200);
    expect((await raw(api, 'GET', '/api/v1/capacity', { token })).status).toBe(200);
    nowMs += 61_000;
    expectStatus(await raw(api, 'GET', '/api/v1/capacity', { token }), 403, 'Forbidden');
  });

  it('refuses when the host cluster cannot review: 401 for an unchecked token, 500 for an unchecked access', async () => {
    const api = await serve({ resourceAttributes: AS_SERVICE_PROXY });
    const token = await serviceAccount('unlucky');
    await create(t.access, ...roleBinding(NS, 'unlucky', { kind: 'Role', name: 'capacity-proxy' }, [sa(NS, 'unlucky')]));
    expect((await raw(api, 'GET', '/api/v1/capacity', { token })).status).toBe(200);
    await t.cluster.outage(true);
    try {
      // The token is known (cached), the verb is new: access cannot be checked.
      const failed = expectStatus(await raw(api, 'DELETE', '/api/v1/placements/east/default/x', { token }), 500, 'InternalError');
      expect(failed['message']).toContain('could not review');
      const fresh = t.cluster.issueToken(NS, 'unlucky');
      expectStatus(await raw(api, 'GET', '/api/v1/capacity', { token: fresh }), 401, 'Unauthorized');
    } finally {
      await t.cluster.outage(false);
    }
  });

  it('reads --authorize-resource as key=value pairs and names what is wrong', () => {
    expect(parseAuthResource('namespace=ns,resource=services,subresource=proxy,name=cap')).toEqual({ namespace: 'ns', resource: 'services', subresource: 'proxy', name: 'cap' });
    expect(parseAuthResource('group=tidepool.dev,resource=memberclusters')).toEqual({ group: 'tidepool.dev', resource: 'memberclusters' });
    expect(() => parseAuthResource('namespace=ns')).toThrow(/resource=<plural> is required/);
    expect(() => parseAuthResource('resource=services,verb=get')).toThrow(/"verb" is not one of/);
    expect(() => parseAuthResource('resource=Services')).toThrow(/resource needs a value/);
    expect(() => parseAuthResource('resource=a,resource=b')).toThrow(/given twice/);
  });
});

describe('tidepool capacity --serve --authenticate', { timeout: 90_000 }, () => {
  async function tidepool(...args: string[]): Promise<{ stderr: string; code: number }> {
    try {
      const { stderr } = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'capacity', ...args], { cwd: ROOT, timeout: 60_000 });
      return { stderr, code: 0 };
    } catch (err) {
      const e = err as { stderr: string; code: number };
      return { stderr: e.stderr, code: e.code };
    }
  }

  it('refuses to serve beyond loopback without authentication, and names the flags that go together', async () => {
    const [open, noHost, lone] = await Promise.all([
      tidepool('--kubeconfig', kubeconfigPath, '--host-context', 'host', '--serve', '0.0.0.0:0'),
      tidepool('--kubeconfig', kubeconfigPath, '--member-contexts', 'host', '--serve', '127.0.0.1:0', '--authenticate'),
      tidepool('--kubeconfig', kubeconfigPath, '--member-contexts', 'host', '--authorize-resource', 'resource=services'),
    ]);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('--serve 0.0.0.0:0 listens beyond loopback: add --authenticate');
    expect(noHost.stderr).toContain('--authenticate needs --host-context');
    expect(lone.stderr).toContain('--authorize-resource go with --authenticate');
    const bad = await tidepool('--authorize-resource', 'resource=services,colour=blue');
    expect(bad.stderr).toContain('--authorize-resource: "colour" is not one of');
  });

  it('serves HTTPS with a self-signed certificate and lets in only the callers the host authorizes', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'capacity', '--kubeconfig', kubeconfigPath, '--host-context', 'host', '--serve', '127.0.0.1:0', '--authenticate', '--timeout', '5'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const line = await waitFor('the listening line', () => log.split('\n').find((l) => l.includes('capacity API and console listening')), 60_000, 100);
      const { addr, authenticate, tls } = JSON.parse(line) as { addr: string; authenticate: boolean; tls: boolean };
      expect({ authenticate, tls, https: addr.startsWith('https://') }).toEqual({ authenticate: true, tls: true, https: true });
      const token = await serviceAccount('cli-reader');
      // The default: the caller needs what `kubectl proxy` to the tidepool-capacity Service needs.
      await create(t.access, ...roleBinding(NS, 'cli-reader', { kind: 'Role', name: 'capacity-proxy' }, [sa(NS, 'cli-reader')]));
      // The certificate is made at start and trusted by no one: this check is about who gets in.
      const status = (path: string, tok: string | null): Promise<number> =>
        new Promise((res, rej) => {
          const req = request(new URL(path, addr), { headers: tok ? { Authorization: `Bearer ${tok}` } : {}, rejectUnauthorized: false, timeout: 10_000 }, (r) => {
            r.resume();
            res(r.statusCode ?? 0);
          });
          req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
          req.on('error', rej);
          req.end();
        });
      expect(await status('/api/v1/capacity', null)).toBe(401);
      expect(await status('/api/v1/capacity', token)).toBe(200);
      expect(await status('/api/v1/history', token)).toBe(200);
      expect(await status('/api/v1/capacity', await serviceAccount('cli-stranger'))).toBe(403);
      expect(await status('/readyz', null)).toBe(200);
    } finally {
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
});
