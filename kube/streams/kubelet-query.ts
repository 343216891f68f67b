/**
 * What a kubelet reads from its streaming URLs, which kube-apiserver builds from the pods/exec,
 * attach and portforward options: `/exec/{ns}/{pod}/{container}?command=..&input=1&output=1&
 * error=1&tty=1`, `/attach/...` without command, `/portForward/{ns}/{pod}?port=..`. Parsed with
 * the kubelet's rules, so the virtual node's kubelet API answers what a kubelet would.
 */
import type { ExecStreamOptions } from './exec-server.js';
import { validPort } from './portforward-server.js';

/** A query the kubelet would refuse; `message` is its wording. */
export class KubeletQueryError extends Error {
  override readonly name = 'KubeletQueryError';
}

/**
 * The stream options of an exec/attach request: `input`, `output`, `error`, `tty` are on when
 * "1" (and "true", which kube clients also send); stderr is dropped with a TTY, as the
 * kubelet does, and then at least one of the three streams must be left.
 */
export function kubeletExecOptions(query: URLSearchParams): Required<Pick<ExecStreamOptions, 'stdin' | 'stdout' | 'stderr' | 'tty'>> & { command: string[] } {
  const on = (k: string): boolean => {
    const v = query.get(k);
    return v === '1' || v === 'true';
  };
  const tty = on('tty');
  const opts = { stdin: on('input'), stdout: on('output'), stderr: on('error') && !tty, tty, command: query.getAll('command') };
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw new KubeletQueryError('you must specify at least 1 of stdin, stdout, stderr');
  return opts;
}

/** The ports of a port-forward request (`port`, repeated or comma-separated). */
export function kubeletPortForwardPorts(query: URLSearchParams): number[] {
  const ports: number[] = [];
  for (const raw of query.getAll('port').flatMap((v) => v.split(','))) {
    const s = raw.trim();
    const n = Number(s);
    if (!/^\d+$/.test(s) || !validPort(n)) throw new KubeletQueryError(`invalid port "${s}": must be between 1 and 65535`);
    ports.push(n);
  }
  return ports;
}
