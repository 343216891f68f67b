// The built-in shell of the sim's containers. Simulated kubelets run no processes, so exec
// and attach on their pods run here instead: the command line in, output and an exit code
// out, against the container's environment and mounted ConfigMap/Secret files, which the
// caller resolves (container-env.ts). No I/O of its own beyond the ShellIO it is given.
//
// Commands: echo, env, printenv, hostname, cat, sleep, exit, true, false, pwd, export, `:`,
// and sh/bash (`sh -c 'script'`, `sh FILE`, or an interactive `sh` reading its stdin, with a
// prompt on a terminal). Anything else is `sh: <cmd>: command not found`, exit 127, as a
// shell would say it.

import { ShellInput } from './shell-input.js';
import { expandWord, parseScript, ShellSyntaxError, type ListItem } from './shell-parse.js';

export interface ContainerEnvironment {
  hostname: string;
  /** The container's environment, in the order `env` prints it. */
  env: ReadonlyArray<readonly [string, string]>;
  /** Mounted files by absolute path (ConfigMap and Secret keys). */
  files: ReadonlyMap<string, Buffer>;
}

export interface ShellIO {
  input: ShellInput;
  stdout(data: string | Buffer): Promise<void>;
  stderr(data: string | Buffer): Promise<void>;
  /** Waits `ms`, or less when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** The session is over (the client went away): stop at once. */
  signal?: AbortSignal;
}

/** What an interactive shell prints before reading a line on a terminal (busybox's root prompt). */
export const PROMPT = '/ # ';

const BIN_DIRS = new Set(['/bin', '/usr/bin', '/sbin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']);
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash']);
const EXIT_INTERRUPTED = 130;

/** Runs argv in the container and resolves with its exit code. */
export async function runInContainer(argv: readonly string[], container: ContainerEnvironment, io: ShellIO): Promise<number> {
  const shell = new Shell(container, io);
  return shell.runTopLevel(argv);
}

/** The command's name: `/bin/echo` is `echo`; other paths are looked up as they are. */
function commandName(arg0: string): string {
  const slash = arg0.lastIndexOf('/');
  if (slash < 0) return arg0;
  const dir = arg0.slice(0, slash) || '/';
  return BIN_DIRS.has(dir) ? arg0.slice(slash + 1) : arg0;
}

/** Absolute, with `.`, `..` and repeated slashes resolved. */
export function normalizePath(path: string, cwd = '/'): string {
  const parts: string[] = [];
  for (const p of (path.startsWith('/') ? path : `${cwd}/${path}`).split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return `/${parts.join('/')}`;
}

/** Seconds with an optional s/m/h/d suffix, as GNU and busybox sleep take them. */
function parseSleep(arg: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
  if (!m) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit * 1000;
}

function echoEscapes(s: string): { text: string; stop: boolean } {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const n = s[++i]!;
    const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', e: '\x1b' };
    if (n === 'c') return { text: out, stop: true };
    out += map[n] ?? `\\${n}`;
  }
  return { text: out, stop: false };
}

class ExitRequest {
  constructor(readonly code: number) {}
}

class Shell {
  private readonly vars = new Map<string, string>();
  private readonly exported: string[] = [];
  private status = 0;
  private positional: string[] = ['sh'];
  /** The command running now, interrupted by Ctrl-C or the end of the session. */
  private running: AbortController | undefined;
  private interactiveWaiting = false;

  constructor(
    private readonly container: ContainerEnvironment,
    private readonly io: ShellIO,
  ) {
    for (const [k, v] of container.env) {
      if (!this.vars.has(k)) this.exported.push(k);
      this.vars.set(k, v);
    }
  }

  async runTopLevel(argv: readonly string[]): Promise<number> {
    const off = this.io.input.onInterrupt(() => this.running?.abort());
    try {
      return await this.exec([...argv], new Map());
    } catch (e) {
      if (e instanceof ExitRequest) return e.code;
      throw e;
    } finally {
      off();
    }
  }

  private lookup = (name: string): string | undefined => {
    if (name === '?') return String(this.status);
    if (name === '#') return String(Math.max(0, this.positional.length - 1));
    if (name === '@' || name === '*') return this.positional.slice(1).join(' ');
    if (name === '$') return '1';
    if (/^\d+$/.test(name)) return this.positional[Number(name)];
    return this.vars.get(name);
  };

