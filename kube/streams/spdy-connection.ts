/**
 * A SPDY/3.1 session over an upgraded socket: streams as Node Duplexes, header compression,
 * per-stream and per-connection flow control, PING echo and GOAWAY. Both ends of kube's
 * streaming use it: a kubelet (server) accepts the streams kubectl or kube-apiserver opens
 * (error, stdin, stdout, stderr, resize; data/error pairs for port-forward), and the client
 * opens them.
 *
 * Flow control and the Go implementations: moby/spdystream (under client-go, kubectl,
 * kube-apiserver and the kubelet) never sends WINDOW_UPDATE or SETTINGS and ignores those it
 * gets. A sender that honoured the 64 KiB initial window against such a peer would stall
 * forever after 64 KiB. So the send windows here bind only once the peer has shown it takes
 * part in flow control, by sending SETTINGS or WINDOW_UPDATE (this implementation sends
 * SETTINGS first thing, so two of ours always run windowed). Received data is acknowledged
 * as the reader consumes it; a peer that overruns its window (spdystream does) is tolerated,
 * and the socket is paused instead while a stream's reader lags far behind.
 */
import { Duplex, type Duplex as DuplexType } from 'node:stream';
import {
  DEFAULT_WINDOW,
  GoAwayStatus,
  RstStatus,
  SettingsId,
  SpdyFrameDecoder,
  SpdyProtocolError,
  encodeFrame,
  type SpdyFrame,
} from './spdy-frames.js';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from './spdy-headers.js';

export interface SpdyConnectionOptions {
  /** The client opens odd-numbered streams and sends odd PING ids; the server even ones. */
  role: 'client' | 'server';
  /**
   * Called for every stream the peer opens, before it is answered. Return false to refuse it
   * (RST_STREAM REFUSED_STREAM); otherwise it is accepted with a SYN_REPLY. Without a handler
   * every stream is refused.
   */
  onStream?: (stream: SpdyStream) => boolean | void;
  /** Bytes already read from the socket past the HTTP upgrade (Node's `head`). */
  head?: Buffer;
  /** Receive window announced for each stream. Default 64 KiB, the protocol's default. */
  initialWindow?: number;
  /** Largest DATA payload sent in one frame. Default 16 KiB. */
  maxDataFrame?: number;
  /** How long createStream waits for the SYN_REPLY. Default 30 s (client-go's). */
  replyTimeoutMs?: number;
}

/** Buffered bytes of one stream's reader beyond which the socket stops being read. */
const CONGESTION_BYTES = 1024 * 1024;
/** Frames waiting behind a header block being inflated before the socket is paused. */
const INBOX_HIGH_WATER = 256;
/** How long a closing connection waits for its GOAWAY to be flushed before destroying the socket. */
const CLOSE_GRACE_MS = 2000;
const EMPTY = Buffer.alloc(0);
const MAX_WINDOW = 0x7fffffff;

type Waiter = () => void;

export class SpdyConnection {
  readonly role: 'client' | 'server';
  /** Resolves when the socket has closed (for whatever reason); never rejects. */
  readonly closed: Promise<void>;
  /** Why the connection ended, when it was not a clean close. */
  closeError: Error | undefined;

  private readonly socket: DuplexType;
  private readonly decoder = new SpdyFrameDecoder();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly onStream: ((stream: SpdyStream) => boolean | void) | undefined;
  private readonly recvWindow: number;
  private readonly maxDataFrame: number;
  private readonly replyTimeoutMs: number;
  private nextStreamId: number;
  private nextPingId: number;
  private lastPeerStreamId = 0;
  private readonly pings = new Map<number, () => void>();

  /** True once the peer has sent SETTINGS or WINDOW_UPDATE: from then on its windows bind. */
  private peerFlowControl = false;
  private peerInitialWindow = DEFAULT_WINDOW;
  private connSendWindow = DEFAULT_WINDOW;
  private connRecvUnacked = 0;
  private readonly windowWaiters = new Set<Waiter>();

