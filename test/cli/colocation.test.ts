// `tidepool colocation` and its parts alone (`tidepool scheduler`, `webhook`, `batch-controller`)
// as processes against a simulated cluster: a bad flag is refused naming the flag before anything
// starts; one HTTP server answers health, readiness and metrics for every part that runs, the
// batch breakdown and the extender; the --no-... switches and the single-part commands run only
// what they say; SIGTERM ends the process with exit code 0.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { KubeClient } from '../../kube/index.js';
import { REPO_ROOT, runCliToEnd, startCli, type CliProcess, type CliRun } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';
import { startTestSim, type TestSim } from '../sim/e2e/helpers.js';

let t: TestSim;
let kubeconfig: string;
let client: KubeClient;
const started: CliProcess[] = [];

beforeAll(async () => {
  t = await startTestSim({ clusters: ['c'], nodes: 2, nodeShape: { cpu: '8', memory: '32Gi', pods: 110 }, startDelayMs: 50 });
  kubeconfig = t.sim.kubeconfigPath!;
  client = new KubeClient({ config: { kind: 'inline', text: t.sim.kubeconfig }, qps: 200, burst: 200 });
  // The ColocationPolicy CRD, as deploy/ installs it: without it the parts wait for policies that never list.
  const crd = parseYaml(readFileSync(join(REPO_ROOT, 'deploy/crds/colocationpolicy.yaml'), 'utf8')) as object;
  await client.request({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: crd });
  await waitFor('ColocationPolicies served', async () => (await client.request({ path: '/apis/tidepool.dev/v1alpha1/colocationpolicies' })).status === 200, 15_000);
}, 60_000);

afterAll(async () => {
  for (const p of started) await p.kill();
  client?.close();
  await t?.stop();
});

/** Runs the CLI to its end (bounded), for commands that must not start. */
const runToEnd = (args: string[]): Promise<CliRun> => runCliToEnd(args, 50_000);

interface Started {
  proc: CliProcess;
  parts: string[];
  listen: string;
  webhook: { port: number; url: string | null } | null;
}

/** Starts a colocation command on the sim; resolves once it logged that everything listens. */
async function start(command: string, extra: string[] = []): Promise<Started> {
  const proc = await startCli(
    // The webhook is stateless: it has no leader election to tune.
    [command, '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0', ...(command === 'webhook' ? [] : ['--lease-duration', '3']), ...extra],
    /"msg":"colocation started"/,
    60_000,
  );
  started.push(proc);
  const line = proc.stdout().split('\n').find((l) => l.includes('"msg":"colocation started"'))!;
  const o = JSON.parse(line) as { parts: string[]; listen: string; webhook: Started['webhook'] };
  return { proc, parts: o.parts, listen: o.listen, webhook: o.webhook };
}

