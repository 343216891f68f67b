/**
 * Joins a session a client opened with us (server side) to one we opened toward a member
 * cluster's API server (client side): what the virtual node's kubelet API does for
 * `kubectl exec` on a pod whose mirror runs elsewhere, and what kube-apiserver's proxy does
 * between kubectl and a kubelet.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import type { ClientExecSession } from './exec-client.js';
import type { ServerExecSession } from './exec-server.js';
import type { ClientPortForwardSession } from './portforward-client.js';
import type { ServerPortForwardSession } from './portforward-server.js';

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

/** Pipes two connections' bytes both ways; an end on one side is passed on, an error cuts both. */
function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const cut = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', cut);
  b.on('error', cut);
}

/**
 * Serves each connection the client forwards by opening the same port on the member and
 * splicing the two; a failure on the member's side (nothing listening, an error Status) is
 * reported on the client's connection. Resolves once either session closes, after closing
 * the other.
 */
export async function bridgePortForward(server: ServerPortForwardSession, member: ClientPortForwardSession): Promise<void> {
  const off = server.onStream((stream) => {
    member.connect(stream.port).then(
      (remote) => {
        splice(stream.data, remote.data);
        void remote.error.then((message) => {
          if (message) stream.fail(message);
        });
      },
      (err: Error) => stream.fail(`error forwarding port ${stream.port}: ${err.message}`),
    );
  });
  try {
    await Promise.race([server.closed, member.closed]);
  } finally {
    off();
    member.close();
    await Promise.all([server.close(), member.closed]);
  }
}
