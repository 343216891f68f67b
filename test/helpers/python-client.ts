// Runs a script of the official Kubernetes Python client (Debian's python3-kubernetes)
// against a simulated cluster, bounded in time, and reads the one JSON document it prints.
import { execFile, type ChildProcess } from 'node:child_process';

/**
 * Debian's interpreter, named by path: python3-kubernetes installs for it, and the first
 * `python3` on PATH may be another one (pyenv) without the module.
 */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** The environment a script runs in: no other interpreter's paths, no bytecode written into the repo. */
function scriptEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONNOUSERSITE: '1', NO_PROXY: '127.0.0.1,localhost' };
  delete env['PYTHONPATH'];
  delete env['PYTHONHOME'];
  return env;
}

export interface PythonRun {
  child: ChildProcess;
  /** The script's JSON output; rejects, with its stderr, when it fails or prints no JSON. */
  result: Promise<unknown>;
}

/** Starts `script` with the kubeconfig path as its first argument, then `args`. */
export function startPythonScript(script: string, kubeconfigPath: string, args: string[], timeoutMs = 30_000): PythonRun {
  let child!: ChildProcess;
  const result = new Promise<unknown>((resolve, reject) => {
    child = execFile(DEBIAN_PYTHON, [script, kubeconfigPath, ...args], { timeout: timeoutMs, env: scriptEnv() }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${script} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as unknown);
      } catch {
        reject(new Error(`${script} printed no JSON: ${stdout}\n${stderr}`));
      }
    });
  });
  return { child, result };
}

export function runPythonScript(script: string, kubeconfigPath: string, args: string[], timeoutMs?: number): Promise<unknown> {
  return startPythonScript(script, kubeconfigPath, args, timeoutMs).result;
}
