// The real kubectl (1.32) against the sim's auth APIs: `create token` (TokenRequest, sent
// as protobuf), `auth can-i` (SelfSubjectAccessReview, --as impersonation, --list),
// `auth whoami` (SelfSubjectReview), and what a ServiceAccount token's user sees when
// RBAC refuses it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, Kubectl } from '../../helpers/kubectl.js';
import { accessFor, raw, startTestSim, waitFor, type ClusterAccess, type TestSim } from '../e2e/helpers.js';
import { claimsOf } from './helpers.js';

const NS = 'ci';
const BOT = `system:serviceaccount:${NS}:bot`;

let t: TestSim;
let k: Kubectl;
let access: ClusterAccess;

beforeAll(async () => {
  if (!hasKubectl) return;
  t = await startTestSim({ nodes: 1 });
  k = new Kubectl(t.sim.kubeconfig);
  access = accessFor(t.sim.kubeconfig, 'host');
  await k.ok(['create', 'namespace', NS]);
  await k.ok(['create', 'serviceaccount', 'bot', '-n', NS]);
  await k.ok(['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods,pods/log', '-n', NS]);
  await k.ok(['create', 'rolebinding', 'bot-reads-pods', '--role=pod-reader', `--serviceaccount=${NS}:bot`, '-n', NS]);
}, 60_000);

afterAll(async () => {
  k?.cleanup();
  await t?.stop();
});

async function reviewed(token: string, audiences?: string[]): Promise<{ authenticated?: boolean; user?: { username: string } }> {
  const r = await raw(access, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } }),
  });
  return r.json!['status'] as { authenticated?: boolean; user?: { username: string } };
}

describe.skipIf(!hasKubectl)('kubectl create token', () => {
  it('prints a token the cluster authenticates as the ServiceAccount', { timeout: 30_000 }, async () => {
    const token = (await k.ok(['create', 'token', 'bot', '-n', NS])).trim();
    expect(token.split('.')).toHaveLength(3);
    expect((await reviewed(token)).user?.username).toBe(BOT);
    expect((await k.ok(['auth', 'whoami', '--token', token])).split('\n')[1]).toMatch(new RegExp(`^Username\\s+${BOT}$`));
  });

  it('passes --duration, --audience and --bound-object-* to the TokenRequest', { timeout: 30_000 }, async () => {
    await k.ok(['run', 'job-pod', '--image=busybox', '--restart=Never', '--overrides', JSON.stringify({ spec: { serviceAccountName: 'bot' } }), '-n', NS]);
    const token = (await k.ok(['create', 'token', 'bot', '-n', NS, '--duration=20m', '--audience=vault', '--bound-object-kind=Pod', '--bound-object-name=job-pod'])).trim();
    const claims = claimsOf(token);
    expect(claims['aud']).toBe('vault');
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(1200);
    expect(claims['kubernetes.io']).toMatchObject({ pod: { name: 'job-pod' } });
    expect((await reviewed(token, ['vault'])).authenticated).toBe(true);
    expect((await reviewed(token)).authenticated).toBeUndefined();
  });

  it('reports what the server refuses', { timeout: 30_000 }, async () => {
    const missing = await k.run(['create', 'token', 'ghost', '-n', NS]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim()).toBe('error: failed to create token: serviceaccounts "ghost" not found');
    const tooShort = await k.run(['create', 'token', 'bot', '-n', NS, '--duration=5m']);
    expect(tooShort.stderr).toContain('may not specify a duration less than 10 minutes');
  });
});

