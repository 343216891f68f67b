// `tidepool agent` end to end: the real wiring (runAgent) against a simulated
// Kubernetes API and a node laid out on disk. What a user sees: files written under
// the roots, the node's status annotation, Events on bad pods, evictions, the HTTP
// endpoints and the authenticated load stream.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentFlagError, parseAgentFlags, runAgent, STATUS_ANNOTATION, streamNodeLoad, type AgentFlags, type RunningAgent } from '../../isolation/index.js';
import { startSim, type Sim } from '../../sim/index.js';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { registerAgentCommand } from '../../cli/agent.js';
import { DiskNode } from './disk-node.js';
import { RealCgroupTree, cpusAllowed, realCgroupUnavailable } from './real-cgroup.js';
import { captureLog } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const NODE = 'host-node-0';

describe('tidepool agent against a simulated cluster', () => {
  let sim: Sim;
  let dir: string;
  let api: CoreV1Api;
  let seq = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidepool-agent-'));
    sim = await startSim({ clusters: ['host'], nodes: 1, dir, scheduler: false, startDelayMs: 0 });
    const kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    api = kc.makeApiClient(CoreV1Api);
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function flags(node: DiskNode, extra: AgentFlags = {}): AgentFlags {
    return {
      nodeName: NODE,
      kubeconfig: sim.kubeconfigPath!,
      cgroupRoot: node.cgroupRoot,
      sysRoot: node.sysRoot,
      procRoot: node.procRoot,
      resctrlRoot: 'off',
      cgroupDriver: 'cgroupfs',
      listen: '127.0.0.1:0',
      intervalSeconds: '0.2',
      logLevel: 'error',
      ...extra,
    };
  }

  async function createPod(name: string, qos: string | null, resources: Record<string, string> | null): Promise<V1Pod> {
    return api.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: `${name}-${++seq}`, ...(qos === null ? {} : { labels: { 'tidepool.dev/qos': qos } }) },
        spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox', ...(resources === null ? {} : { resources: { requests: resources } }) }] },
      },
    });
  }

  it('isolates the pods of its node, publishes what the node supports, and serves health and metrics', async () => {
    const node = new DiskNode(mkdtempSync(join(dir, 'node-')));
    const web = await createPod('web', 'online', { cpu: '500m', memory: '256Mi' });
    const batch = await createPod('batch', 'offline', null);
    const w = node.addPod(web.metadata!.uid!, 'burstable');
    const b = node.addPod(batch.metadata!.uid!, 'besteffort');
    const running = await runAgent(parseAgentFlags(flags(node)), { log: captureLog() });
    try {
      // 4 CPUs, online uses its 500m request until measured: offline gets 4000×65%−500 → 3 CPUs from the far end.
      await waitFor('the offline cpuset', () => node.read(b.dir, 'cpuset.cpus') === '1-3', 20_000);
      expect(node.read(b.containerDir, 'cpuset.cpus')).toBe('1-3');
      expect(node.read(w.dir, 'cpuset.cpus')).toBe('0');
      expect(node.read(b.dir, 'cpu.idle')).toBe('1');
      expect(node.read(b.dir, 'memory.soft_limit_in_bytes')).toBe('0');
      expect(node.oomScoreAdj(b.pid)).toBe('1000');
      expect(node.oomScoreAdj(w.pid)).toBe('0');

      const annotated = await waitFor('the status annotation', async () => (await api.readNode({ name: NODE })).metadata?.annotations?.[STATUS_ANNOTATION], 20_000);
      const status = JSON.parse(annotated) as { cgroup: string; degraded: string[]; dryRun: boolean };
      expect(status.cgroup).toBe('v1/cgroupfs');
      expect(status.dryRun).toBe(false);
      expect(status.degraded.join('\n')).toMatch(/resctrl not mounted/);
      expect(status.degraded.join('\n')).toMatch(/cgroup v1: no memory.low/);

      const base = `http://127.0.0.1:${running.httpPort}`;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/tidepool_agent_offline_cpuset_cpus 3/);
      expect(metrics).toMatch(/tidepool_agent_capability_info\{feature="resctrl"\} 0/);
      const st = (await (await fetch(`${base}/status`)).json()) as { status: { cpus: { offline: string } } };
      expect(st.status.cpus.offline).toBe('1-3');

      // The pod leaves: its cgroup goes with it and nothing is left owned.
      await api.deleteNamespacedPod({ namespace: 'default', name: batch.metadata!.name!, gracePeriodSeconds: 0 });
      rmSync(join(node.cgroupRoot, 'cpuset', b.dir), { recursive: true });
      await waitFor('the online pod back on the whole pool', () => node.read(w.dir, 'cpuset.cpus') === '0-3', 20_000);
    } finally {
      await running.stop();
      await api.deleteNamespacedPod({ namespace: 'default', name: web.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });

  it.skipIf(realCgroupUnavailable() !== null)('drives real cgroup v1 hierarchies for pods it learns from the API', async () => {
    const tree = new RealCgroupTree();
    const web = await createPod('real-web', 'online', { cpu: '100m', memory: '64Mi' });
    const batch = await createPod('real-batch', 'offline', null);
    let running: RunningAgent | null = null;
    try {
      const w = tree.addPod({ name: web.metadata!.name!, uid: web.metadata!.uid!, qos: 'online', qosClass: 'Burstable' });
      const b = tree.addPod({ name: batch.metadata!.name!, uid: batch.metadata!.uid!, qos: 'offline', qosClass: 'BestEffort' });
      running = await runAgent(
        parseAgentFlags({ ...flags(new DiskNode(mkdtempSync(join(dir, 'node-')))), cgroupRoot: '/sys/fs/cgroup', kubepodsParent: tree.name, sysRoot: '/sys', procRoot: '/proc', cgroupDriver: 'cgroupfs' }),
        { log: captureLog() },
      );
      await waitFor('offline SCHED_IDLE', () => tree.read(b.dir, 'cpu.idle', 'cpu') === '1', 20_000);
      const offline = running.agent!.status().cpus.offline;
      expect(tree.read(b.containerDir, 'cpuset.cpus', 'cpuset')).toBe(offline);
      expect(cpusAllowed(b.procs[0]!.pid!)).toBe(offline);
      expect(readFileSync(`/proc/${b.procs[0]!.pid}/oom_score_adj`, 'utf8').trim()).toBe('1000');
      expect(readFileSync(`/proc/${w.procs[0]!.pid}/oom_score_adj`, 'utf8').trim()).toBe('0');
    } finally {
      await running?.stop();
      await tree.destroy();
      for (const p of [web, batch]) await api.deleteNamespacedPod({ namespace: 'default', name: p.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });

  it('started before kubelet, notices kubepods appear and stops reporting it missing', async () => {
    const node = new DiskNode(mkdtempSync(join(dir, 'node-')), 4, 16 * 1024 * 1024, 12 * 1024 * 1024, false);
    const running = await runAgent(parseAgentFlags(flags(node)), { log: captureLog() });
    try {
      await waitFor('a first reconcile', () => running.agent!.ready(), 20_000);
      expect(running.agent!.status().degraded.join('\n')).toMatch(/kubepods cgroup not found/);
      node.createKubepods();
      await waitFor('kubepods found', () => (running.agent!.status().degraded.some((d) => d.includes('kubepods')) ? undefined : true), 20_000);
      const annotated = await waitFor('the annotation without the kubepods note', async () => {
        const a = (await api.readNode({ name: NODE })).metadata?.annotations?.[STATUS_ANNOTATION];
        return a !== undefined && !a.includes('kubepods cgroup not found') ? a : undefined;
      }, 20_000);
      expect(annotated).toMatch(/resctrl not mounted/);
    } finally {
      await running.stop();
    }
  });

  it('reports bad pod input as a Warning Event on the pod', async () => {
    const node = new DiskNode(mkdtempSync(join(dir, 'node-')));
    const bad = await createPod('typo', 'ofline', { cpu: '100m' });
    const running = await runAgent(parseAgentFlags(flags(node)), { log: captureLog() });
    try {
      const ev = await waitFor('an Event on the pod', async () => {
        const list = await api.listNamespacedEvent({ namespace: 'default' });
        return list.items.find((e) => e.involvedObject.uid === bad.metadata!.uid && e.reason === 'InvalidQosLabel');
      }, 20_000);
      expect(ev.type).toBe('Warning');
      expect(ev.message).toMatch(/tidepool.dev\/qos="ofline"/);
      expect(ev.source?.component ?? ev.reportingComponent).toBe('tidepool-agent');
    } finally {
      await running.stop();
      await api.deleteNamespacedPod({ namespace: 'default', name: bad.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });

  it('evicts offline pods through the API when node memory passes the threshold', async () => {
    const node = new DiskNode(mkdtempSync(join(dir, 'node-')), 4, 16 * 1024 * 1024, 1024 * 1024); // 94% used
    const online = await createPod('svc', 'online', { cpu: '200m', memory: '128Mi' });
    const offline = await createPod('spark', 'offline', null);
    node.addPod(online.metadata!.uid!, 'burstable');
    const o = node.addPod(offline.metadata!.uid!, 'besteffort');
    writeFileSync(join(node.cgroupRoot, 'memory', o.dir, 'memory.usage_in_bytes'), String(4 * 1024 ** 3));
    const running = await runAgent(parseAgentFlags(flags(node)), { log: captureLog() });
    try {
      await waitFor('the offline pod evicted', async () => {
        const pods = await api.listNamespacedPod({ namespace: 'default', fieldSelector: `metadata.name=${offline.metadata!.name}` });
        return pods.items.length === 0 || pods.items[0]!.metadata?.deletionTimestamp !== undefined ? true : undefined;
      }, 20_000);
      const still = await api.readNamespacedPod({ namespace: 'default', name: online.metadata!.name! });
      expect(still.metadata?.deletionTimestamp).toBeUndefined();
    } finally {
      await running.stop();
      await api.deleteNamespacedPod({ namespace: 'default', name: online.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });

  it('in dry-run computes the plan but writes nothing', async () => {
    const node = new DiskNode(mkdtempSync(join(dir, 'node-')));
    const batch = await createPod('dry', 'offline', null);
    const b = node.addPod(batch.metadata!.uid!, 'besteffort');
    const running = await runAgent(parseAgentFlags(flags(node, { dryRun: true, once: true })), { log: captureLog() });
    try {
      expect(running.result?.reconcile?.wouldWrite).toBeGreaterThan(0);
      expect(running.result?.reconcile?.written).toBe(0);
      expect(node.read(b.dir, 'cpuset.cpus')).toBe('0-3');
      expect(node.read(b.dir, 'cpu.idle')).toBe('0');
      expect(node.oomScoreAdj(b.pid)).toBe('0');
    } finally {
      await running.stop();
      await api.deleteNamespacedPod({ namespace: 'default', name: batch.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });

  it('on uninstall (--restore) puts back every value a previous run recorded in its state file', async () => {
    const node = new DiskNode(mkdtempSync(join(dir, 'node-')));
    const batch = await createPod('undo', 'offline', null);
    const b = node.addPod(batch.metadata!.uid!, 'besteffort');
    const stateFile = join(node.dir, 'agent-state.json');
    const first = await runAgent(parseAgentFlags(flags(node, { once: true, stateFile })), { log: captureLog() });
    await first.stop();
    expect(first.result?.reconcile?.written).toBeGreaterThan(0);
    expect(node.read(b.dir, 'cpu.idle')).toBe('1');
    // A new process (the agent restarted, or the uninstall hook) knows the originals from the state file alone.
    const undo = await runAgent(parseAgentFlags(flags(node, { restore: true, stateFile })), { log: captureLog() });
    await undo.stop();
    expect(undo.result?.restore?.failed).toEqual([]);
    expect(undo.result?.restore?.restored).toBeGreaterThan(0);
    expect(node.read(b.dir, 'cpuset.cpus')).toBe('0-3');
    expect(node.read(b.dir, 'cpu.idle')).toBe('0');
    expect(node.read(b.dir, 'cpu.cfs_quota_us')).toBe('-1');
    expect(node.read(b.dir, 'memory.soft_limit_in_bytes')).toBe('9223372036854771712');
    await api.deleteNamespacedPod({ namespace: 'default', name: batch.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
  });

  it('serves the load stream only to callers with the token, and never logs the token', async () => {
    const node = new DiskNode(mkdtempSync(join(dir, 'node-')));
    const token = 'tok-' + 'a1b2c3d4e5f6a7b8c9d0';
    const tokenFile = join(node.dir, 'load-token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const log = captureLog();
    let running: RunningAgent | null = null;
    try {
      running = await runAgent(parseAgentFlags(flags(node, { loadListen: '127.0.0.1:0', loadPlaintext: true, loadTokenFile: tokenFile, logLevel: 'debug' })), { log });
      const address = `127.0.0.1:${running.loadPort}`;
      const ac = new AbortController();
      const stream = streamNodeLoad({ address, plaintext: true, token, intervalMs: 500, signal: ac.signal });
      const first = await stream.next();
      ac.abort();
      expect(first.value).toMatchObject({ nodeName: NODE });
      await expect(streamNodeLoad({ address, plaintext: true, token: 'wrong-token-0000000000' }).next()).rejects.toThrow(/UNAUTHENTICATED/);
      await expect(streamNodeLoad({ address, plaintext: true }).next()).rejects.toThrow(/UNAUTHENTICATED/);
    } finally {
      await running?.stop();
    }
    expect(JSON.stringify(log.records)).not.toContain(token);
  });
});

describe('tidepool agent flags', () => {
  const base: AgentFlags = { nodeName: 'n1', kubeconfig: '/tmp/kc' };
  const problems = (f: AgentFlags): string[] => {
    try {
      parseAgentFlags(f, {});
      return [];
    } catch (err) {
      if (err instanceof AgentFlagError) return err.problems;
      throw err;
    }
  };

  it('accepts defaults and maps policy flags', () => {
    const c = parseAgentFlags({ ...base, reclaimThresholdPercent: '50', reservedCpus: '0-1', evictCooldownSeconds: '30', offlineCpuIdle: 'false' }, {});
    expect(c.policy).toMatchObject({ reclaimThresholdPercent: 50, reservedCpus: [0, 1], evictCooldownMs: 30_000, offlineCpuIdle: false });
    expect(c.cgroupRoot).toBe('/sys/fs/cgroup');
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 9310 });
    expect(c.loadListen).toBeNull();
    expect(parseAgentFlags({ kubeconfig: '/tmp/kc' }, { NODE_NAME: 'from-env' }).nodeName).toBe('from-env');
  });

  it('names every bad flag', () => {
    const p = problems({
      nodeName: 'Not_A_Node',
      cgroupRoot: '/sys/fs/cgroup/../../etc',
      procRoot: 'proc',
      kubepodsParent: 'a/../b',
      listen: 'nope',
      intervalSeconds: '0',
      offlineL3Percent: '0',
      onlineCpuset: 'everything',
      reservedCpus: 'x',
      offlineCpuIdle: 'yes',
    });
    const text = p.join('\n');
    for (const flag of ['--node-name', '--cgroup-root', '--proc-root', '--kubepods-parent', '--listen', '--interval-seconds', '--offline-l3-percent', '--online-cpuset', '--reserved-cpus', '--offline-cpu-idle']) {
      expect(text).toContain(flag);
    }
    expect(problems({})).toEqual([expect.stringContaining('--node-name is required')]);
    expect(problems({ ...base, restore: true })).toEqual([expect.stringContaining('--restore needs --state-file')]);
  });

  it('the DaemonSet and uninstall Job only pass flags the agent has', () => {
    const cmd = registerAgentCommand(new Command());
    const known = new Set(cmd.options.map((o) => o.long));
    for (const file of ['daemonset.yaml', 'uninstall-job.yaml']) {
      const doc = parseYaml(readFileSync(new URL(`../../deploy/isolation/${file}`, import.meta.url), 'utf8')) as {
        spec: { template: { spec: { containers: { args: string[] }[] } } };
      };
      const args = doc.spec.template.spec.containers[0]!.args;
      expect(args[0]).toBe('agent');
      for (const a of args.slice(1)) expect(known.has(a.split('=')[0]!), `${file}: ${a}`).toBe(true);
    }
  });

  it('refuses an anonymous or plaintext load stream on a non-loopback address', () => {
    expect(problems({ ...base, loadListen: '0.0.0.0:9311' }).join('\n')).toMatch(/needs authentication/);
    const p = problems({ ...base, loadListen: '0.0.0.0:9311', loadPlaintext: true, loadTokenFile: '/nonexistent/token' }).join('\n');
    expect(p).toMatch(/--load-plaintext is only allowed on a loopback/);
    expect(p).toMatch(/--load-token-file: cannot read \/nonexistent\/token/);
  });
});
