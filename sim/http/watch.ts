// WATCH over HTTP: a chunked stream of JSON lines {"type","object"}, resumable from a
// resourceVersion, with BOOKMARKs, timeoutSeconds, 410 Gone as an ERROR event, and a
// registry so fault injection can drop every open stream at once.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import type { KubeObject } from '../object.js';
import type { ResourceType } from '../resources.js';
import type { StoredObject } from '../store.js';
import { apiVersionOf, renderOne, type Rendering } from './render.js';
import type { HandlerContext, Query } from './resource-handler.js';
import { matchersFrom } from './resource-handler.js';

/** A stalled client is cut off rather than buffering without bound (kube does the same). */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** A batch of events this large (UTF-16 code units, ~bytes) is written without waiting for the tick to end. */
const FLUSH_BYTES = 1024 * 1024;

export class WatchRegistry {
  private readonly open = new Set<() => void>();
  bookmarkIntervalMs: number;

  constructor(bookmarkIntervalMs = 5_000) {
    this.bookmarkIntervalMs = bookmarkIntervalMs;
  }

  add(stop: () => void): () => void {
    this.open.add(stop);
    return () => this.open.delete(stop);
  }

  /** Ends every open watch stream (the "drop watches" fault, and shutdown). */
  dropAll(): number {
    const n = this.open.size;
    for (const stop of [...this.open]) stop();
    return n;
  }

  get size(): number {
    return this.open.size;
  }
}

function q1(query: Query, key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function streamWatch(
  ctx: HandlerContext,
  req: FastifyRequest,
  reply: FastifyReply,
  rt: ResourceType,
  namespace: string | undefined,
  query: Query,
  rendering: Rendering,
  convert: ((o: KubeObject) => KubeObject) | undefined,
): void {
  const api = ctx.api;
  const matchers = matchersFrom(query, rt);
  const timeoutRaw = q1(query, 'timeoutSeconds');
  let timeoutSeconds: number;
  if (timeoutRaw !== undefined && timeoutRaw !== '') {
    if (!/^\d+$/.test(timeoutRaw)) throw new ApiError(400, 'BadRequest', `invalid value for timeoutSeconds: "${timeoutRaw}"`);
    timeoutSeconds = Number(timeoutRaw);
  } else {
    // kube-apiserver: a random duration in [minRequestTimeout, 2*minRequestTimeout).
    timeoutSeconds = 1800 * (1 + Math.random());
  }
  const bookmarks = q1(query, 'allowWatchBookmarks') === 'true';
  const res = reply.raw;
  reply.hijack();
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  // Send the headers now: a watch with nothing to report yet must still answer, or the
  // client waits for its response until the first event.
  res.flushHeaders();

  let closed = false;
  let unsubscribe: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const now = (): Date => new Date(api.clock.now());
  // Events written in one turn of the event loop (a burst of writes, a replay from a
  // resourceVersion) leave as one HTTP chunk in one socket write, as a loaded apiserver's
  // watch frames them: each write is otherwise its own chunk, TLS record and syscall here,
  // and its own parser callback, stream push and 'data' event in every client, which is
  // what limits fan-out to many watchers and a client's event rate. Flushed on the next
  // tick, so an event still leaves in the macrotask that produced it; and at FLUSH_BYTES,
  // so a long replay streams instead of building one huge string.
  let pending: string[] = [];
  let pendingBytes = 0;
  let flushQueued = false;
  const flush = (): void => {
    flushQueued = false;
    if (closed || pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    pendingBytes = 0;
    if (res.destroyed) return;
    res.write(text);
    if (res.writableLength > MAX_BUFFERED_BYTES) stop();
  };
  const frame = (type: string, objectJson: string): void => {
    if (closed) return;
    const line = `{"type":"${type}","object":${objectJson}}\n`;
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes >= FLUSH_BYTES) flush();
    else if (!flushQueued) {
      flushQueued = true;
      process.nextTick(flush);
    }
  };
  const stop = (): void => {
    if (closed) return;
    flush();
    if (closed) return; // the flush found the client too far behind and stopped already
    closed = true;
    unsubscribe?.();
    unregister();
    for (const t of timers) clearTimeout(t);
    res.end();
  };
  const unregister = ctx.watches.add(stop);
  req.raw.on('close', stop);
  res.on('error', stop);

  const sinkObject = (o: StoredObject): string => renderOne(rt, o, rendering, now(), convert);
  try {
    unsubscribe = api.watch(rt, namespace, { ...matchers, ...(q1(query, 'resourceVersion') !== undefined ? { resourceVersion: q1(query, 'resourceVersion')! } : {}) }, (ev) =>
      frame(ev.type, sinkObject(ev.object)),
    );
  } catch (e) {
    if (e instanceof ApiError) {
      frame('ERROR', JSON.stringify(e.toStatus()));
      stop();
      return;
    }
    stop();
    throw e;
  }
  if (closed) {
    unsubscribe();
    return;
  }
  timers.push(setTimeout(stop, timeoutSeconds * 1000));
  if (bookmarks) {
    const tick = (): void => {
      if (closed) return;
      const bookmark = {
        kind: rendering.as === 'object' ? rt.kind : 'Table',
        apiVersion: rendering.as === 'object' ? apiVersionOf(rt) : 'meta.k8s.io/v1',
        metadata: { resourceVersion: String(api.store.currentRv()) },
      };
      frame('BOOKMARK', JSON.stringify(bookmark));
      timers.push(setTimeout(tick, ctx.watches.bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, ctx.watches.bookmarkIntervalMs));
  }
}