  /** Runs a parsed script; returns the status of the last command. */
  private async runScript(items: ListItem[]): Promise<number> {
    for (const item of items) {
      if (this.io.signal?.aborted) throw new ExitRequest(EXIT_INTERRUPTED);
      if (item.op === '&&' && this.status !== 0) continue;
      if (item.op === '||' && this.status === 0) continue;
      const words = item.words.map((w) => expandWord(w, this.lookup));
      const assignments = new Map<string, string>();
      while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) {
        const w = words.shift()!;
        const eq = w.indexOf('=');
        assignments.set(w.slice(0, eq), w.slice(eq + 1));
      }
      if (words.length === 0) {
        for (const [k, v] of assignments) this.vars.set(k, v);
        this.status = 0;
        continue;
      }
      this.status = await this.exec(words, assignments);
    }
    return this.status;
  }

  private async runSource(src: string): Promise<number> {
    let items: ListItem[];
    try {
      items = parseScript(src);
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      await this.io.stderr(`sh: ${e.message}\n`);
      return (this.status = 2);
    }
    return this.runScript(items);
  }

  /** Runs one command with temporary environment `extra`. */
  private async exec(argv: string[], extra: ReadonlyMap<string, string>): Promise<number> {
    if (argv.length === 0) return 0;
    const name = commandName(argv[0]!);
    const args = argv.slice(1);
    const out = (s: string | Buffer): Promise<void> => this.io.stdout(s);
    const err = (s: string | Buffer): Promise<void> => this.io.stderr(s);
    switch (name) {
      case 'true':
      case ':':
        return 0;
      case 'false':
        return 1;
      case 'echo': {
        let newline = true;
        let escapes = false;
        while (args.length > 0 && /^-[neE]+$/.test(args[0]!)) {
          const flags = args.shift()!;
          if (flags.includes('n')) newline = false;
          if (flags.includes('e')) escapes = true;
          if (flags.includes('E')) escapes = false;
        }
        let text = args.join(' ');
        if (escapes) {
          const r = echoEscapes(text);
          text = r.text;
          if (r.stop) newline = false;
        }
        await out(newline ? `${text}\n` : text);
        return 0;
      }
      case 'hostname':
        await out(`${this.container.hostname}\n`);
        return 0;
      case 'pwd':
        await out('/\n');
        return 0;
      case 'env':
      case 'printenv':
        return name === 'env' ? this.env(args, extra) : this.printenv(args, extra);
      case 'export':
        for (const a of args) {
          const eq = a.indexOf('=');
          const k = eq < 0 ? a : a.slice(0, eq);
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
            await err(`sh: export: ${a}: bad variable name\n`);
            return 1;
          }
          if (eq >= 0) this.vars.set(k, a.slice(eq + 1));
          if (!this.exported.includes(k)) this.exported.push(k);
        }
        return 0;
      case 'exit': {
        if (args.length === 0) throw new ExitRequest(this.status);
        if (!/^-?\d+$/.test(args[0]!)) {
          await err(`sh: exit: Illegal number: ${args[0]}\n`);
          throw new ExitRequest(2);
        }
        throw new ExitRequest(((Number(args[0]) % 256) + 256) % 256);
      }
      case 'sleep':
        return this.sleep(args);
      case 'cat':
        return this.cat(args);
      default:
        if (SHELLS.has(name)) return this.sh(args, extra);
        await err(`sh: ${argv[0]}: command not found\n`);
        return 127;
    }
  }

  private async env(args: string[], extra: ReadonlyMap<string, string>): Promise<number> {
    const more = new Map(extra);
    while (args.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[0]!)) {
      const a = args.shift()!;
      const eq = a.indexOf('=');
      more.set(a.slice(0, eq), a.slice(eq + 1));
    }
    if (args.length > 0) {
      if (args[0]!.startsWith('-')) {
        await this.io.stderr(`env: invalid option -- '${args[0]!.slice(1)}'\n`);
        return 125;
      }
      // `env NAME=value cmd`: run cmd with the extra variables.
      return this.exec(args, more);
    }
    await this.io.stdout(mergeOrder(this.exported, this.vars, more).map(([k, v]) => `${k}=${v}\n`).join(''));
    return 0;
  }

  private async printenv(names: string[], extra: ReadonlyMap<string, string>): Promise<number> {
    const pairs = mergeOrder(this.exported, this.vars, extra);
    if (names.length === 0) {
      await this.io.stdout(pairs.map(([k, v]) => `${k}=${v}\n`).join(''));
      return 0;
    }
    const values = new Map(pairs);
    let code = 0;
    let text = '';
    for (const n of names) {
      const v = values.get(n);
      if (v === undefined) code = 1;
      else text += `${v}\n`;
    }
    await this.io.stdout(text);
    return code;
  }

  /** Runs `work` as the current command: Ctrl-C or the session's end aborts its signal. */
  private async interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    const outer = this.running;
    this.running = ac;
    const onSessionEnd = (): void => ac.abort();
    if (this.io.signal?.aborted) ac.abort();
    else this.io.signal?.addEventListener('abort', onSessionEnd, { once: true });
    try {
      return await work(ac.signal);
    } finally {
      this.running = outer;
      this.io.signal?.removeEventListener('abort', onSessionEnd);
    }
  }

  private async sleep(args: string[]): Promise<number> {
    if (args.length === 0) {
      await this.io.stderr('sleep: missing operand\n');
      return 1;
    }
    let ms = 0;
    for (const a of args) {
      const v = parseSleep(a);
      if (v === undefined) {
        await this.io.stderr(`sleep: invalid time interval '${a}'\n`);
        return 1;
      }
      ms += v;
    }
    return this.interruptible(async (signal) => {
      await this.io.sleep(ms, signal);
      return signal.aborted ? EXIT_INTERRUPTED : 0;
    });
  }

  private async cat(args: string[]): Promise<number> {
    const files = args.length === 0 ? ['-'] : args;
    let code = 0;
    for (const f of files) {
      if (f === '-') {
        const interrupted = await this.interruptible(async (signal) => {
          const stop = new Promise<null>((r) => (signal.aborted ? r(null) : signal.addEventListener('abort', () => r(null), { once: true })));
          for (;;) {
            const chunk = await Promise.race([this.io.input.read(), stop]);
            if (chunk === null) return signal.aborted;
            await this.io.stdout(chunk);
          }
        });
        if (interrupted) return EXIT_INTERRUPTED;
        continue;
      }
      const path = normalizePath(f);
      const content = this.container.files.get(path);
      if (content !== undefined) {
        await this.io.stdout(content);
        continue;
      }
      const isDir = path === '/' || [...this.container.files.keys()].some((k) => k.startsWith(`${path}/`));
      await this.io.stderr(`cat: ${f}: ${isDir ? 'Is a directory' : 'No such file or directory'}\n`);
      code = 1;
    }
    return code;
  }

  private async sh(args: string[], extra: ReadonlyMap<string, string>): Promise<number> {
    const child = new Shell(
      { ...this.container, env: mergeOrder(this.exported, this.vars, extra) },
      this.io,
    );
    let i = 0;
    let script: string | undefined;
    for (; i < args.length && args[i]!.startsWith('-') && args[i] !== '-'; i++) {
      const opt = args[i]!;
      if (opt === '-c') {
        if (i + 1 >= args.length) {
          await this.io.stderr('sh: -c: option requires an argument\n');
          return 2;
        }
        script = args[i + 1]!;
        i += 2;
        break;
      }
      if (!/^-[ilsex]+$/.test(opt)) {
        await this.io.stderr(`sh: ${opt}: invalid option\n`);
        return 2;
      }
    }
    const rest = args.slice(i);
    // Ctrl-C reaches whatever command the child shell runs, or gets a fresh prompt while it reads a line.
    const off = this.io.input.onInterrupt(() => {
      if (child.running) child.running.abort();
      else if (child.interactiveWaiting) void this.io.stdout(PROMPT);
    });
    try {
      if (script !== undefined) {
        child.positional = rest.length > 0 ? rest : ['sh'];
        return await child.runSource(script);
      }
      if (rest.length > 0 && rest[0] !== '-') {
        const path = normalizePath(rest[0]!);
        const content = this.container.files.get(path);
        if (content === undefined) {
          await this.io.stderr(`sh: can't open '${rest[0]}': No such file or directory\n`);
          return 2;
        }
        child.positional = rest;
        return await child.runSource(content.toString('utf8'));
      }
      return await child.interactive();
    } catch (e) {
      if (e instanceof ExitRequest) return e.code;
      throw e;
    } finally {
      off();
    }
  }

  /** Reads commands from stdin, one line at a time, until `exit` or the end of input. */
  private async interactive(): Promise<number> {
    const tty = this.io.input.tty;
    for (;;) {
      if (this.io.signal?.aborted) return EXIT_INTERRUPTED;
      if (tty) await this.io.stdout(PROMPT);
      this.interactiveWaiting = true;
      const line = await this.io.input.readLine();
      this.interactiveWaiting = false;
      if (line === null) {
        if (tty) await this.io.stdout('\n');
        return this.status;
      }
      await this.runSource(line);
    }
  }
}

/** The exported variables in their order, with temporary values overriding and new ones appended. */
function mergeOrder(exported: readonly string[], vars: ReadonlyMap<string, string>, extra: ReadonlyMap<string, string>): Array<[string, string]> {
  const out: Array<[string, string]> = exported.map((k) => [k, extra.get(k) ?? vars.get(k) ?? '']);
  for (const [k, v] of extra) if (!exported.includes(k)) out.push([k, v]);
  return out;
}
