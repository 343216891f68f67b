/**
 * Joins a session a client opened with us (server side) to one we opened toward a member
 * cluster's API server (client side): what the virtual node's kubelet API does for
 * `kubectl exec` on a pod whose mirror runs elsewhere, and what kube-apiserver's proxy does
 * between kubectl and a kubelet.
 */
import type { Readable, Writable } from 'node:stream';
import type { ClientExecSession } from './exec-client.js';
import type { ServerExecSession } from './exec-server.js';

/** Copies src into dst without ending dst; resolves when src has ended (or gone). */
function forward(src: Readable | null, dst: Writable | null): Promise<void> {
  if (!src) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      src.off('end', done);
      src.off('close', done);
      src.off('error', done);
      if (dst) src.unpipe(dst);
      resolve();
    };
    src.on('end', done);
    src.on('close', done);
    src.on('error', done);
    if (dst) src.pipe(dst, { end: false });
    else src.resume();
  });
}

/**
 * Pipes stdin to the member, stdout/stderr and the result back, and resizes to the member;
 * resolves once both sides are closed. If our client goes away first, the member session is
 * closed (its command sees its connection end, as with a real kubelet).
 */
export async function bridgeExec(server: ServerExecSession, member: ClientExecSession): Promise<void> {
  const unsubscribe = server.onResize((size) => member.resize(size.width, size.height));
  try {
    if (server.stdin && member.stdin) server.stdin.pipe(member.stdin);
    else {
      member.stdin?.end();
      server.stdin?.resume();
    }
    const outputs = Promise.all([forward(member.stdout, server.stdout), forward(member.stderr, server.stderr ?? server.stdout)]);
    const first = await Promise.race([member.result, server.closed.then(() => undefined)]);
    if (first === undefined) {
      member.close();
      await member.closed;
      return;
    }
    // The status comes after the output on the member's connection; let the output drain first.
    await Promise.race([outputs, server.closed]);
    await server.end(first);
    member.close();
    await member.closed;
  } finally {
    unsubscribe();
    if (server.stdin && member.stdin) server.stdin.unpipe(member.stdin);
  }
}
