// `tidepool start` is `tidepool demo` under its older name, and the demo's refusals are sentences
// that name the flag to change: a console port in use, a value out of range, a topology with no
// member. Each ends the process with exit code 1 and leaves nothing running. A Ctrl-C while it
// starts stops what already runs and exits 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliToEnd, startCli } from '../helpers/cli-process.js';

let dir: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-cli-start-'));
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => busy?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tidepool start', { timeout: 60_000 }, () => {
  it('is the demo under another name', async () => {
    const r = await runCliToEnd(['start', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tidepool demo\|start \[options\]$/m);
    expect(r.stdout).toContain('--no-apps');
  });

  it('refuses a console port in use, naming --console and the port, and stops what it started', async () => {
    const r = await runCliToEnd(['start', '--clusters', 'host,east', '--nodes', '1', '--host-nodes', '1', '--dir', dir, '--console', `127.0.0.1:${busyPort}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`tidepool demo: --console 127.0.0.1:${busyPort}: port ${busyPort} is in use (another tidepool demo?); choose another port with --console <port>, or --console 0 for any free port\n`);
    expect(r.stdout).toMatch(/^  up   simulated clusters: /m);
  });

  it('refuses a topology without a member cluster', async () => {
    const r = await runCliToEnd(['demo', '--clusters', 'host', '--dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tidepool demo: --clusters host: name the host cluster and at least one member, e.g. host,east\n');
  });

  it('refuses a bad flag value before starting anything', async () => {
    const r = await runCliToEnd(['demo', '--time-scale', '0', '--dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("option '--time-scale <n>' argument '0' is invalid. --time-scale must be between 1 and 3600, got 0");
    expect(r.stdout).toBe('');
  });

  it('stops what it started when Ctrl-C comes while it starts, with exit code 0', async () => {
    const cli = await startCli(['start', '--clusters', 'host,east', '--nodes', '1', '--host-nodes', '1', '--dir', dir, '--console', '127.0.0.1:0'], /^ {2}up {3}simulated clusters: /m, 40_000);
    try {
      cli.child.kill('SIGINT');
      const { code, signal } = await cli.exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(cli.stdout()).toMatch(/^received SIGINT while starting, shutting down\nstopped$/m);
      expect(cli.stdout()).not.toContain('tidepool demo ready');
      expect(cli.stderr()).toBe('');
    } finally {
      await cli.kill();
    }
  });
});
