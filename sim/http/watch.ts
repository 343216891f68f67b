// WATCH over HTTP: a chunked stream of JSON lines {"type","object"}, resumable from a
// resourceVersion, with BOOKMARKs, timeoutSeconds, 410 Gone as an ERROR event, and a
// registry so fault injection can drop every open stream at once.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest, gone } from '../errors.js';
import type { KubeObject } from '../object.js';
import type { ResourceType } from '../resources.js';
import type { StoredObject } from '../store.js';
import { apiVersionOf, renderOne, type Rendering } from './render.js';
import { validateWatchOptions } from './list-options.js';
import { q1, qBool, type Query } from './query.js';
import type { HandlerContext } from './resource-handler.js';
import { matchersFrom } from './resource-handler.js';

/**
 * Events held back for a watcher whose socket is full (its client reads slower than the
 * writes come). Past this the watch is terminated, as kube-apiserver closes a watcher whose
 * buffer overflows: rather than buffering without bound, or going silent.
 */
const MAX_HELD_BYTES = 64 * 1024 * 1024;
/** A batch of events this large (UTF-16 code units, ~bytes) is written without waiting for the tick to end. */
const FLUSH_BYTES = 1024 * 1024;

/** The annotation on the BOOKMARK that ends a watch-list's initial events. */
const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

/**
 * The resourceVersion the store's watch starts from (undefined, "" and "0" mean: the
 * current state as ADDED events first). A legacy watch starts where the client said.
 * `sendInitialEvents=true` always gets the current state first; its resourceVersion is only
 * a floor (NotOlderThan). `sendInitialEvents=false` never does: without a resourceVersion
 * it starts now.
 */
