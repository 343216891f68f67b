// `tidepool start` (what `npm start` runs): simulated clusters with online load, pooled by a
// federation whose capacity API answers with the members' real figures; SIGTERM stops it
// cleanly with exit code 0.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

let dir: string;
let child: ChildProcess;
let stdout = '';
let stderr = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

interface Resource {
  allocatable: number;
  requested: number;
  idle: number;
}
interface CapacityDoc {
  clusters: Array<{ name: string; ready: boolean; nodes: number; cpu: Resource; memory: Resource }>;
  total: { cpu: Resource; memory: Resource };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-cli-start-'));
  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'cli/main.ts', 'start', '--clusters', 'host,east,west', '--nodes', '3', '--node-cpu', '8', '--dir', dir, '--console', '127.0.0.1:0', '--start-delay-ms', '50'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 50_000;
  while (!/capacity console: http/.test(stdout)) {
    if (child.exitCode !== null) throw new Error(`tidepool start exited early (${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) throw new Error(`no console line within 50 s; stdout: ${stdout} stderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tidepool start', () => {
  it('prints the simulated clusters and the pool table of the members', () => {
    expect(stdout).toMatch(/^tidepool sim ready: 3 cluster\(s\) host=https:\/\/127\.0\.0\.1:\d+ east=\S+ west=\S+$/m);
    expect(stdout).toMatch(/^the pool \(east, west\):$/m);
    expect(stdout).toMatch(/^east\s+True\s+3\s+24\s/m);
    expect(stdout).toMatch(/^west\s+True\s+3\s+24\s/m);
  });

  it('serves the capacity API: members only, online load requested, idle = allocatable - requested', async () => {
    const base = /capacity console: (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1];
    expect(base).toBeDefined();
    const res = await fetch(`${base}/api/v1/capacity`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as CapacityDoc;
    expect(doc.clusters.map((c) => c.name).sort()).toEqual(['east', 'west']);
    for (const c of doc.clusters) {
      expect(c.ready).toBe(true);
      expect(c.nodes).toBe(3);
      expect(c.cpu.allocatable).toBe(24_000);
      // --online-load defaults to 0.3 for start: the members carry online pods.
      expect(c.cpu.requested).toBeGreaterThan(0);
      expect(c.cpu.idle).toBe(c.cpu.allocatable - c.cpu.requested);
    }
    expect(doc.total.cpu.allocatable).toBe(48_000);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(stdout).toContain('received SIGTERM, shutting down');
  }, 20_000);
});