describe.skipIf(!hasKubectl)('kubectl auth can-i', () => {
  it('answers yes for the admin and, impersonating the ServiceAccount, what its Role grants', { timeout: 30_000 }, async () => {
    expect(await k.ok(['auth', 'can-i', 'delete', 'nodes'])).toBe('yes\n');
    const asBot = (args: string[]) => k.run(['auth', 'can-i', ...args, '-n', NS, `--as=${BOT}`]);
    expect(await asBot(['list', 'pods'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await asBot(['get', 'pods', '--subresource=log'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await asBot(['create', 'pods'])).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await asBot(['get', 'secrets'])).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await asBot(['get', '/metrics'])).toMatchObject({ code: 1, stdout: 'no\n' });
  });

  it('--list shows the rules that apply in the namespace', { timeout: 30_000 }, async () => {
    const out = await k.ok(['auth', 'can-i', '--list', '-n', NS, `--as=${BOT}`]);
    const row = out.split('\n').find((l) => l.startsWith('pods/log '));
    expect(row).toBeDefined();
    expect(row!.trim().split(/\s{2,}/)).toEqual(['pods/log', '[]', '[]', '[get list watch]']);
  });

  it('with a ServiceAccount token, kubectl shows kube\'s Forbidden message', { timeout: 30_000 }, async () => {
    const token = (await k.ok(['create', 'token', 'bot', '-n', NS])).trim();
    expect((await k.ok(['auth', 'can-i', 'list', 'pods', '-n', NS, '--token', token]))).toBe('yes\n');
    const r = await k.run(['get', 'pods', '-n', 'default', '--token', token]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`Error from server (Forbidden): pods is forbidden: User "${BOT}" cannot list resource "pods" in API group "" in the namespace "default"`);
    expect((await k.run(['get', 'pods', '-n', NS, '--token', token])).code).toBe(0);
  });
});

describe.skipIf(!hasKubectl)('kubectl exec with a ServiceAccount token', () => {
  it('needs create on pods/exec as well as get (the WebSocket upgrade is a GET)', { timeout: 40_000 }, async () => {
    await k.ok(['run', 'shell', '--image=busybox', '--restart=Never', '-n', NS]);
    await waitFor('the pod to run', async () => (await k.ok(['get', 'pod', 'shell', '-n', NS, '-o', 'jsonpath={.status.phase}'])) === 'Running', 20_000, 200);
    await k.ok(['create', 'role', 'exec-get', '--verb=get', '--resource=pods/exec', '-n', NS]);
    await k.ok(['create', 'rolebinding', 'bot-exec-get', '--role=exec-get', `--serviceaccount=${NS}:bot`, '-n', NS]);
    const token = (await k.ok(['create', 'token', 'bot', '-n', NS])).trim();
    const refused = await k.run(['exec', 'shell', '-n', NS, '--token', token, '--', 'echo', 'hi']);
    expect(refused.stderr.trim()).toBe(`Error from server (Forbidden): pods "shell" is forbidden: User "${BOT}" cannot create resource "pods/exec" in API group "" in the namespace "${NS}"`);
    await k.ok(['create', 'role', 'exec-create', '--verb=create', '--resource=pods/exec', '-n', NS]);
    await k.ok(['create', 'rolebinding', 'bot-exec-create', '--role=exec-create', `--serviceaccount=${NS}:bot`, '-n', NS]);
    expect(await k.ok(['exec', 'shell', '-n', NS, '--token', token, '--', 'echo', 'hi'])).toBe('hi\n');
  });
});

describe.skipIf(!hasKubectl)('discovery and OpenAPI', () => {
  it('list the review kinds and serviceaccounts/token, and kubectl explain reads their schemas', { timeout: 30_000 }, async () => {
    const resources = await k.ok(['api-resources', '--api-group=authorization.k8s.io', '-o', 'name']);
    expect(resources.trim().split('\n')).toEqual([
      'localsubjectaccessreviews.authorization.k8s.io',
      'selfsubjectaccessreviews.authorization.k8s.io',
      'selfsubjectrulesreviews.authorization.k8s.io',
      'subjectaccessreviews.authorization.k8s.io',
    ]);
    const core = (await raw(access, 'GET', '/api/v1')).json as { resources: Array<Record<string, unknown>> };
    expect(core.resources.find((r) => r['name'] === 'serviceaccounts/token')).toMatchObject({ kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] });
    const explained = await k.ok(['explain', 'tokenreview.status.user']);
    expect(explained).toContain('KIND:       TokenReview');
    expect(explained).toMatch(/username\s+<string>/);
  });
});