function startFrom(currentRv: number, sendInitialEvents: boolean | undefined, rv: string | undefined): string | undefined {
  if (sendInitialEvents === undefined) return rv;
  const given = rv !== undefined && rv !== '' && rv !== '0';
  if (sendInitialEvents === false) return given ? rv : String(currentRv);
  if (given) {
    if (!/^\d+$/.test(rv)) throw badRequest(`invalid resourceVersion: "${rv}" is not a valid resourceVersion`);
    // The store's answer for a resourceVersion it has not reached (as a NotOlderThan list gives).
    if (Number(rv) > currentRv) {
      throw new ApiError(504, 'Timeout', 'Too large resource version', {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
  }
  return undefined;
}

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
  const bookmarks = qBool(query, 'allowWatchBookmarks');
  const sendInitialEvents = validateWatchOptions(query);
  const fromRv = startFrom(api.store.currentRv(), sendInitialEvents, q1(query, 'resourceVersion'));
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
  //
  // Backpressure: once the socket is full (write() returned false) nothing more is written
  // until it drains; events are held in `pending` meanwhile and leave in FLUSH_BYTES
  // batches as it drains. Writing on regardless only moves the backlog into the socket's
  // buffer, where a client must wade through up to the cut-off's worth of stale events
  // before it learns the watch was cut off, and the backlog was never bounded by the
  // socket (a paused client keeps it all in server memory).
  /** Lines not yet written, from `head` on, with the resourceVersion of each event. */
  let pending: string[] = [];
  let pendingRvs: number[] = [];
  let head = 0;
  let pendingBytes = 0;
  let flushQueued = false;
  /** The socket is full: wait for 'drain'. */
  let blocked = false;
  /** How many lines were framed / written; the initial list or replay ends at line `initialLines`. */
  let framedLines = 0;
  let writtenLines = 0;
  let initialLines = Number.POSITIVE_INFINITY;
  /** Past this many held bytes the watch is cut off; the initial backlog (bounded by the window or the store) is allowed on top. */
  let heldLimit = Number.POSITIVE_INFINITY;
  /** The resourceVersion the client has been sent everything up to, once known (it may resume from it). */
  let sentRv = 0;
  let startRv = 0;
  const flush = (force = false): void => {
    flushQueued = false;
    if (closed || head === pending.length) return;
    if (blocked && !force) {
      if (res.writableNeedDrain) return; // 'drain' flushes
      blocked = false; // drained without a 'drain' seen: never stall on a missed event
    }
    while (head < pending.length && (force || !blocked)) {
      let end = head;
      let bytes = 0;
      while (end < pending.length && (end === head || bytes + pending[end]!.length <= FLUSH_BYTES)) {
        bytes += pending[end]!.length;
        if (pendingRvs[end]! > sentRv) sentRv = pendingRvs[end]!;
        end++;
      }
      const text = end - head === 1 ? pending[head]! : pending.slice(head, end).join('');
      writtenLines += end - head;
      pendingBytes -= bytes;
      head = end;
      if (res.destroyed) break;
      if (!res.write(text)) blocked = true;
    }
    if (head === pending.length) {
      pending = [];
      pendingRvs = [];
      head = 0;
      pendingBytes = 0;
    }
  };
  res.on('drain', () => {
    blocked = false;
    flush();
  });
  /** Everything up to `sentRv` reached the socket, so a re-watch from it misses nothing. */
  const resumable = (): boolean =>
    writtenLines >= initialLines && Math.max(sentRv, startRv) >= api.store.oldestWatchableRv(rt.storageKey);
  /**
   * The client fell more than MAX_HELD_BYTES behind: drop what is held and end the watch.
   * When it can resume from what it was sent (still in this kind's event window), a plain
   * end lets it re-watch from there and catch up (kube-apiserver just closes such a
   * watcher); otherwise a 410 Expired ERROR tells it to re-list.
   */
  const overflow = (): void => {
    const canResume = resumable();
    pending = [];
    pendingRvs = [];
    head = 0;
    pendingBytes = 0;
    if (!canResume) {
      const status = gone(`the watch fell too far behind (more than ${MAX_HELD_BYTES} bytes of events held for it): re-list`).toStatus();
      pending.push(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
      pendingRvs.push(0);
    }
    stop();
  };
  const frame = (type: string, objectJson: string, rv = 0): void => {
    if (closed) return;
    const line = `{"type":"${type}","object":${objectJson}}\n`;
    pending.push(line);
    pendingRvs.push(rv);
    framedLines++;
    pendingBytes += line.length;
    if (pendingBytes >= FLUSH_BYTES) {
      flush();
      if (blocked && pendingBytes > heldLimit) overflow();
    } else if (!flushQueued) {
      flushQueued = true;
      process.nextTick(flush);
    }
  };
  const stop = (): void => {
    if (closed) return;
    flush(true); // the last events, bounded by MAX_HELD_BYTES, go out before the end
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
  /** A BOOKMARK event's object: only the kind and the resourceVersion the client may resume from. */
  const bookmarkJson = (rv: number, initialEventsEnd: boolean): string =>
    JSON.stringify({
      kind: rendering.as === 'object' ? rt.kind : 'Table',
      apiVersion: rendering.as === 'object' ? apiVersionOf(rt) : 'meta.k8s.io/v1',
      metadata: { resourceVersion: String(rv), ...(initialEventsEnd ? { annotations: { [INITIAL_EVENTS_END]: 'true' } } : {}) },
    });
  try {
    unsubscribe = api.watch(rt, namespace, { ...matchers, ...(fromRv !== undefined ? { resourceVersion: fromRv } : {}) }, (ev) =>
      frame(ev.type, sinkObject(ev.object), ev.object.rv),
    );
    // The initial list (no resourceVersion, or "0") is a snapshot at the current
    // resourceVersion: once all of it is sent, the client may resume from there (sentRv
    // may hold an object's older rv meanwhile; resumable() waits for the whole list).
    // The initial backlog may exceed the cut-off (it is produced at once, not pushed at a
    // client that does not keep up); only what comes on top of it counts.
    startRv = fromRv === undefined || fromRv === '' || fromRv === '0' ? api.store.currentRv() : Number(fromRv);
    // A watch-list marks where the initial state ends, at the resourceVersion it was taken
    // at (client-go's reflector waits for this bookmark before it trusts its store).
    if (sendInitialEvents === true && bookmarks) frame('BOOKMARK', bookmarkJson(startRv, true), startRv);
    initialLines = framedLines;
    heldLimit = MAX_HELD_BYTES + pendingBytes;
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
      frame('BOOKMARK', bookmarkJson(api.store.currentRv(), false));
      timers.push(setTimeout(tick, ctx.watches.bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, ctx.watches.bookmarkIntervalMs));
  }
}
