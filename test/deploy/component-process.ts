// A Tidepool component run as the Deployment runs it: `tidepool <command> <args>` in its own
// process (through tsx, from the sources), its JSON log collected, stopped with SIGTERM as the
// kubelet stops a pod (SIGKILL if it lingers).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO } from './kustomize.js';
import { waitFor } from '../helpers/wait.js';

export interface ComponentProcess {
  child: ChildProcess;
  /** stdout and stderr as they came. */
  output(): string;
  /** The first JSON log line whose msg is `msg`, once it is there. */
  logLine(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export function startComponent(args: string[], env: Record<string, string> = {}): ComponentProcess {
  // Whatever cluster the test runner itself may sit in is not the one under test.
  const base = { ...process.env };
  delete base['KUBERNETES_SERVICE_HOST'];
  delete base['KUBECONFIG'];
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, ...env } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const line = (msg: string): Record<string, unknown> | undefined => {
    for (const l of out.split('\n')) {
      if (!l.startsWith('{')) continue;
      try {
        const j = JSON.parse(l) as Record<string, unknown>;
        if (j['msg'] === msg) return j;
      } catch {
        // a partial line: not yet
      }
    }
    return undefined;
  };
  return {
    child,
    output: () => out,
    logLine: (msg, timeoutMs = 60_000) =>
      waitFor(`"${msg}" from tidepool ${args[0]}`, () => {
        if (child.exitCode !== null) throw new Error(`tidepool ${args[0]} exited (${child.exitCode}): ${out.slice(-3000)}`);
        return line(msg);
      }, timeoutMs, 100),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** A loopback port nobody listens on now. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
