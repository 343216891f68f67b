// `tidepool capacity` as an admin runs it: against member contexts of a kubeconfig (table, wide,
// json = the API document) and against a running federation API (--server); bad flags are
// errors that name the flag.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startSim, type Sim } from '../../sim/index.js';
import { Federation, buildServer, type CapacityDocument } from '../../federation/index.js';
import { clientFor } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

let sim: Sim;
let dir: string;
let fed: Federation;
let app: FastifyInstance;
let base: string;

async function tidepool(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'capacity', ...args], { cwd: ROOT, timeout: 60_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-cap-cli-'));
  sim = await startSim({ clusters: ['host', 'east', 'west'], nodes: 2, nodeShape: { cpu: '8', memory: '32Gi', pods: 110 }, dir });
  fed = new Federation({ readyTimeoutMs: 5_000, usageIntervalMs: 0 });
  fed.addMemberWithClient('east', clientFor(sim, 'east'));
  fed.addMemberWithClient('west', clientFor(sim, 'west'));
  app = buildServer({ federation: fed });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  await fed.member('east')!.waitForReady(10_000);
  await fed.member('west')!.waitForReady(10_000);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await fed?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Each run starts node + tsx: slow on a shared 2-core machine, hence the long per-test timeout.
describe('tidepool capacity', { timeout: 90_000 }, () => {
  it('prints the API document with -o json, straight from the member clusters', async () => {
    const r = await tidepool('--kubeconfig', sim.kubeconfigPath!, '--member-contexts', 'east,west', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as CapacityDocument;
    expect(doc.clusters.map((c) => [c.name, c.ready, c.nodes])).toEqual([
      ['east', true, 2],
      ['west', true, 2],
    ]);
    const api = (await (await fetch(`${base}/api/v1/capacity`)).json()) as CapacityDocument;
    for (const i of [0, 1]) {
      expect(doc.clusters[i]!.cpu.allocatable).toBe(api.clusters[i]!.cpu.allocatable);
      expect(doc.clusters[i]!.memory.idle).toBe(api.clusters[i]!.memory.idle);
    }
    expect(doc.total.cpu.allocatable).toBe(api.total.cpu.allocatable);
  });

  it('prints the admin table, and more columns with -o wide', async () => {
    const r = await tidepool('--kubeconfig', sim.kubeconfigPath!, '--member-contexts', 'east,west');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CLUSTER\s+READY\s+NODES\s+CPU ALLOC\s+CPU REQ\s+CPU IDLE\s+CPU LENT\s+MEM ALLOC\s+MEM REQ\s+MEM IDLE\s+MEM LENT\s+BATCH CPU\s+LARGEST SLOT\s+UTIL$/);
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['CLUSTER', 'east', 'west', 'TOTAL']);
    expect(lines[1]).toMatch(/^east\s+True\s+2\s+/);
    const wide = await tidepool('--kubeconfig', sim.kubeconfigPath!, '--member-contexts', 'east', '-o', 'wide');
    expect(wide.stdout.split('\n')[0]).toContain('VIRTUAL NODES');
  });

  it('reads a running federation API with --server', async () => {
    const r = await tidepool('--server', base, '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    const api = (await (await fetch(`${base}/api/v1/capacity`)).json()) as CapacityDocument;
    expect((JSON.parse(r.stdout) as CapacityDocument).total.cpu.allocatable).toBe(api.total.cpu.allocatable);
  });

  it('serves the API from a config file with --serve, honouring its headroom, and stops on SIGTERM', async () => {
    const cfg = join(dir, 'federation.yaml');
    writeFileSync(cfg, `kubeconfig: ${sim.kubeconfigPath!}\nmembers:\n  - name: east\n    headroom: { fraction: 0.5 }\n  - name: west\n    paused: true\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'capacity', '--config', cfg, '--serve', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const addr = await waitFor('the listening line', () => /"addr":"(http:\/\/[^"]+)"/.exec(stderr)?.[1], 60_000);
      const doc = await waitFor('both members ready', async () => {
        const d = (await (await fetch(`${addr}/api/v1/capacity`)).json()) as CapacityDocument;
        return d.clusters.length === 2 && d.clusters.every((c) => c.ready) ? d : undefined;
      }, 15_000);
      const [east, west] = doc.clusters;
      expect(east!.cpu.idle).toBe(east!.cpu.allocatable - east!.cpu.requested - Math.ceil((east!.cpu.allocatable - east!.cpu.requested) * 0.5));
      expect(west!.cpu.idle).toBe(0);
      expect((await fetch(`${addr}/`)).headers.get('content-type')).toContain('text/html');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('rejects bad flags with a message that names the flag', async () => {
    const [a, b, c] = await Promise.all([tidepool('--server', 'ftp://x'), tidepool('-o', 'yaml', '--server', base), tidepool()]);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toContain('--server must be an http(s) URL');
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain("option '-o, --output <format>' argument 'yaml' is invalid");
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('--member-contexts');
  });
});
