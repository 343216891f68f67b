// The child processes of `bench colocation` — the simulated cluster (_coloc-sim.ts), Tidepool's
// scheduler (_coloc-scheduler.ts) and the ceiling's plain binder (_coloc-binder.ts) — started with
// tsx and driven over IPC, one answer per request.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BinderChildConfig } from './_coloc-binder.js';
import type { SchedulerChildConfig, SchedulerLogCounts } from './_coloc-scheduler.js';
import type { SimChildConfig, SimCounters } from './_coloc-sim.js';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Reply {
  id?: number;
  ready?: boolean;
  result?: unknown;
  error?: string;
  [k: string]: unknown;
}

/** A forked child that says `{ ready, ... }` once and answers `{ id, cmd }` requests. */
class IpcChild<R extends object> {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;
  readonly started: Promise<R>;

  constructor(
    private readonly what: string,
    file: string,
    config: object,
    heapMiB: number,
  ) {
    this.child = fork(join(HERE, file), [JSON.stringify(config)], { execArgv: ['--import', 'tsx', `--max-old-space-size=${heapMiB}`], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let onReady: ((v: R) => void) | undefined;
    let onFail: ((e: Error) => void) | undefined;
    this.started = new Promise<R>((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    this.child.on('message', (m: Reply) => {
      if (m.ready) return onReady!(m as unknown as R);
      const p = m.id !== undefined ? this.pending.get(m.id) : undefined;
      if (!p) return;
      this.pending.delete(m.id!);
      if (m.error !== undefined) p.reject(new Error(`${this.what} process: ${m.error}`));
      else p.resolve(m.result);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = new Error(`the ${this.what} process exited (code ${code}, signal ${signal})`);
      onFail!(this.exited);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  call<T>(cmd: string, args: object = {}): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...args });
    });
  }

  /** Asks the child to stop, and kills it if it has not exited after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.exited) return;
    const exit = new Promise<void>((r) => this.child.once('exit', () => r()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.call('stop').catch(() => undefined);
    await exit;
    clearTimeout(timer);
  }
}

export interface SimStarted {
  kubeconfigPath: string;
  /** Where the simulator code came from (compiled dist/ or sources). */
  from: string;
}

export class SimProcess extends IpcChild<SimStarted> {
  constructor(cfg: SimChildConfig) {
    super('sim', '_coloc-sim.ts', cfg, 4096);
  }

  namespaces(names: string[]): Promise<void> {
    return this.call('namespaces', { names });
  }

  counters(): Promise<SimCounters> {
    return this.call('counters');
  }
}

export interface SchedulerStarted {
  from: string;
  /** From start to both informers synced. */
  syncMs: number;
  nodes: number;
}

export class SchedulerProcess extends IpcChild<SchedulerStarted> {
  constructor(cfg: SchedulerChildConfig) {
    super('scheduler', '_coloc-scheduler.ts', cfg, 2048);
  }

  metrics(): Promise<{ text: string; logs: SchedulerLogCounts; tlsConnects: number }> {
    return this.call('metrics');
  }

  profileStart(): Promise<void> {
    return this.call('profileStart');
  }

  async profileStop(): Promise<object> {
    return (await this.call<{ profile: object }>('profileStop')).profile;
  }
}

export class BinderProcess extends IpcChild<{ from: string }> {
  constructor(cfg: BinderChildConfig) {
    super('binder', '_coloc-binder.ts', cfg, 2048);
  }

  /** TLS connections the binder opened so far. */
  async tlsConnects(): Promise<number> {
    return (await this.call<{ tlsConnects: number }>('tls')).tlsConnects;
  }
}