async function stopWithSigterm(s: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  s.proc.child.kill('SIGTERM');
  return Promise.race([s.proc.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within 20 s of SIGTERM')), 20_000))]);
}

async function metrics(s: Started): Promise<string> {
  return (await fetch(`${s.listen}/metrics`)).text();
}

const WEBHOOK_FLAGS = ['--bind-address', '127.0.0.1', '--secure-port', '0'];

describe('flags', () => {
  it('a malformed value is refused by name, with exit code 1 and nothing started', async () => {
    const r = await runToEnd(['colocation', '--kubeconfig', kubeconfig, '--qps', 'lots']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`option '--qps <n>' argument 'lots' is invalid. --qps must be an integer, got "lots"`);
    expect(r.stdout).toBe('');
  }, 60_000);

  it("the parts' own checks and the checks across flags name every problem at once, before anything starts", async () => {
    const r = await runToEnd([
      'colocation', '--kubeconfig', kubeconfig, '--no-webhook', '--register-webhook', '--tls-cert-file', 'cert.pem',
      '--batch-change-percent', '150', '--percentage-of-nodes-to-score', '101', '--metrics-interval-seconds', '0', '--policy-name', 'Not_A_Name',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tidepool colocation: invalid flags:');
    expect(r.stderr).toContain('--batch-change-percent must be a percent from 0 to 100, got "150"');
    expect(r.stderr).toContain('--percentage-of-nodes-to-score: must be a number from 0 to 100, got 101');
    expect(r.stderr).toContain('--metrics-interval-seconds must be a number of seconds from 1 to 3600, got "0"');
    expect(r.stderr).toContain('--policy-name must be a Kubernetes object name');
    expect(r.stderr).toContain('--register-webhook needs the webhook: drop --no-webhook');
    expect(r.stderr).toContain('--tls-cert-file and --tls-private-key-file go together');
    // No log line: no part started, no Lease was taken.
    expect(r.stdout).toBe('');
    await expect(client.request({ path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/tidepool-batch-controller' })).rejects.toMatchObject({ code: 404 });
  }, 60_000);

  it('a context the kubeconfig does not have is named', async () => {
    const r = await runToEnd(['scheduler', '--kubeconfig', kubeconfig, '--context', 'nowhere']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--context: kubeconfig ${kubeconfig}: no context "nowhere" (have: c)`);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('an unreadable serving certificate is named, and no part starts', async () => {
    // The webhook starts first: its certificate is read before any controller acts.
    const r = await runToEnd(['colocation', '--kubeconfig', kubeconfig, ...WEBHOOK_FLAGS, '--tls-cert-file', '/nonexistent/tls.crt', '--tls-private-key-file', '/nonexistent/tls.key']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--tls-cert-file: cannot read \/nonexistent\/tls\.crt/);
    expect(r.stdout).not.toMatch(/"part":"(scheduler|batch|eviction)"/);
    expect(r.stdout).not.toContain('colocation started');
  }, 60_000);
});

describe('tidepool colocation', () => {
  let all: Started;

  beforeAll(async () => {
    all = await start('colocation', [...WEBHOOK_FLAGS, '--metrics-interval-seconds', '1']);
  }, 60_000);

  it('runs every part and answers /healthz and /readyz for all of them', async () => {
    expect(all.parts).toEqual(['scheduler', 'webhook', 'batch', 'eviction']);
    expect(all.webhook?.port).toBeGreaterThan(0);
    const health = await fetch(`${all.listen}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');
    const ready = await waitFor('ready', async () => {
      const r = await fetch(`${all.listen}/readyz`);
      return r.status === 200 ? r.text() : undefined;
    }, 20_000);
    expect(ready).toBe('ok: webhook, scheduler, batch, eviction');
  });

  it("serves every part's metrics from one registry, and each part leads on its own Lease", async () => {
    await waitFor('every part leading', async () => /^tidepool_batch_leader 1$/m.test(await metrics(all)) && /^tidepool_eviction_leader 1$/m.test(await metrics(all)), 20_000);
    const text = await metrics(all);
    for (const family of ['tidepool_scheduler_queue_pods', 'tidepool_webhook_', 'tidepool_batch_', 'tidepool_eviction_', 'tidepool_colocation_load_samples_total', 'tidepool_kube_requests_total']) {
      expect(text).toContain(family);
    }
    const holder = async (lease: string): Promise<string | undefined> =>
      (await client.requestJson<{ spec: { holderIdentity?: string } }>({ path: `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${lease}` })).spec.holderIdentity;
    const scheduler = await waitFor('the scheduler Lease', () => holder('tidepool-scheduler'), 20_000);
    expect(await holder('tidepool-batch-controller')).toBe(scheduler);
    expect(await holder('tidepool-offline-eviction')).toBe(scheduler);
  });

  it("explains a node's batch capacity and answers the extender, with a Kubernetes Status for bad requests", async () => {
    const breakdown = await waitFor('a breakdown from load data', async () => {
      const r = await fetch(`${all.listen}/api/v1/batch/nodes/c-node-0`);
      const body = (await r.json()) as { breakdown?: { node: string; source: string | null } };
      return r.status === 200 && body.breakdown?.source === 'metrics-api' ? body.breakdown : undefined;
    }, 20_000);
    expect(breakdown.node).toBe('c-node-0');
    const bad = await fetch(`${all.listen}/api/v1/batch/nodes/Not_A_Node`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });

    const pod = { metadata: { name: 'asked', namespace: 'default', uid: 'u-1' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }] } };
    const filter = await fetch(`${all.listen}/scheduler/filter`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Pod: pod, NodeNames: ['c-node-0', 'c-node-1'] }) });
    expect(filter.status).toBe(200);
    expect(await filter.json()).toMatchObject({ NodeNames: ['c-node-0', 'c-node-1'], Error: '' });
    const malformed = await fetch(`${all.listen}/scheduler/filter`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"Pod": ' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });

    const unknown = await fetch(`${all.listen}/apis/nothing`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toBe(
      'no route GET /apis/nothing: this process serves GET /healthz, GET /readyz, GET /metrics, GET /api/v1/batch/nodes/<node>, POST /scheduler/{filter,prioritize,bind}',
    );
  });

  it('SIGTERM stops every part: exit code 0, the ports closed', async () => {
    const end = await stopWithSigterm(all);
    expect(end).toEqual({ code: 0, signal: null });
    expect(all.proc.stdout()).toContain('"msg":"stopped"');
    await expect(fetch(`${all.listen}/healthz`)).rejects.toThrow();
    await expect(fetch(`https://127.0.0.1:${all.webhook!.port}/healthz`)).rejects.toThrow();
  });
});

describe('switches and single parts', () => {
  it('--no-scheduler --no-webhook --no-eviction leaves the batch controller alone, publishing batch capacity', async () => {
    const s = await start('colocation', ['--no-scheduler', '--no-webhook', '--no-eviction', '--no-leader-elect', '--metrics-interval-seconds', '1']);
    try {
      expect(s.parts).toEqual(['batch']);
      expect(s.webhook).toBeNull();
      await waitFor('ready', async () => (await (await fetch(`${s.listen}/readyz`)).text()) === 'ok: batch', 20_000);
      const text = await metrics(s);
      expect(text).toContain('tidepool_batch_leader 1');
      expect(text).not.toContain('tidepool_scheduler_');
      expect(text).not.toContain('tidepool_webhook_');
      expect(text).not.toContain('tidepool_eviction_');
      expect((await fetch(`${s.listen}/scheduler/filter`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(404);
      // What the part is for, seen in the cluster: the node carries batch capacity.
      await waitFor('batch-cpu on c-node-1', async () => {
        const n = await client.requestJson<{ status: { allocatable: Record<string, string> } }>({ path: '/api/v1/nodes/c-node-1' });
        return n.status.allocatable['kubernetes.io/batch-cpu'] !== undefined;
      }, 30_000);
      expect(await stopWithSigterm(s)).toEqual({ code: 0, signal: null });
    } finally {
      await s.proc.kill();
    }
  }, 90_000);

  it('tidepool scheduler runs the scheduler alone and binds the pods that name it', async () => {
    const s = await start('scheduler', ['--no-leader-elect']);
    try {
      expect(s.parts).toEqual(['scheduler']);
      const text = await metrics(s);
      expect(text).toContain('tidepool_scheduler_queue_pods');
      expect(text).not.toContain('tidepool_batch_');
      expect(text).not.toContain('tidepool_webhook_');
      await client.request({
        method: 'POST',
        path: '/api/v1/namespaces/default/pods',
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'for-tidepool' }, spec: { schedulerName: 'tidepool-scheduler', containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }] } },
      });
      const node = await waitFor('the pod bound', async () => (await client.requestJson<{ spec: { nodeName?: string } }>({ path: '/api/v1/namespaces/default/pods/for-tidepool' })).spec.nodeName, 20_000);
      expect(node).toMatch(/^c-node-[01]$/);
      expect(await stopWithSigterm(s)).toEqual({ code: 0, signal: null });
    } finally {
      await s.proc.kill();
    }
  }, 90_000);

  it('tidepool webhook runs the webhook alone, with health on --listen', async () => {
    const s = await start('webhook', WEBHOOK_FLAGS);
    try {
      expect(s.parts).toEqual(['webhook']);
      expect(s.webhook?.url).toBeNull();
      expect(await (await fetch(`${s.listen}/readyz`)).text()).toBe('ok: webhook');
      const text = await metrics(s);
      expect(text).toContain('tidepool_webhook_');
      expect(text).not.toContain('tidepool_scheduler_');
      expect(text).not.toContain('tidepool_batch_');
      expect(await stopWithSigterm(s)).toEqual({ code: 0, signal: null });
    } finally {
      await s.proc.kill();
    }
  }, 90_000);
});
