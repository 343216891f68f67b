// `tidepool start` (what `npm start` runs): simulated clusters with online load, pooled by a
// federation whose capacity API answers with the members' real figures; SIGTERM stops it
// cleanly with exit code 0.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../helpers/cli-process.js';

let dir: string;
let cli: CliProcess;

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
  cli = await startCli(
    ['start', '--clusters', 'host,east,west', '--nodes', '3', '--node-cpu', '8', '--dir', dir, '--console', '127.0.0.1:0', '--start-delay-ms', '50'],
    /capacity console: http/,
    50_000,
  );
}, 60_000);

afterAll(async () => {
  await cli?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tidepool start', () => {
  it('prints the simulated clusters and the pool table of the members', () => {
    expect(cli.stdout()).toMatch(/^tidepool sim ready: 3 cluster\(s\) host=https:\/\/127\.0\.0\.1:\d+ east=\S+ west=\S+$/m);
    expect(cli.stdout()).toMatch(/^the pool \(east, west\):$/m);
    expect(cli.stdout()).toMatch(/^east\s+True\s+3\s+24\s/m);
    expect(cli.stdout()).toMatch(/^west\s+True\s+3\s+24\s/m);
  });

  it('runs the virtual node on the host cluster: the aggregate node and one per member', () => {
    expect(cli.stdout()).toMatch(/^virtual nodes on host: tidepool, tidepool-east, tidepool-west \(kubelet API on 127\.0\.0\.1:\d+\)$/m);
  });

  it('serves the capacity API: members only, online load requested, idle = allocatable - requested', async () => {
    const base = /capacity console: (http:\/\/127\.0\.0\.1:\d+)\//.exec(cli.stdout())?.[1];
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
    cli.child.kill('SIGTERM');
    const { code, signal } = await cli.exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(cli.stdout()).toContain('received SIGTERM, shutting down');
  }, 20_000);
});
