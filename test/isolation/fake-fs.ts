// An in-memory filesystem whose files can be "kernel files": reads and writes
// go through handlers that enforce the kernel's rules and fail with the same
// errno codes. Directories can have mkdir/rmdir hooks (cgroupfs, resctrl).
import { dirname } from 'node:path';
import { fsError, type DirEntry, type Fs } from '../../isolation/fs.js';

export interface VFile {
  read(): string;
  /** Absent: plain file, a write replaces the content. */
  write?(data: string): void;
}

export interface DirHooks {
  /** Called after a child directory was created under this directory. */
  mkdir?(path: string): void;
  /** Called before a directory under this one is removed; throw to refuse. */
  rmdir?(path: string): void;
  /** Files cannot be created here by writing (kernel pseudo-filesystems). */
  noCreate?: boolean;
}

export interface WriteRecord {
  path: string;
  data: string;
  ok: boolean;
  code?: string;
}

export class PlainFile implements VFile {
  constructor(public content: string) {}
  read(): string {
    return this.content;
  }
}

export class FakeFs implements Fs {
  private readonly dirs = new Set<string>(['/']);
  private readonly files = new Map<string, VFile>();
  private readonly hooks: { prefix: string; hooks: DirHooks }[] = [];
  readonly writes: WriteRecord[] = [];
  private recording = true;

  /** Run setup work (the fake kubelet/runtime) without recording its writes. */
  quiet<T>(fn: () => T): T {
    const was = this.recording;
    this.recording = false;
    try {
      return fn();
    } finally {
      this.recording = was;
    }
  }

  private record(w: WriteRecord): void {
    if (this.recording) this.writes.push(w);
  }

  // ------------------------------------------------------------ setup API

  addDir(path: string): void {
    const parts = path.split('/').filter((p) => p !== '');
    let cur = '';
    for (const p of parts) {
      cur += `/${p}`;
      this.dirs.add(cur);
    }
  }

  addFile(path: string, file: VFile | string): void {
    this.addDir(dirname(path));
    this.files.set(path, typeof file === 'string' ? new PlainFile(file) : file);
  }

  removeFile(path: string): void {
    this.files.delete(path);
  }

  /** Replace a file's content directly, bypassing handlers (simulates another writer, e.g. kubelet). */
  poke(path: string, content: string): void {
    const f = this.files.get(path);
    if (f === undefined) throw new Error(`poke: no file ${path}`);
    if (f instanceof PlainFile) f.content = content;
    else if ('poke' in f && typeof (f as { poke: unknown }).poke === 'function') (f as unknown as { poke(c: string): void }).poke(content);
    else throw new Error(`poke: ${path} cannot be poked`);
  }

  hook(prefix: string, hooks: DirHooks): void {
    this.hooks.push({ prefix, hooks });
    this.hooks.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  removeTree(path: string): void {
    for (const d of [...this.dirs]) if (d === path || d.startsWith(`${path}/`)) this.dirs.delete(d);
    for (const f of [...this.files.keys()]) if (f.startsWith(`${path}/`)) this.files.delete(f);
  }

  /** Successful writes to a path, in order. */
  writesTo(path: string): string[] {
    return this.writes.filter((w) => w.ok && w.path === path).map((w) => w.data);
  }

  okWrites(): WriteRecord[] {
    return this.writes.filter((w) => w.ok);
  }

  hasDir(path: string): boolean {
    return this.dirs.has(path);
  }

  hasFile(path: string): boolean {
    return this.files.has(path);
  }

  private hooksFor(path: string): DirHooks | undefined {
    return this.hooks.find((h) => path === h.prefix || path.startsWith(`${h.prefix}/`))?.hooks;
  }

  // ------------------------------------------------------------ Fs

  async readFile(path: string): Promise<string> {
    return this.readFileSync(path);
  }

  async writeFile(path: string, data: string): Promise<void> {
    this.writeFileSync(path, data);
  }

  async mkdir(path: string): Promise<void> {
    this.mkdirSync(path);
  }

  async rmdir(path: string): Promise<void> {
    this.rmdirSync(path);
  }

  readFileSync(path: string): string {
    const f = this.files.get(path);
    if (f === undefined) throw fsError(this.dirs.has(path) ? 'EISDIR' : 'ENOENT', 'open', path);
    return f.read();
  }

  writeFileSync(path: string, data: string): void {
    let f = this.files.get(path);
    if (f === undefined) {
      if (!this.dirs.has(dirname(path)) || this.hooksFor(dirname(path))?.noCreate === true) {
        this.record({ path, data, ok: false, code: this.dirs.has(dirname(path)) ? 'EACCES' : 'ENOENT' });
        throw fsError(this.dirs.has(dirname(path)) ? 'EACCES' : 'ENOENT', 'open', path);
      }
      f = new PlainFile('');
      this.files.set(path, f);
    }
    try {
      if (f.write === undefined) {
        if (!(f instanceof PlainFile)) throw fsError('EACCES', 'write', path, 'read-only file');
        f.content = data;
      } else {
        f.write(data);
      }
      this.record({ path, data, ok: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      this.record({ path, data, ok: false, code });
      throw fsError(code, 'write', path, (err as Error).message);
    }
  }

  async readdir(path: string): Promise<DirEntry[]> {
    if (!this.dirs.has(path)) throw fsError(this.files.has(path) ? 'ENOTDIR' : 'ENOENT', 'scandir', path);
    const prefix = path === '/' ? '/' : `${path}/`;
    const out = new Map<string, boolean>();
    for (const d of this.dirs) if (d.startsWith(prefix) && d !== path && !d.slice(prefix.length).includes('/')) out.set(d.slice(prefix.length), true);
    for (const f of this.files.keys()) if (f.startsWith(prefix) && !f.slice(prefix.length).includes('/')) out.set(f.slice(prefix.length), false);
    return [...out.entries()].map(([name, isDirectory]) => ({ name, isDirectory }));
  }

  async exists(path: string): Promise<boolean> {
    return this.dirs.has(path) || this.files.has(path);
  }

  async isDirectory(path: string): Promise<boolean> {
    return this.dirs.has(path);
  }

  mkdirSync(path: string): void {
    if (this.dirs.has(path) || this.files.has(path)) throw fsError('EEXIST', 'mkdir', path);
    if (!this.dirs.has(dirname(path))) throw fsError('ENOENT', 'mkdir', path);
    const hooks = this.hooksFor(dirname(path));
    this.dirs.add(path);
    try {
      hooks?.mkdir?.(path);
    } catch (err) {
      this.removeTree(path);
      throw err;
    }
    this.record({ path, data: '<mkdir>', ok: true });
  }

  rmdirSync(path: string): void {
    if (!this.dirs.has(path)) throw fsError('ENOENT', 'rmdir', path);
    this.hooksFor(dirname(path))?.rmdir?.(path);
    this.removeTree(path);
    this.record({ path, data: '<rmdir>', ok: true });
  }
}

/** Throw a kernel-style errno error from a file handler. */
export function kerr(code: string, message: string): never {
  throw fsError(code, 'write', '', message);
}
