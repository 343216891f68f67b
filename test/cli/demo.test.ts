// `tidepool demo` (what `npm start` runs) as a user meets it, with small sizes: it says what is up
// as it starts, prints the console URL and three kubectl lines; the virtual nodes are Ready for
// kubectl; a Spark or Flink app the demo submits runs on a virtual node, its executors mirrored
// into a member as offline batch work; the console's history shows offline CPU use on a member
// beside the online services; SIGTERM stops it with exit code 0.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../helpers/cli-process.js';
import { Kubectl } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
let cli: CliProcess;
let kubectl: Kubectl;
let base: string;

interface PodJson {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string; schedulerName?: string; containers: Array<{ resources?: { requests?: Record<string, string> } }> };
  status: { phase?: string };
}
interface NodeJson {
  metadata: { name: string };
  status: { conditions?: Array<{ type: string; status: string }> };
}
interface Sample {
  t: number;
  clusters: Record<string, { cpuAllocatable: number; cpuOnlineUsage: number | null; cpuOfflineUsage: number | null }>;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-cli-demo-'));
  cli = await startCli(
    ['demo', '--clusters', 'host,east,west', '--nodes', '3', '--host-nodes', '1', '--node-cpu', '16', '--node-memory', '64Gi', '--dir', dir, '--console', '127.0.0.1:0', '--apps-per-minute', '30'],
    /^stop with Ctrl-C$/m,
    60_000,
  );
  kubectl = new Kubectl(readFileSync(join(dir, 'kubeconfig'), 'utf8'));
  base = /^capacity console: (http:\/\/127\.0\.0\.1:\d+)\//m.exec(cli.stdout())?.[1] ?? '';
}, 70_000);

afterAll(async () => {
  await cli?.kill();
  kubectl?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function pods(context: string): Promise<PodJson[]> {
  return (JSON.parse(await kubectl.ok(['--context', context, 'get', 'pods', '-n', 'batch', '-o', 'json'])) as { items: PodJson[] }).items;
}

describe('tidepool demo', () => {
  it('says what is up as it starts, then where to look: the console and three kubectl lines', () => {
    const out = cli.stdout();
    for (const part of ['simulated clusters', 'online services on the day/night curve', 'federation', 'colocation', 'virtual nodes', 'Spark and Flink apps']) {
      expect(out).toMatch(new RegExp(`^  up   ${part}: .+ \\(\\d+\\.\\d s\\)$`, 'm'));
    }
    expect(out).toMatch(/^  up   virtual nodes: tidepool, tidepool-east, tidepool-west Ready on host /m);
    expect(out).toMatch(/^tidepool demo ready in \d+\.\d s /m);
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const tries = out.split('\n').filter((l) => l.startsWith(`  kubectl --kubeconfig ${join(dir, 'kubeconfig')} `));
    expect(tries).toHaveLength(3);
    expect(cli.stderr()).toBe('');
  });

  it('registers the virtual nodes in the host cluster, Ready for kubectl', async () => {
    const nodes = (JSON.parse(await kubectl.ok(['get', 'nodes', '-l', 'type=virtual-kubelet', '-o', 'json'])) as { items: NodeJson[] }).items;
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(['tidepool', 'tidepool-east', 'tidepool-west']);
    for (const n of nodes) expect(n.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('runs the apps it submits on the virtual nodes, executors as offline batch work in a member', { timeout: 60_000 }, async () => {
    const running = await waitFor('an app pod Running on a virtual node', async () => {
      const p = (await pods('host')).find((x) => x.status.phase === 'Running' && x.spec.nodeName?.startsWith('tidepool'));
      return p;
    }, 45_000);
    expect(running.metadata.labels?.['spark-role'] ?? running.metadata.labels?.['component']).toBeDefined();
    // In a member, a worker's mirror went through the webhook and the colocation scheduler.
    const worker = await waitFor('a worker mirror Running in a member', async () => {
      for (const m of ['east', 'west']) {
        const p = (await pods(m)).find((x) => x.metadata.labels?.['tidepool.dev/qos'] === 'offline' && x.status.phase === 'Running');
        if (p) return p;
      }
      return undefined;
    }, 45_000);
    expect(worker.metadata.labels?.['tidepool.dev/managed-by']).toMatch(/^tidepool/);
    expect(worker.spec.schedulerName).toBe('tidepool-scheduler');
    expect(Object.keys(worker.spec.containers[0]!.resources?.requests ?? {})).toContain('kubernetes.io/batch-cpu');
  });

  it('shows offline CPU use beside online use on a member in the capacity history', { timeout: 60_000 }, async () => {
    const sample = await waitFor('offline use in the history', async () => {
      const h = (await (await fetch(`${base}/api/v1/history`)).json()) as { samples: Sample[] };
      const last = h.samples.at(-1);
      return last && Object.values(last.clusters).some((c) => (c.cpuOfflineUsage ?? 0) > 0) ? last : undefined;
    }, 50_000);
    for (const c of Object.values(sample.clusters)) expect(c.cpuOnlineUsage).toBeGreaterThan(0);
    const vn = (await (await fetch(`${base}/api/v1/virtual-nodes`)).json()) as { connected: boolean; nodes: Array<{ name: string; ready: boolean }> };
    expect(vn.connected).toBe(true);
    expect(vn.nodes.map((n) => `${n.name}:${n.ready}`)).toEqual(['tidepool:true', 'tidepool-east:true', 'tidepool-west:true']);
  });

  it('stops cleanly on SIGTERM with exit code 0', { timeout: 30_000 }, async () => {
    cli.child.kill('SIGTERM');
    const { code, signal } = await cli.exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(cli.stdout()).toMatch(/^received SIGTERM, shutting down \(once more to stop at once\)$/m);
    expect(cli.stdout()).toMatch(/^stopped$/m);
  });
});
