// Runs the `tidepool` CLI from its TypeScript entry point through tsx's loader in a child node
// process (the signal reaches the CLI itself, no wrapper process, no build needed), collects
// its output, and waits for a line that says it is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the process if it is still running (afterAll). */
  kill(): Promise<void>;
}

export async function startCli(args: string[], ready: RegExp, timeoutMs: number): Promise<CliProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const proc: CliProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(out)) {
    if (child.exitCode !== null) throw new Error(`tidepool ${args[0]} exited early (${child.exitCode}): ${err}`);
    if (Date.now() > deadline) {
      await proc.kill();
      throw new Error(`tidepool ${args[0]}: no ${ready} within ${timeoutMs} ms; stdout: ${out} stderr: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}
