// exec and attach on a pod of a simulated node: the sim's API server accepts the upgrade
// itself (WebSocket, as kubectl 1.32 speaks it, or SPDY/3.1) and runs the command in the
// built-in container shell, with the container's environment and mounted files resolved from
// the store now. attach with stdin echoes it back (a container running `cat`); without stdin it
// shows nothing and lasts until the client leaves or the pod stops running.

import type { Writable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { acceptExecUpgrade, StreamUpgradeError, type ServerExecSession } from '../../kube/index.js';
import type { ClusterApi } from '../api.js';
import { containerEnvironment } from '../container-env.js';
import { runInContainer, type ShellIO } from '../container-shell.js';
import type { NodeFleet } from '../kubelet.js';
import type { KubeObject } from '../object.js';
import { ShellInput } from '../shell-input.js';

export interface ShellRequest {
  sub: 'exec' | 'attach';
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** How often an attach without stdin checks that its pod still runs. */
const ATTACH_CHECK_MS = 1000;
/** Upper bound on one session of the built-in shell (a `sleep 1d` or a forgotten attach). */
const MAX_SESSION_MS = 30 * 60 * 1000;

/** Writes and waits for the socket to take it, or for the session to close. */
function writer(w: Writable | null, closed: Promise<void>, tty: boolean): (data: string | Buffer) => Promise<void> {
  return async (data) => {
    if (!w || w.destroyed || w.writableEnded) return;
    let buf = typeof data === 'string' ? Buffer.from(data) : data;
    // A terminal's output processing (ONLCR): newline becomes CR LF.
    if (tty) buf = Buffer.from(buf.toString('utf8').replace(/\r?\n/g, '\r\n'));
    if (!w.write(buf)) await Promise.race([new Promise<void>((r) => w.once('drain', () => r())), closed]);
  };
}

function sleeper(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Waits until the pod is gone or no longer Running, or `signal` aborts. */
function untilPodStops(api: ClusterApi, fleet: NodeFleet, pod: KubeObject, signal: AbortSignal): Promise<void> {
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const startedAt = fleet.podStartedAt(ns, name);
  return new Promise((resolve) => {
    const stop = (): void => {
      clearInterval(timer);
      signal.removeEventListener('abort', stop);
      resolve();
    };
    const timer = setInterval(() => {
      const rt = api.registry.lookup('', 'v1', 'pods')!;
      if (!api.tryGet(rt, ns, name) || fleet.podStartedAt(ns, name) !== startedAt) stop();
    }, ATTACH_CHECK_MS);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

async function run(session: ServerExecSession, api: ClusterApi, fleet: NodeFleet, pod: KubeObject, r: ShellRequest, signal: AbortSignal): Promise<number> {
  const stdout = writer(session.stdout, session.closed, session.tty);
  const stderr = session.stderr ? writer(session.stderr, session.closed, false) : stdout;
  const echo = session.tty && session.stdout ? (b: Buffer): void => void session.stdout!.write(b) : null;
  const input = new ShellInput(session.stdin, echo);
  const io: ShellIO = { input, stdout, stderr, sleep: sleeper, signal };
  if (r.sub === 'exec') return runInContainer(r.command, containerEnvironment(api, pod, r.container), io);
  if (session.stdin) return runInContainer(['cat'], containerEnvironment(api, pod, r.container), io);
  await untilPodStops(api, fleet, pod, signal);
  return 0;
}

/**
 * Serves one exec/attach session on the request's socket (already taken from fastify).
 * Resolves when the session is over.
 */
export async function serveContainerShell(api: ClusterApi, fleet: NodeFleet, req: FastifyRequest, pod: KubeObject, r: ShellRequest): Promise<void> {
  const socket = req.raw.socket;
  socket.setTimeout(0);
  let session: ServerExecSession;
  try {
    session = await acceptExecUpgrade(req.raw, socket, Buffer.alloc(0), { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, tty: r.tty, command: r.command });
  } catch (e) {
    if (e instanceof StreamUpgradeError) return; // answered on the socket already
    socket.destroy();
    return;
  }
  const ac = new AbortController();
  void session.closed.then(() => ac.abort());
  const limit = setTimeout(() => ac.abort(), MAX_SESSION_MS);
  try {
    const exitCode = await run(session, api, fleet, pod, r, ac.signal);
    await session.end({ exitCode });
  } catch (e) {
    await session.end({ error: `error executing command in container: ${(e as Error).message}` });
  } finally {
    clearTimeout(limit);
  }
}
