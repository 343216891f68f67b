/**
 * Reading a file a command-line flag names (a certificate, a key, a token file) while
 * validating flags: a file that cannot be read becomes one problem naming the flag, the path and
 * why, beside the other flags' problems. The path is not secret; the content never appears in a
 * message.
 */
import { readFileSync } from 'node:fs';

/** The file's text, or null with a problem pushed onto `problems`. */
export function readFlagFile(flag: string, path: string, problems: string[]): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return null;
  }
}
