// The child processes of `bench virtual-node` and what is read from them:
// - SimProcess: the simulated host and member clusters (_vn-sim.ts), driven over IPC;
// - WriterProcess: the ceiling's stand-in for the virtual node (_vn-writer.ts), driven over IPC;
// - VirtualNodeProcess: `tidepool virtual-node` itself, the CLI users run (dist/cli/main.js when
//   the build is fresh), as its own process so its RSS and CPU are its own. Its /metrics are
//   scraped; its heap is collected through the inspector before RSS is read, so the figure is
//   live memory plus what V8 keeps, not garbage waiting for the next GC (the inspector also
//   takes a CPU profile of the burst on request).
// CPU time and RSS of either come from /proc (Linux).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { cliEntry, type Code } from './_vn-code.js';
import type { HostCounters, SimChildConfig } from './_vn-sim.js';
import type { CreatedPod, WriterConfig } from './_vn-writer.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

// ------------------------------------------------------------------ /proc

/** User + system CPU of a whole process (every thread), in ms; NaN where /proc is missing. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the parenthesised command: utime is field 14, stime 15 (clock ticks, USER_HZ = 100).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10;
  } catch {
    return NaN;
  }
}

/** VmRSS and VmHWM (peak) of a process, in MiB; NaN where /proc is missing. */
export function processMemoryMiB(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

// ------------------------------------------------------------------ Prometheus text

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sumOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let s = 0;
  for (const x of samples) {
    if (x.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => x.labels[k] === v)) s += x.value;
  }
  return s;
}

// ------------------------------------------------------------------ IPC children

/** A TypeScript child (through tsx) driven by { id, cmd } requests, answered by { id, result | error }. */
class IpcChild<Ready> {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;
  /** The child's { ready: true, ... } message. */
  readonly started: Promise<Ready>;

