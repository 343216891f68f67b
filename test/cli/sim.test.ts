// `tidepool sim` as a user runs it: a readiness line, a kubeconfig with one context per
// cluster (current = the first), kubectl works against it, the admin token stays out
// of stdout, and SIGTERM shuts it down cleanly with exit code 0.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, Kubectl } from '../helpers/kubectl.js';

const ROOT = resolve(import.meta.dirname, '../..');

let dir: string;
let child: ChildProcess;
let stdout = '';
let stderr = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-cli-sim-'));
  // Run the TypeScript entry point through tsx's loader in this node process, so the
  // signal reaches the CLI itself (no wrapper process in between) and no build is needed.
  child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'sim', '--clusters', 'host,east', '--nodes', '2', '--dir', dir, '--start-delay-ms', '100'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 25_000;
  while (!/tidepool sim ready/.test(stdout)) {
    if (child.exitCode !== null) throw new Error(`tidepool sim exited early (${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) throw new Error(`no readiness line within 25 s; stdout: ${stdout} stderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tidepool sim', () => {
  it('prints a readiness line naming every cluster and the kubeconfig', () => {
    expect(stdout).toMatch(/^tidepool sim ready: 2 cluster\(s\) host=https:\/\/127\.0\.0\.1:\d+ east=https:\/\/127\.0\.0\.1:\d+$/m);
    expect(stdout).toContain(join(dir, 'kubeconfig'));
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

  it('keeps the admin token out of stdout, in a 0600 file', () => {
    const tokenPath = join(dir, 'admin-token');
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenPath, 'utf8').trim();
    expect(token.length).toBeGreaterThan(16);
    expect(stdout).not.toContain(token);
  });

  it('serves the fault-injection admin endpoint it prints, with the token from the file', async () => {
    const url = /fault injection: curl -H "Authorization: Bearer \$\(cat [^)]+\)" (http:\/\/127\.0\.0\.1:\d+)\/clusters/.exec(stdout)?.[1];
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
    child.kill('SIGTERM');
    const how = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(how).toEqual({ code: 0, signal: null });
    expect(stdout).toMatch(/received SIGTERM, shutting down/);
    expect(stderr).not.toMatch(/Error|ERR_/);
  });
});
