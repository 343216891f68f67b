// `tidepool sim` as a user runs it: a readiness line, a kubeconfig with one context per
// cluster (current = the first), kubectl works against it, the admin token stays out
// of stdout, and SIGTERM shuts it down cleanly with exit code 0.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../helpers/cli-process.js';
import { hasKubectl, Kubectl } from '../helpers/kubectl.js';

let dir: string;
let cli: CliProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-cli-sim-'));
  cli = await startCli(['sim', '--clusters', 'host,east', '--nodes', '2', '--dir', dir, '--start-delay-ms', '100'], /tidepool sim ready/, 25_000);
}, 30_000);

afterAll(async () => {
  await cli?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tidepool sim', () => {
  it('prints a readiness line naming every cluster and the kubeconfig', () => {
    expect(cli.stdout()).toMatch(/^tidepool sim ready: 2 cluster\(s\) host=https:\/\/127\.0\.0\.1:\d+ east=https:\/\/127\.0\.0\.1:\d+$/m);
    expect(cli.stdout()).toContain(join(dir, 'kubeconfig'));
  });

  it('writes <dir>/kubeconfig (0600) with contexts host and east, current host', () => {
    const path = join(dir, 'kubeconfig');
    expect(existsSync(path)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const doc = YAML.parse(readFileSync(path, 'utf8')) as { 'current-context': string; contexts: Array<{ name: string; context: { cluster: string; user: string } }> };
    expect(doc['current-context']).toBe('host');
    expect(doc.contexts.map((c) => c.name)).toEqual(['host', 'east']);
    // One user per cluster: client-node caches credentials by user name.
    expect(new Set(doc.contexts.map((c) => c.context.user)).size).toBe(2);
  });

  it('keeps the admin token out of cli.stdout(), in a 0600 file', () => {
    const tokenPath = join(dir, 'admin-token');
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenPath, 'utf8').trim();
    expect(token.length).toBeGreaterThan(16);
    expect(cli.stdout()).not.toContain(token);
  });

  it('serves the fault-injection admin endpoint it prints, with the token from the file', async () => {
    const url = /fault injection: curl -H "Authorization: Bearer \$\(cat [^)]+\)" (http:\/\/127\.0\.0\.1:\d+)\/clusters/.exec(cli.stdout())?.[1];
    expect(url).toBeDefined();
    const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
    const res = await fetch(`${url}/clusters`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { clusters: Array<{ name: string; nodes: number; down: boolean }> };
    expect(body.clusters.map((c) => [c.name, c.nodes, c.down])).toEqual([
      ['host', 2, false],
      ['east', 2, false],
    ]);
    expect((await fetch(`${url}/clusters`)).status).toBe(401);
  });

  it.skipIf(!hasKubectl)('kubectl works against each context', async () => {
    const k = new Kubectl(readFileSync(join(dir, 'kubeconfig'), 'utf8'));
    try {
      const hostNodes = await k.ok(['get', 'nodes', '-o', 'name']);
      expect(hostNodes.trim().split('\n')).toEqual(['node/host-node-0', 'node/host-node-1']);
      const eastNodes = await k.ok(['--context', 'east', 'get', 'nodes', '-o', 'name']);
      expect(eastNodes.trim().split('\n')).toEqual(['node/east-node-0', 'node/east-node-1']);
      expect((await k.ok(['config', 'current-context'])).trim()).toBe('host');
      await k.ok(['--context', 'east', 'create', 'namespace', 'from-cli']);
      expect((await k.run(['get', 'namespace', 'from-cli'])).code).not.toBe(0);
    } finally {
      k.cleanup();
    }
  });

  it('SIGTERM shuts down cleanly with exit code 0', async () => {
    cli.child.kill('SIGTERM');
    const how = await Promise.race([cli.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(how).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toMatch(/received SIGTERM, shutting down/);
    expect(cli.stderr()).not.toMatch(/Error|ERR_/);
  });
});