  private readonly out: Array<Buffer | Promise<Buffer>> = [];
  private pumping = false;
  private drainWaiters: Waiter[] = [];

  private readonly inbox: SpdyFrame[] = [];
  private decoding = false;
  private readonly congested = new Set<SpdyStream>();
  private pausedForInbox = false;

  private sentGoAway = false;
  private peerGoneAway = false;
  private isClosed = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;

  constructor(socket: DuplexType, opts: SpdyConnectionOptions) {
    this.socket = socket;
    this.role = opts.role;
    this.onStream = opts.onStream;
    this.recvWindow = opts.initialWindow ?? DEFAULT_WINDOW;
    this.maxDataFrame = opts.maxDataFrame ?? 16 * 1024;
    this.replyTimeoutMs = opts.replyTimeoutMs ?? 30_000;
    this.nextStreamId = opts.role === 'client' ? 1 : 2;
    this.nextPingId = opts.role === 'client' ? 1 : 2;
    this.closed = new Promise((r) => (this.resolveClosed = r));
    // Small control frames (WINDOW_UPDATE, SYN_REPLY) must not wait for Nagle and the peer's
    // delayed ACK: each window round trip would cost 40 ms. Go sockets are NODELAY too.
    (socket as DuplexType & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);

    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.onPeerEnd());
    socket.on('close', () => this.onClose());
    socket.on('error', (err: Error) => {
      this.closeError ??= err;
      socket.destroy();
    });
    socket.on('drain', () => {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    });
    // Announcing our window is also what tells a peer like us that we do flow control.
    this.send(encodeFrame({ type: 'settings', clear: false, entries: [{ id: SettingsId.InitialWindowSize, value: this.recvWindow, flags: 0 }] }));
    if (opts.head && opts.head.length > 0) this.receive(opts.head);
    // A client that left right after the upgrade: its 'close' has already been emitted.
    if (socket.destroyed) queueMicrotask(() => this.onClose());
  }

  /** @internal The send window a new stream starts with (the peer's SETTINGS, else 64 KiB). */
  get initialSendWindow(): number {
    return this.peerInitialWindow;
  }

  /** Whether the connection can still carry frames. */
  get open(): boolean {
    return !this.isClosed;
  }

  /**
   * Opens a stream with these headers and resolves when the peer answers it with SYN_REPLY.
   * Rejects when the peer resets it, goes away, the connection closes, or no reply comes in time.
   */
  createStream(headers: SpdyHeaders, opts: { fin?: boolean } = {}): Promise<SpdyStream> {
    if (this.isClosed) return Promise.reject(new Error('SPDY connection is closed'));
    if (this.sentGoAway || this.peerGoneAway) return Promise.reject(new Error('SPDY connection is going away: no new streams'));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    if (id > MAX_WINDOW) return Promise.reject(new Error('SPDY connection ran out of stream ids'));
    const stream = new SpdyStream(this, id, headers, false);
    this.streams.set(id, stream);
    if (opts.fin) stream.localFinished = true;
    this.send(this.compressor.compress(headers).then((block) => encodeFrame({ type: 'syn_stream', streamId: id, associatedTo: 0, priority: 0, fin: !!opts.fin, unidirectional: false, headerBlock: block })));
    return new Promise<SpdyStream>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.replyWaiter = undefined;
        stream.destroy();
        reject(new Error(`SPDY stream ${id} got no SYN_REPLY within ${this.replyTimeoutMs} ms`));
      }, this.replyTimeoutMs);
      stream.replyWaiter = (err) => {
        clearTimeout(timer);
        stream.replyWaiter = undefined;
        if (err) reject(err);
        else resolve(stream);
      };
    });
  }

  /** Sends a PING and resolves with the round trip in ms. */
  ping(): Promise<number> {
    if (this.isClosed) return Promise.reject(new Error('SPDY connection is closed'));
    const id = this.nextPingId;
    this.nextPingId += 2;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      this.pings.set(id, () => resolve(performance.now() - started));
      this.closed.then(() => {
        if (this.pings.delete(id)) reject(new Error('SPDY connection closed before the PING came back'));
      }, reject);
      this.send(encodeFrame({ type: 'ping', id }));
    });
  }

  /** Sends GOAWAY: the peer may open no more streams; open ones carry on. */
  goAway(status: number = GoAwayStatus.Ok): void {
    if (this.sentGoAway || this.isClosed) return;
    this.sentGoAway = true;
    this.send(encodeFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status }));
  }

  /**
   * Graceful close: GOAWAY, everything queued is written, then our side of the socket ends.
   * With `peerGraceMs`, first waits that long for the peer to close (a Go peer may still be
   * handing queued frames to its streams, and an early EOF makes it drop them). Resolves when
   * the socket is closed.
   */
  async end(opts: { peerGraceMs?: number } = {}): Promise<void> {
    if (this.isClosed) return this.closed;
    this.goAway();
    await this.flushed();
    const grace = opts.peerGraceMs ?? 0;
    if (grace > 0 && !this.isClosed) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.closed, new Promise<void>((r) => (timer = setTimeout(r, grace)))]);
      clearTimeout(timer);
    }
    if (!this.isClosed) {
      this.socket.end();
      this.closeTimer ??= setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    }
    return this.closed;
  }

  /** Cuts the connection at once. */
  destroy(err?: Error): void {
    if (err) this.closeError ??= err;
    this.socket.destroy();
  }

  // ---- used by SpdyStream ----

  /** Sends DATA for a stream, in frames that fit the windows; resolves when handed to the socket. */
  async writeData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    if (fin && stream.localFinished) return;
    let offset = 0;
    for (;;) {
      if (stream.localDead || this.isClosed) return; // the peer is gone: nothing can be delivered
      const left = data.length - offset;
      if (left === 0 && !fin) return;
      if (this.socket.writableNeedDrain) {
        await new Promise<void>((r) => this.drainWaiters.push(r));
        continue;
      }
      let n = Math.min(left, this.maxDataFrame);
      if (this.peerFlowControl && n > 0) {
        n = Math.min(n, stream.sendWindow, this.connSendWindow);
        if (n <= 0) {
          await new Promise<void>((r) => this.windowWaiters.add(r));
          continue;
        }
        stream.sendWindow -= n;
        this.connSendWindow -= n;
      }
      const last = fin && n === left;
      this.send(encodeFrame({ type: 'data', streamId: stream.id, fin: last, data: n === data.length ? data : data.subarray(offset, offset + n) }));
      offset += n;
      if (last) {
        stream.localFinished = true;
        this.maybeForget(stream);
        return;
      }
    }
  }

  /** The reader consumed what was pushed: acknowledge it and read the socket again if it was held for this stream. */
  onStreamRead(stream: SpdyStream): void {
    this.ackStream(stream);
    if (this.congested.delete(stream) && this.congested.size === 0 && !this.pausedForInbox) this.socket.resume();
  }

  onStreamDestroy(stream: SpdyStream): void {
    if (!this.streams.has(stream.id)) return;
    if (!(stream.localFinished && stream.remoteFinished) && !stream.wasReset && !this.isClosed) {
      this.send(encodeFrame({ type: 'rst_stream', streamId: stream.id, status: RstStatus.Cancel }));
    }
    stream.localDead = true;
    this.forget(stream);
  }

  /** Sends RST_STREAM with a status and forgets the stream. */
  resetStream(stream: SpdyStream, status: number): void {
    if (this.streams.has(stream.id) && !this.isClosed) this.send(encodeFrame({ type: 'rst_stream', streamId: stream.id, status }));
    stream.wasReset = true;
    stream.localDead = true;
    this.forget(stream);
  }

  sendReply(stream: SpdyStream, headers: SpdyHeaders): void {
    this.send(this.compressor.compress(headers).then((block) => encodeFrame({ type: 'syn_reply', streamId: stream.id, fin: false, headerBlock: block })));
  }

  // ---- output ----

  /** Queues a frame; frames still being compressed hold back the ones after them, so wire order is call order. */
  private send(frame: Buffer | Promise<Buffer>): void {
    if (this.isClosed) {
      if (!Buffer.isBuffer(frame)) frame.catch(() => undefined);
      return;
    }
    if (this.out.length === 0 && Buffer.isBuffer(frame)) {
      this.socket.write(frame);
      return;
    }
    this.out.push(frame);
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.out.length > 0) {
        const head = this.out[0]!;
        let buf: Buffer;
        try {
          buf = Buffer.isBuffer(head) ? head : await head;
        } catch (err) {
          this.fail(err as Error);
          return;
        }
        this.out.shift();
        if (!this.isClosed) this.socket.write(buf);
      }
    } finally {
      this.pumping = false;
    }
  }

  private async flushed(): Promise<void> {
    while (this.out.length > 0 && !this.isClosed) {
      await Promise.resolve(this.out[this.out.length - 1]).catch(() => undefined);
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  // ---- input ----

  private receive(chunk: Buffer): void {
    if (this.isClosed) return;
    let frames: SpdyFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const f of frames) this.inbox.push(f);
    this.processInbox();
  }

  /** Handles frames in arrival order; a frame with a header block waits for the inflater, and the frames behind it wait too. */
  private processInbox(): void {
    while (this.inbox.length > 0 && !this.decoding && !this.isClosed) {
      const f = this.inbox[0]!;
      if (f.type === 'syn_stream' || f.type === 'syn_reply' || f.type === 'headers') {
        this.decoding = true;
        this.decompressor.decompress(f.headerBlock).then(
          (headers) => {
            this.decoding = false;
            this.inbox.shift();
            try {
              this.handleWithHeaders(f, headers);
            } catch (err) {
              this.fail(err as Error);
              return;
            }
            this.processInbox();
          },
          (err: Error) => this.fail(err),
        );
        break;
      }
      this.inbox.shift();
      try {
        this.handle(f);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
    }
    const hold = this.inbox.length > INBOX_HIGH_WATER;
    if (hold !== this.pausedForInbox) {
      this.pausedForInbox = hold;
      if (hold) this.socket.pause();
      else if (this.congested.size === 0) this.socket.resume();
    }
  }

  private handleWithHeaders(f: SpdyFrame, headers: SpdyHeaders): void {
    if (f.type === 'syn_stream') {
      const peerParity = this.role === 'server' ? 1 : 0;
      if (f.streamId === 0 || f.streamId % 2 !== peerParity || f.streamId <= this.lastPeerStreamId) {
        this.send(encodeFrame({ type: 'rst_stream', streamId: f.streamId || 1, status: RstStatus.ProtocolError }));
        return;
      }
      this.lastPeerStreamId = f.streamId;
      if (this.sentGoAway) {
        this.send(encodeFrame({ type: 'rst_stream', streamId: f.streamId, status: RstStatus.RefusedStream }));
        return;
      }
      const stream = new SpdyStream(this, f.streamId, headers, true);
      this.streams.set(f.streamId, stream);
      if (f.unidirectional) stream.localFinished = true;
      let accepted: boolean | void = false;
      try {
        accepted = this.onStream ? this.onStream(stream) : false;
      } catch {
        accepted = false;
      }
      if (accepted === false) {
        this.resetStream(stream, RstStatus.RefusedStream);
        return;
      }
      this.sendReply(stream, {});
      if (f.fin) stream.remoteEnd(true);
      return;
    }
    if (f.type !== 'syn_reply' && f.type !== 'headers') return;
    const stream = this.streams.get(f.streamId);
    if (!stream) return; // already forgotten (reset or finished): late frames are dropped
    if (f.type === 'syn_reply') {
      stream.replyHeaders = headers;
      stream.replyWaiter?.(undefined);
    }
    if (f.fin) stream.remoteEnd(true);
  }

  private handle(f: SpdyFrame): void {
    switch (f.type) {
      case 'data': {
        this.connRecvUnacked += f.data.length;
        if (this.connRecvUnacked >= this.recvWindow / 2) {
          this.send(encodeFrame({ type: 'window_update', streamId: 0, delta: this.connRecvUnacked }));
          this.connRecvUnacked = 0;
        }
        const stream = this.streams.get(f.streamId);
        if (!stream) {
          if (f.streamId === 0) throw new SpdyProtocolError('DATA frame on stream 0');
          return; // a stream we reset or finished: its late data is dropped
        }
        if (stream.remoteFinished) {
          this.resetStream(stream, RstStatus.StreamAlreadyClosed);
          return;
        }
        if (f.data.length > 0) {
          stream.unacked += f.data.length;
          const more = stream.push(f.data);
          // A reader that is behind gets no more window until it catches up (see onStreamRead).
          if (more) this.ackStream(stream);
          if (stream.readableLength > CONGESTION_BYTES) {
            this.congested.add(stream);
            this.socket.pause();
          }
        }
        if (f.fin) stream.remoteEnd(true);
        return;
      }
      case 'rst_stream': {
        const stream = this.streams.get(f.streamId);
        if (!stream) return;
        stream.wasReset = true;
        stream.localDead = true;
        stream.replyWaiter?.(new Error(`SPDY stream ${f.streamId} was reset by the peer (status ${f.status})`));
        stream.resetStatus = f.status;
        stream.remoteEnd();
        this.forget(stream);
        stream.emit('reset', f.status);
        return;
      }
      case 'settings':
        this.peerFlowControl = true;
        for (const e of f.entries) {
          if (e.id === SettingsId.InitialWindowSize) {
            if (e.value > MAX_WINDOW) throw new SpdyProtocolError(`SETTINGS initial window ${e.value} exceeds 2^31-1`);
            const delta = e.value - this.peerInitialWindow;
            this.peerInitialWindow = e.value;
            for (const s of this.streams.values()) s.sendWindow += delta;
          }
        }
        this.wakeWriters();
        return;
      case 'ping': {
        if (f.id % 2 !== this.nextPingId % 2) {
          this.send(encodeFrame({ type: 'ping', id: f.id }));
          return;
        }
        const done = this.pings.get(f.id);
        this.pings.delete(f.id);
        done?.();
        return;
      }
      case 'goaway':
        this.peerGoneAway = true;
        for (const s of this.streams.values()) {
          if (s.id > f.lastGoodStreamId && s.id % 2 === this.nextStreamId % 2 && s.replyWaiter) {
            s.replyWaiter(new Error(`SPDY peer went away before answering stream ${s.id}`));
          }
        }
        return;
      case 'window_update': {
        this.peerFlowControl = true;
        if (f.streamId === 0) {
          this.connSendWindow = Math.min(MAX_WINDOW, this.connSendWindow + f.delta);
        } else {
          const stream = this.streams.get(f.streamId);
          if (stream) stream.sendWindow = Math.min(MAX_WINDOW, stream.sendWindow + f.delta);
        }
        this.wakeWriters();
        return;
      }
      case 'unknown':
        return; // SPDY/3.1: unknown control frames are ignored
      default:
        return;
    }
  }

  /** Gives the peer back the window its consumed data used, in steps of half a window. */
  private ackStream(stream: SpdyStream): void {
    if (stream.remoteFinished || this.isClosed || stream.unacked < this.recvWindow / 2) return;
    this.send(encodeFrame({ type: 'window_update', streamId: stream.id, delta: stream.unacked }));
    stream.unacked = 0;
  }

  private wakeWriters(): void {
    const waiters = [...this.windowWaiters];
    this.windowWaiters.clear();
    for (const w of waiters) w();
  }

  private maybeForget(stream: SpdyStream): void {
    if (stream.localFinished && stream.remoteFinished) this.forget(stream);
  }

  /** Called by a stream whose remote side ended. */
  remoteFinishedStream(stream: SpdyStream): void {
    this.maybeForget(stream);
  }

  private forget(stream: SpdyStream): void {
    this.streams.delete(stream.id);
    if (this.congested.delete(stream) && this.congested.size === 0 && !this.pausedForInbox && !this.isClosed) this.socket.resume();
  }

  private fail(err: Error): void {
    if (this.isClosed) return;
    this.closeError ??= err;
    if (!this.sentGoAway) {
      this.sentGoAway = true;
      const status = err instanceof SpdyProtocolError ? GoAwayStatus.ProtocolError : GoAwayStatus.InternalError;
      this.socket.write(encodeFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status }));
    }
    this.socket.end();
    this.closeTimer ??= setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
  }

  private onPeerEnd(): void {
    // The peer will send nothing more: every stream's reader sees its end.
    for (const s of [...this.streams.values()]) s.remoteEnd();
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.compressor.close();
    this.decompressor.close();
    for (const s of [...this.streams.values()]) {
      s.localDead = true;
      s.replyWaiter?.(new Error('SPDY connection closed before the stream was answered'));
      s.remoteEnd();
    }
    this.streams.clear();
    this.congested.clear();
    this.out.length = 0;
    this.wakeWriters();
    const drains = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of drains) w();
    this.resolveClosed();
  }
}

