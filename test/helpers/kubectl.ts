// Runs the real kubectl (1.32, on PATH) against a simulated cluster, bounded in time.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Whether kubectl runs here. The test set-up (test/setup/system-packages.ts) fails the whole
 * run, with a sentence saying what to install, when it does not: in any run that gets to a
 * test this is true, and a `skipIf(!hasKubectl)` never skips.
 */
export const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Kubectl {
  readonly dir: string;
  readonly kubeconfigPath: string;

  constructor(kubeconfig: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'tidepool-kubectl-'));
    this.kubeconfigPath = join(this.dir, 'kubeconfig');
    writeFileSync(this.kubeconfigPath, kubeconfig, { mode: 0o600 });
  }

  /** Runs kubectl; resolves with its exit code and output (never rejects on a non-zero exit). */
  run(args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(
        'kubectl',
        ['--kubeconfig', this.kubeconfigPath, ...args],
        { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...opts.env, KUBECONFIG: this.kubeconfigPath, HOME: this.dir } },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  }

  /** Runs kubectl and throws with its stderr when it fails. */
  async ok(args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  writeFile(name: string, text: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