  constructor(
    private readonly what: string,
    file: string,
    arg: object,
    execArgv: string[] = [],
  ) {
    this.child = fork(join(HERE, file), [JSON.stringify(arg)], { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let onReady: ((v: Ready) => void) | undefined;
    let onFail: ((e: Error) => void) | undefined;
    this.started = new Promise((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    this.child.on('message', (m: { id?: number; ready?: boolean; result?: unknown; error?: string }) => {
      if (m.ready) return onReady!(m as Ready);
      const p = m.id !== undefined ? this.pending.get(m.id) : undefined;
      if (!p) return;
      this.pending.delete(m.id!);
      if (m.error !== undefined) p.reject(new Error(`${what}: ${m.error}`));
      else p.resolve(m.result);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = new Error(`the ${what} exited (code ${code}, signal ${signal})`);
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

  /** Asks it to stop; SIGKILL if it has not exited after 20 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exit = new Promise<void>((r) => this.child.once('exit', () => r()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.call('stop').catch(() => undefined);
    await exit;
    clearTimeout(timer);
  }
}

export class SimProcess {
  private readonly child: IpcChild<{ kubeconfigPath: string }>;
  readonly started: Promise<{ kubeconfigPath: string }>;

  constructor(cfg: SimChildConfig) {
    // The sim's heap holds every member pod (~1 GB at 100,000 pods): room beyond Node's default.
    this.child = new IpcChild('sim process', '_vn-sim.ts', cfg, ['--max-old-space-size=6144']);
    this.started = this.child.started;
  }

  get pid(): number {
    return this.child.pid;
  }

  seed(perMember: number): Promise<{ ms: number; pods: number }> {
    return this.child.call('seed', { perMember });
  }

  namespaces(host: string[], members: string[]): Promise<void> {
    return this.child.call('namespaces', { host, members });
  }

  running(namespace: string): Promise<{ host: number; members: number }> {
    return this.child.call('running', { namespace });
  }

  counters(): Promise<HostCounters> {
    return this.child.call('counters');
  }

  /** How many host pods of the watched namespace had each number of writes (scheduler's included). */
  podWriteHistogram(): Promise<Record<string, number>> {
    return this.child.call('podWrites');
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}

/** The ceiling's stand-in for the virtual node (_vn-writer.ts). */
export class WriterProcess {
  private readonly child: IpcChild<object>;
  readonly started: Promise<object>;

  constructor(cfg: WriterConfig) {
    this.child = new IpcChild('ceiling writer process', '_vn-writer.ts', cfg);
    this.started = this.child.started;
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Queues created pods for their mirror and status writes. */
  write(namespace: string, items: Array<{ i: number; pod: CreatedPod }>): Promise<void> {
    return this.child.call('pods', { namespace, items });
  }

  /** Resolves when every queued pod is written; rejects with the first failure. */
  drain(): Promise<void> {
    return this.child.call('drain');
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}

// ------------------------------------------------------------------ the virtual node process

export interface VirtualNodeProcessOptions {
  kubeconfig: string;
  hostContext: string;
  members: string[];
  nodeName: string;
  qps: number;
  burst: number;
  /** The code the run chose (_vn-code.ts). */
  code: Code;
  /** Another build's cli/main.js to run instead (to compare a change side by side). */
  entry?: string;
}

export class VirtualNodeProcess {
  private readonly child: ChildProcess;
  /** The last lines it logged, for the error message when it dies. */
  private readonly tail: string[] = [];
  private exited: Error | undefined;
  metricsUrl = '';
  inspectorUrl = '';
  /** Log lines at warn level or above. */
  warnings = 0;
  /** Distinct warning messages (first few), for the report. */
  readonly warningMessages = new Map<string, number>();
  readonly compiled: boolean;
  /** The entry point it runs. */
  readonly entry: string;

  private constructor(opts: VirtualNodeProcessOptions) {
    this.compiled = opts.entry !== undefined || opts.code === 'dist';
    this.entry = opts.entry ?? cliEntry(opts.code);
    const entry = this.compiled ? [this.entry] : ['--import', 'tsx', this.entry];
    const flags = [
      'virtual-node',
      '--kubeconfig', opts.kubeconfig,
      '--host-context', opts.hostContext,
      '--member-contexts', opts.members.join(','),
      '--node-name', opts.nodeName,
      '--no-leader-elect',
      '--address', '127.0.0.1',
      '--kubelet-port', '0',
      '--metrics-port', '127.0.0.1:0',
      '--qps', String(opts.qps),
      '--burst', String(opts.burst),
    ];
    // The inspector (port 0: a free one) is only used to ask for a full GC before RSS is read.
    this.child = spawn(process.execPath, ['--inspect=127.0.0.1:0', ...entry, ...flags], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void): void => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
    };
    const remember = (line: string): void => {
      this.tail.push(line);
      if (this.tail.length > 30) this.tail.shift();
    };
    lines(this.child.stdout!, (line) => {
      remember(line);
      let rec: { level?: number; msg?: string; health?: string };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        return;
      }
      if (rec.msg === 'virtual node started' && rec.health) this.metricsUrl = rec.health.replace(/\/$/, '');
      if ((rec.level ?? 0) >= 40) {
        this.warnings++;
        const key = rec.msg ?? '?';
        if (this.warningMessages.size < 20 || this.warningMessages.has(key)) this.warningMessages.set(key, (this.warningMessages.get(key) ?? 0) + 1);
      }
    });
    lines(this.child.stderr!, (line) => {
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(line);
      if (m) this.inspectorUrl = m[1]!;
      else if (!/Debugger attached|For help, see|Waiting for the debugger/.test(line)) remember(line);
    });
    // A benchmark that dies (an uncaught error) must not leave the virtual node running.
    const killOnExit = (): void => void this.child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.child.on('exit', (code, signal) => {
      process.off('exit', killOnExit);
      this.exited = new Error(`the virtual node exited (code ${code}, signal ${signal}); its last lines:\n${this.tail.join('\n')}`);
    });
  }

  /** Starts it and waits until its metrics endpoint answers. */
  static async start(opts: VirtualNodeProcessOptions, timeoutMs: number): Promise<VirtualNodeProcess> {
    const p = new VirtualNodeProcess(opts);
    const deadline = Date.now() + timeoutMs;
    while (!p.metricsUrl || !p.inspectorUrl) {
      if (p.exited) throw p.exited;
      if (Date.now() > deadline) {
        await p.stop();
        throw new Error(`the virtual node did not start within ${timeoutMs} ms; its last lines:\n${p.tail.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return p;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The last lines it logged. */
  lastLines(): string {
    return this.tail.join('\n');
  }

  private async get(path: string): Promise<{ status: number; text: string }> {
    if (this.exited) throw this.exited;
    const res = await fetch(`${this.metricsUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, text: await res.text() };
  }

  async ready(): Promise<boolean> {
    return (await this.get('/readyz')).status === 200;
  }

  async metrics(): Promise<Sample[]> {
    return parseMetrics((await this.get('/metrics')).text);
  }

  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  memory(): { rss: number; peak: number } {
    return processMemoryMiB(this.pid);
  }

  /** A session on the process's inspector; closed by the caller. */
  private async inspector(): Promise<InspectorSession> {
    if (this.exited) throw this.exited;
    return InspectorSession.open(this.inspectorUrl);
  }

  /** Two full GCs through the inspector, then the process's own view of its memory (MiB). */
  async collectGarbage(): Promise<{ heapUsedMiB: number; heapTotalMiB: number; externalMiB: number }> {
    const session = await this.inspector();
    try {
      await session.call('HeapProfiler.collectGarbage');
      await session.call('HeapProfiler.collectGarbage');
      const answer = await session.call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
      const m = JSON.parse(String((answer['result'] as { value?: unknown } | undefined)?.value ?? '{}')) as Partial<NodeJS.MemoryUsage>;
      const mib = (n: number | undefined): number => (n ?? NaN) / 2 ** 20;
      return { heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), externalMiB: mib(m.external) };
    } finally {
      session.close();
    }
  }

  /** Starts V8's CPU profiler; the returned function stops it and gives the profile (.cpuprofile JSON). */
  async startProfile(): Promise<() => Promise<unknown>> {
    const session = await this.inspector();
    await session.call('Profiler.enable');
    await session.call('Profiler.setSamplingInterval', { interval: 500 });
    await session.call('Profiler.start');
    return async () => {
      try {
        return (await session.call('Profiler.stop'))['profile'];
      } finally {
        session.close();
      }
    };
  }

  /** SIGTERM (the CLI's graceful shutdown), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exit = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exit;
    clearTimeout(timer);
  }
}

/** One Chrome DevTools Protocol session over the inspector's WebSocket. */
class InspectorSession {
  private nextId = 0;

  private constructor(private readonly ws: WebSocket) {}

  static async open(url: string): Promise<InspectorSession> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new InspectorSession(ws);
  }

  call(method: string, params: object = {}): Promise<Record<string, unknown>> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ws.off('message', onMessage);
        reject(new Error(`inspector: ${method} did not answer within 60 s`));
      }, 60_000);
      const onMessage = (data: WebSocket.RawData): void => {
        const msg = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        if (msg.id !== id) return;
        clearTimeout(timer);
        this.ws.off('message', onMessage);
        if (msg.error) reject(new Error(`inspector: ${method}: ${msg.error.message}`));
        else resolve(msg.result ?? {});
      };
      this.ws.on('message', onMessage);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