/**
 * One SPDY stream. Writing sends DATA frames (end() sends FIN); reading yields the peer's
 * DATA, ending at its FIN, a RST_STREAM ('reset' is emitted with the status) or the
 * connection's end. Writes after the peer is gone are dropped: there is no one to deliver to.
 */
export class SpdyStream extends Duplex {
  /** Headers of the SYN_STREAM that opened it (lowercase names). */
  readonly headers: SpdyHeaders;
  /** Headers of the peer's SYN_REPLY, for streams we opened. */
  replyHeaders: SpdyHeaders | undefined;
  /** RST_STREAM status, when the peer reset it. */
  resetStatus: number | undefined;
  /** True when the peer ended the stream with FIN, false when it ended by reset or by the connection closing. */
  finReceived = false;

  /** @internal */ sendWindow: number;
  /** @internal bytes received and not yet acknowledged with WINDOW_UPDATE */ unacked = 0;
  /** @internal */ localFinished = false;
  /** @internal */ remoteFinished = false;
  /** @internal the connection or the stream is gone: writes are dropped */ localDead = false;
  /** @internal */ wasReset = false;
  /** @internal */ replyWaiter: ((err: Error | undefined) => void) | undefined;

  constructor(
    private readonly conn: SpdyConnection,
    readonly id: number,
    headers: SpdyHeaders,
    /** Opened by the peer (true) or by us. */
    readonly remote: boolean,
  ) {
    super({ allowHalfOpen: true });
    this.headers = headers;
    // The peer's SETTINGS may have changed the initial window before this stream existed.
    this.sendWindow = conn.initialSendWindow;
  }

  /** Refuses or abandons the stream with RST_STREAM (default CANCEL). */
  reset(status: number = RstStatus.Cancel): void {
    this.conn.resetStream(this, status);
    this.remoteEnd();
  }

  /** @internal The peer sent FIN (`byFin`), or reset the stream, or the connection ended. */
  remoteEnd(byFin = false): void {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    this.finReceived = byFin;
    this.push(null);
    this.conn.remoteFinishedStream(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.conn.writeData(this, chunk, false).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.localFinished) return cb();
    this.conn.writeData(this, EMPTY, true).then(() => cb(), cb);
  }

  override _read(): void {
    this.conn.onStreamRead(this);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.conn.onStreamDestroy(this);
    cb(err);
  }
}
