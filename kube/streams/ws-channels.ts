/**
 * Kubernetes' channel framing over one WebSocket (`v4.channel.k8s.io`, `v5.channel.k8s.io`,
 * and the port-forward form of v4): every binary message starts with a channel byte, the
 * rest is that channel's data. v5 adds message `[255, n]`: "channel n is closed" (kubectl
 * sends it when its stdin ends; v4 has no way to say so short of closing the socket).
 *
 * Channels become Node streams here: `reader(n)` a Readable of what the peer sends on n,
 * `writer(n)` a Writable whose chunks go out as messages on n.
 */
import { Readable, Writable } from 'node:stream';
import type WebSocket from 'ws';

export const CLOSE_SIGNAL_CHANNEL = 255;

/** How long close() waits for the peer's close frame before cutting the socket. */
const CLOSE_GRACE_MS = 2000;

export interface WsChannelOptions {
  /** v5: understand and send the close-channel signal. */
  closeSignals: boolean;
}

export interface ChannelReaderOptions {
  /** Drop this many bytes at the start of the channel (port-forward's port prefix). */
  skipPrefix?: number;
}

export interface ChannelWriterOptions {
  /** end() sends the v5 close signal for the channel (only when the connection speaks v5). */
  signalClose?: boolean;
}

class ChannelReader extends Readable {
  skip: number;
  constructor(
    private readonly onRead: () => void,
    skipPrefix: number,
  ) {
    super();
    this.skip = skipPrefix;
  }
  override _read(): void {
    this.onRead();
  }
}

export class WsChannelConnection {
  /** Resolves when the WebSocket has closed; never rejects. */
  readonly closed: Promise<void>;
  /** The close code the peer sent (1000 normal), once closed. */
  closeCode: number | undefined;

  private readonly readers = new Map<number, ChannelReader>();
  private readonly closeSignals: boolean;
  private paused = false;
  private isClosed = false;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly ws: WebSocket,
    opts: WsChannelOptions,
  ) {
    this.closeSignals = opts.closeSignals;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number) => {
        this.isClosed = true;
        this.closeCode = code;
        if (this.closeTimer) clearTimeout(this.closeTimer);
        for (const r of this.readers.values()) r.push(null);
        resolve();
      });
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    // A protocol error or reset: 'close' follows, which is what callers watch.
    ws.on('error', () => ws.terminate());
  }

  get open(): boolean {
    return !this.isClosed;
  }

  /** What the peer sends on `channel`. Messages for channels nobody reads are dropped, as client-go does. */
  reader(channel: number, opts: ChannelReaderOptions = {}): Readable {
    let r = this.readers.get(channel);
    if (!r) {
      r = new ChannelReader(() => this.onRead(), opts.skipPrefix ?? 0);
      this.readers.set(channel, r);
      if (this.isClosed) r.push(null);
    }
    return r;
  }

  /** A Writable whose chunks are sent as messages on `channel`. Writes after the socket closed are dropped. */
  writer(channel: number, opts: ChannelWriterOptions = {}): Writable {
    const signalClose = !!opts.signalClose && this.closeSignals;
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => this.send(channel, chunk, cb),
      final: (cb) => {
        if (signalClose) this.sendRaw(Buffer.from([CLOSE_SIGNAL_CHANNEL, channel]), cb);
        else cb();
      },
    });
  }

  /** Sends one message on a channel; `cb` runs once it is handed to the socket. */
  send(channel: number, data: Buffer, cb?: (err?: Error | null) => void): void {
    const msg = Buffer.allocUnsafe(data.length + 1);
    msg[0] = channel;
    data.copy(msg, 1);
    this.sendRaw(msg, cb);
  }

  /** Closes with a close frame (1000 by default) and resolves when the socket is closed, waiting a bounded time for the peer. */
  close(code = 1000, reason = ''): Promise<void> {
    if (!this.isClosed) {
      try {
        this.ws.close(code, reason);
      } catch {
        this.ws.terminate();
      }
      this.closeTimer ??= setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    }
    return this.closed;
  }

  terminate(): void {
    this.ws.terminate();
  }

  private sendRaw(msg: Buffer, cb?: (err?: Error | null) => void): void {
    // 1 = OPEN. Once the socket is closing, what is left cannot be delivered: drop it.
    if (this.ws.readyState !== 1) {
      cb?.();
      return;
    }
    this.ws.send(msg, { binary: true }, () => cb?.());
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    // Every channel protocol here is binary; text frames belong to the base64 variants, which are not spoken.
    if (!isBinary || data.length === 0) return;
    const channel = data[0]!;
    if (channel === CLOSE_SIGNAL_CHANNEL && this.closeSignals) {
      if (data.length >= 2) this.readers.get(data[1]!)?.push(null);
      return;
    }
    const r = this.readers.get(channel);
    if (!r || r.readableEnded) return;
    let payload = data.subarray(1);
    if (r.skip > 0) {
      const n = Math.min(r.skip, payload.length);
      r.skip -= n;
      payload = payload.subarray(n);
    }
    if (payload.length === 0) return;
    if (!r.push(payload) && !this.paused) {
      // A reader that is behind holds the whole socket, as one TCP connection must.
      this.paused = true;
      this.ws.pause();
    }
  }

  private onRead(): void {
    if (!this.paused) return;
    for (const r of this.readers.values()) if (r.readableLength >= r.readableHighWaterMark && !r.readableEnded) return;
    this.paused = false;
    this.ws.resume();
  }
}
