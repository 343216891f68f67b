// The filesystem as the agent sees it. Every read and write of cgroup, resctrl,
// proc and sys files goes through this interface, so tests can swap in a fake
// kernel that refuses writes the way the real one does.
import { mkdirSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

export interface Fs {
  readFile(path: string): Promise<string>;
  /** One open + one write(2) of `data` + close: kernel files take a value per write. */
  writeFile(path: string, data: string): Promise<void>;
  readdir(path: string): Promise<DirEntry[]>;
  exists(path: string): Promise<boolean>;
  isDirectory(path: string): Promise<boolean>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
}

/**
 * The real filesystem (node:fs). Synchronous calls behind the async interface, on purpose:
 * cgroup, proc and sys files are in-memory pseudo files that answer in microseconds,
 * while each fs/promises call is several thread-pool round trips (open, fstat, read,
 * close). A reconcile touches ~50 files per handful of pods; done synchronously it costs
 * a fraction of the CPU, which matters on the very node whose latency the agent guards.
 */
export const nodeFs: Fs = {
  readFile: async (path) => readFileSync(path, 'utf8'),
  writeFile: async (path, data) => writeFileSync(path, data, { encoding: 'utf8', flag: 'w' }),
  async readdir(path) {
    return readdirSync(path, { withFileTypes: true }).map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
  },
  async exists(path) {
    try {
      statSync(path);
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return false;
      throw err;
    }
  },
  async isDirectory(path) {
    try {
      return statSync(path).isDirectory();
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return false;
      throw err;
    }
  },
  mkdir: async (path) => {
    mkdirSync(path);
  },
  rmdir: async (path) => rmdirSync(path),
};

/** The errno code (`EINVAL`, `ENOENT`, ...) of a filesystem error, if it has one. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** An error shaped like node:fs errors, for fakes and for wrapping. */
export function fsError(code: string, syscall: string, path: string, detail?: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${detail ?? syscall} '${path}'`);
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

/** Read a file, or undefined when it does not exist. */
export async function readOptional(fs: Fs, path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
