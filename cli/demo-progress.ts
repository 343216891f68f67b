// What `tidepool demo` says while it starts, and its failures as sentences: one line per part
// once it is up (or ready), a "waiting for" line when a part takes a while, and errors that name
// the flag to change.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from '../kube/index.js';

/** A signal arrived while starting: the demo stops without finishing the start. */
export class DemoInterrupted extends Error {
  constructor(readonly signal: string) {
    super(`interrupted by ${signal}`);
  }
}

/** After this long a part that is not up yet gets a "waiting for" line. */
const SLOW_STEP_MS = 3_000;

export class Progress {
  private readonly started = Date.now();
  private signalled: string | undefined;

  constructor(
    private readonly out: NodeJS.WritableStream,
    signal: Promise<string>,
  ) {
    void signal.then((s) => (this.signalled = s));
  }

  say(line: string): void {
    this.out.write(`${line}\n`);
  }

  /** Time since the start, as "12.3 s". */
  elapsed(): string {
    return seconds(Date.now() - this.started);
  }

  /** Throws DemoInterrupted when a signal has arrived. */
  checkSignal(): void {
    if (this.signalled) throw new DemoInterrupted(this.signalled);
  }

  /** Runs one part of the start; prints "  up  <what>: <detail> (<time>)" when it is done. */
  async step<T>(what: string, run: () => Promise<{ value: T; detail: string }>): Promise<T> {
    this.checkSignal();
    const t0 = Date.now();
    const slow = setTimeout(() => this.say(`  ...  waiting for ${what}`), SLOW_STEP_MS);
    try {
      const { value, detail } = await run();
      this.say(`  up   ${what}: ${detail} (${seconds(Date.now() - t0)})`);
      this.checkSignal();
      return value;
    } finally {
      clearTimeout(slow);
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' ? c : undefined;
}

/** Why a server could not listen at `addr`, naming the flag that moves it. */
export function listenProblem(flag: string, addr: { host: string; port: number }, err: unknown): string {
  const where = `${flag} ${addr.host}:${addr.port}`;
  switch (codeOf(err)) {
    case 'EADDRINUSE':
      return `${where}: port ${addr.port} is in use (another tidepool demo?); choose another port with ${flag} <port>, or ${flag} 0 for any free port`;
    case 'EACCES':
      return `${where}: not allowed to listen on port ${addr.port}; ports below 1024 need privileges, choose another with ${flag} <port>`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `${where}: ${addr.host} is not an address of this machine; use 127.0.0.1 (or leave the host out)`;
    default:
      return `${where}: cannot listen: ${(err as Error).message}`;
  }
}

/** Why the simulated clusters did not start, naming the flag to change where one applies. */
export function simStartProblem(err: unknown, basePort: number | undefined, dir: string): string {
  const code = codeOf(err);
  const msg = (err as Error).message;
  if (code === 'EADDRINUSE' || /EADDRINUSE/.test(msg)) {
    const port = /:(\d+)\b/.exec(msg)?.[1];
    return basePort !== undefined
      ? `--base-port ${basePort}: port ${port ?? 'of a simulated API server'} is in use; choose another --base-port, or leave it out to use free ports`
      : `the simulated API servers could not listen: ${msg}`;
  }
  if (code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR' || code === 'ENOENT') {
    return `--dir ${dir}: cannot write the kubeconfig there (${code}); choose a writable directory with --dir <path>`;
  }
  return `the simulated clusters did not start: ${msg}`;
}

interface NodeJson {
  status?: { conditions?: Array<{ type?: string; status?: string; message?: string }> };
}

/** Waits until every named Node of the host cluster is Ready; says which are not when time runs out. */
export async function waitForReadyNodes(host: KubeClient, names: readonly string[], timeoutMs: number, signal: Promise<string>): Promise<void> {
  let interrupted: string | undefined;
  void signal.then((s) => (interrupted = s));
  const deadline = Date.now() + timeoutMs;
  const why = new Map<string, string>();
  for (;;) {
    if (interrupted) throw new DemoInterrupted(interrupted);
    why.clear();
    for (const name of names) {
      try {
        const node = await host.requestJson<NodeJson>({ path: `/api/v1/nodes/${name}`, timeoutMs: 5_000, retry: false });
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
        if (ready?.status !== 'True') why.set(name, ready?.message ? `not Ready: ${ready.message}` : 'not Ready yet');
      } catch (err) {
        why.set(name, (err as Error).message);
      }
    }
    if (why.size === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`the virtual nodes did not become Ready within ${timeoutMs / 1000} s: ${[...why].map(([n, w]) => `${n}: ${w}`).join('; ')}`);
    }
    await sleep(250);
  }
}
