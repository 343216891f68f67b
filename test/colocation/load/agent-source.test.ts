// The agent load source against the real `tidepool agent` (runAgent) on a node laid out on disk
// and a simulated API: samples carry the agent's per-class figures, memory is the working set
// (a pod's page cache is not load), a stream that breaks is dialled again, and a report from
// the wrong node is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadStore, staticAgentTargets, startAgentSource, type AgentSource } from '../../../colocation/load/index.js';
import { parseAgentFlags, runAgent, type RunningAgent } from '../../../isolation/index.js';
import type { KubeClient } from '../../../kube/index.js';
import { startSim, type Sim } from '../../../sim/index.js';
import { DiskNode } from '../../isolation/disk-node.js';
import { captureLog } from '../../isolation/helpers.js';
import { waitFor } from '../../helpers/wait.js';
import { simClient } from './sim-helpers.js';

const NODE = 'host-node-0';
const GI = 2 ** 30;
const TOKEN = 'load-token-0123456789abcdef';

let sim: Sim;
let client: KubeClient;
let dir: string;
let node: DiskNode;
let onlinePodDir: string;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startAgent(port: number): Promise<RunningAgent> {
  const tokenFile = join(dir, 'load-token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  return runAgent(
    parseAgentFlags({
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
      loadListen: `127.0.0.1:${port}`,
      loadPlaintext: true,
      loadTokenFile: tokenFile,
    }),
    { log: captureLog() },
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-agent-source-'));
  sim = await startSim({ clusters: ['host'], nodes: 1, dir, scheduler: false, startDelayMs: 0 });
  client = simClient(sim, 'host');
  // 16 GiB of RAM, 12 GiB available: the node uses 4 GiB.
  node = new DiskNode(mkdtempSync(join(dir, 'node-')), 4, 16 * 1024 * 1024, 12 * 1024 * 1024);
  const pod = await client.requestJson<{ metadata: { uid: string } }>({
    method: 'POST',
    path: '/api/v1/namespaces/default/pods',
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { 'tidepool.dev/qos': 'online' } }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '500m', memory: '1Gi' } } }] } },
  });
  onlinePodDir = node.addPod(pod.metadata.uid, 'burstable').dir;
  // 3 GiB charged to the pod, 2 GiB of it inactive page cache: its working set is 1 GiB.
  writeFileSync(join(node.cgroupRoot, 'memory', onlinePodDir, 'memory.usage_in_bytes'), `${3 * GI}\n`);
  writeFileSync(join(node.cgroupRoot, 'memory', onlinePodDir, 'memory.stat'), `cache ${2 * GI}\nrss ${GI}\ntotal_inactive_file ${2 * GI}\n`);
});

afterAll(async () => {
  client?.close();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function counter(text: string, outcome: string): number {
  const m = new RegExp(`tidepool_colocation_load_samples_total\\{source="agent",outcome="${outcome}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

describe('agent load source', () => {
  it('turns the agent\'s reports into samples whose memory is the working set, not page cache; and dials a restarted agent again', async () => {
    const port = await freePort();
    let agent = await startAgent(port);
    const store = new LoadStore();
    let source: AgentSource | undefined;
    try {
      source = startAgentSource({ store, targets: staticAgentTargets([{ node: NODE, address: `127.0.0.1:${port}` }]), plaintext: true, token: TOKEN, intervalMs: 500, backoff: { initialMs: 100, maxMs: 300 } });
      const s = await waitFor('an agent sample', () => store.latest(NODE), 20_000);
      expect(s).toMatchObject({ source: 'agent', memory: 4 * GI, onlineMemory: GI });
      expect(s.onlineMemory).not.toBe(3 * GI);
      expect(source.connected()).toEqual([NODE]);

      await agent.stop();
      await waitFor('the stream to be noticed gone', () => source!.connected().length === 0, 10_000);
      const last = store.latest(NODE)!.sampledAt;
      agent = await startAgent(port);
      await waitFor('samples from the restarted agent', () => (store.latest(NODE)?.sampledAt ?? 0) > last && source!.connected().length === 1, 20_000);
    } finally {
      await source?.stop();
      await agent.stop();
    }
  });

  it('refuses reports that name another node than the one dialled', async () => {
    const port = await freePort();
    const agent = await startAgent(port);
    const store = new LoadStore();
    const registry = new Registry();
    const source = startAgentSource({ store, registry, targets: staticAgentTargets([{ node: 'other-node', address: `127.0.0.1:${port}` }]), plaintext: true, token: TOKEN, intervalMs: 500 });
    try {
      await waitFor('a refused report', async () => counter(await registry.metrics(), 'invalid') >= 2, 20_000);
      expect(store.nodes()).toEqual([]);
      expect(source.connected()).toEqual([]);
    } finally {
      await source.stop();
      await agent.stop();
    }
  });
});
