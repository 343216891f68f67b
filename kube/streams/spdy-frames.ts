/**
 * SPDY/3.1 frames on the wire: encoding and an incremental decoder. Pure byte work — header
 * blocks stay compressed here (spdy-headers.ts owns the zlib context, which is per connection
 * and so cannot live in a frame codec), and nothing here knows about streams or windows.
 *
 * Control frame: |1|version(15)|type(16)| |flags(8)|length(24)| payload
 * Data frame:    |0|stream id(31)|         |flags(8)|length(24)| payload
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
export const FLAG_SETTINGS_CLEAR = 0x01;

/** RST_STREAM status codes. */
export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  FrameTooLarge: 11,
} as const;

/** GOAWAY status codes. */
export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

/** SETTINGS ids this implementation acts on (the others are read and ignored). */
export const SettingsId = { MaxConcurrentStreams: 4, InitialWindowSize: 7 } as const;

/** The window every stream (and, in SPDY/3.1, the connection) starts with. */
export const DEFAULT_WINDOW = 64 * 1024;

/** Largest payload a frame can say it has (24-bit length). */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export type SpdyFrame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | { type: 'syn_stream'; streamId: number; associatedTo: number; priority: number; fin: boolean; unidirectional: boolean; headerBlock: Buffer }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; clear: boolean; entries: Array<{ id: number; value: number; flags: number }> }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  /** A control frame of a type SPDY/3.1 does not define: receivers must ignore it. */
  | { type: 'unknown'; frameType: number; flags: number; payload: Buffer };

/** A frame that breaks the protocol: the connection answers with GOAWAY and closes. */
export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}

const STREAM_ID_MASK = 0x7fffffff;

function controlHeader(type: number, flags: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  b.writeUInt16BE(type, 2);
  b[4] = flags & 0xff;
  b.writeUIntBE(length, 5, 3);
  return b;
}

function checkStreamId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > STREAM_ID_MASK) throw new RangeError(`${what}: stream id ${id} is not a 31-bit integer`);
}

/** The bytes of one frame. Header blocks must already be compressed. */
export function encodeFrame(frame: SpdyFrame): Buffer {
  switch (frame.type) {
    case 'data': {
      checkStreamId(frame.streamId, 'DATA');
      if (frame.data.length > MAX_FRAME_PAYLOAD) throw new RangeError(`DATA payload of ${frame.data.length} bytes exceeds ${MAX_FRAME_PAYLOAD}`);
      const h = Buffer.allocUnsafe(8);
      h.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      h[4] = frame.fin ? FLAG_FIN : 0;
      h.writeUIntBE(frame.data.length, 5, 3);
      return frame.data.length === 0 ? h : Buffer.concat([h, frame.data]);
    }
    case 'syn_stream': {
      checkStreamId(frame.streamId, 'SYN_STREAM');
      const body = Buffer.allocUnsafe(10);
      body.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      body.writeUInt32BE(frame.associatedTo & STREAM_ID_MASK, 4);
      body[8] = (frame.priority & 0x07) << 5;
      body[9] = 0; // credential slot, unused
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      return Buffer.concat([controlHeader(FrameType.SynStream, flags, 10 + frame.headerBlock.length), body, frame.headerBlock]);
    }
    case 'syn_reply':
    case 'headers': {
      checkStreamId(frame.streamId, frame.type);
      const body = Buffer.allocUnsafe(4);
      body.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      const type = frame.type === 'syn_reply' ? FrameType.SynReply : FrameType.Headers;
      return Buffer.concat([controlHeader(type, frame.fin ? FLAG_FIN : 0, 4 + frame.headerBlock.length), body, frame.headerBlock]);
    }
    case 'rst_stream': {
      const b = Buffer.allocUnsafe(8);
      b.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      b.writeUInt32BE(frame.status >>> 0, 4);
      return Buffer.concat([controlHeader(FrameType.RstStream, 0, 8), b]);
    }
    case 'settings': {
      const b = Buffer.allocUnsafe(4 + 8 * frame.entries.length);
      b.writeUInt32BE(frame.entries.length, 0);
      frame.entries.forEach((e, i) => {
        b[4 + i * 8] = e.flags & 0xff;
        b.writeUIntBE(e.id & 0xffffff, 5 + i * 8, 3);
        b.writeUInt32BE(e.value >>> 0, 8 + i * 8);
      });
      return Buffer.concat([controlHeader(FrameType.Settings, frame.clear ? FLAG_SETTINGS_CLEAR : 0, b.length), b]);
    }
    case 'ping': {
      const b = Buffer.allocUnsafe(4);
      b.writeUInt32BE(frame.id >>> 0, 0);
      return Buffer.concat([controlHeader(FrameType.Ping, 0, 4), b]);
    }
    case 'goaway': {
      const b = Buffer.allocUnsafe(8);
      b.writeUInt32BE(frame.lastGoodStreamId & STREAM_ID_MASK, 0);
      b.writeUInt32BE(frame.status >>> 0, 4);
      return Buffer.concat([controlHeader(FrameType.GoAway, 0, 8), b]);
    }
    case 'window_update': {
      if (!(frame.delta >= 1 && frame.delta <= STREAM_ID_MASK)) throw new RangeError(`WINDOW_UPDATE delta ${frame.delta} must be in [1, 2^31-1]`);
      const b = Buffer.allocUnsafe(8);
      b.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      b.writeUInt32BE(frame.delta & STREAM_ID_MASK, 4);
      return Buffer.concat([controlHeader(FrameType.WindowUpdate, 0, 8), b]);
    }
    case 'unknown':
      return Buffer.concat([controlHeader(frame.frameType, frame.flags, frame.payload.length), frame.payload]);
  }
}

function need(payload: Buffer, n: number, what: string): void {
  if (payload.length < n) throw new SpdyProtocolError(`${what} frame of ${payload.length} bytes is shorter than its ${n}-byte minimum`);
}

function exact(payload: Buffer, n: number, what: string): void {
  if (payload.length !== n) throw new SpdyProtocolError(`${what} frame must be ${n} bytes, got ${payload.length}`);
}

/** Decodes one frame from its 8-byte header fields and payload. */
function decode(first: number, flags: number, payload: Buffer, control: boolean): SpdyFrame {
  if (!control) return { type: 'data', streamId: first & STREAM_ID_MASK, fin: (flags & FLAG_FIN) !== 0, data: payload };
  const version = (first >>> 16) & 0x7fff;
  const type = first & 0xffff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`control frame of SPDY version ${version}; only version ${SPDY_VERSION} is spoken`);
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case FrameType.SynStream:
      need(payload, 10, 'SYN_STREAM');
      return {
        type: 'syn_stream',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        associatedTo: payload.readUInt32BE(4) & STREAM_ID_MASK,
        priority: payload[8]! >>> 5,
        fin,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: payload.subarray(10),
      };
    case FrameType.SynReply:
      need(payload, 4, 'SYN_REPLY');
      return { type: 'syn_reply', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, fin, headerBlock: payload.subarray(4) };
    case FrameType.Headers:
      need(payload, 4, 'HEADERS');
      return { type: 'headers', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, fin, headerBlock: payload.subarray(4) };
    case FrameType.RstStream:
      exact(payload, 8, 'RST_STREAM');
      return { type: 'rst_stream', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.readUInt32BE(4) };
    case FrameType.Settings: {
      need(payload, 4, 'SETTINGS');
      const n = payload.readUInt32BE(0);
      if (payload.length !== 4 + n * 8) throw new SpdyProtocolError(`SETTINGS frame says ${n} entries but carries ${payload.length - 4} bytes`);
      const entries: Array<{ id: number; value: number; flags: number }> = [];
      for (let i = 0; i < n; i++) {
        entries.push({ flags: payload[4 + i * 8]!, id: payload.readUIntBE(5 + i * 8, 3), value: payload.readUInt32BE(8 + i * 8) });
      }
      return { type: 'settings', clear: (flags & FLAG_SETTINGS_CLEAR) !== 0, entries };
    }
    case FrameType.Ping:
      exact(payload, 4, 'PING');
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case FrameType.GoAway:
      exact(payload, 8, 'GOAWAY');
      return { type: 'goaway', lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.readUInt32BE(4) };
    case FrameType.WindowUpdate:
      exact(payload, 8, 'WINDOW_UPDATE');
      return { type: 'window_update', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, delta: payload.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      return { type: 'unknown', frameType: type, flags, payload };
  }
}

/**
 * Turns a byte stream into frames. Chunks may split frames anywhere; each push returns the
 * frames completed by it, in order.
 */
export class SpdyFrameDecoder {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  /** @param maxPayload frames announcing a larger payload are refused (a peer cannot make us buffer 16 MiB). */
  constructor(private readonly maxPayload = 1024 * 1024) {}

  push(chunk: Buffer): SpdyFrame[] {
    if (chunk.length > 0) {
      this.buffered.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    const frames: SpdyFrame[] = [];
    while (this.bufferedBytes >= 8) {
      const head = this.peek(8);
      const first = head.readUInt32BE(0);
      const flags = head[4]!;
      const length = head.readUIntBE(5, 3);
      if (length > this.maxPayload) throw new SpdyProtocolError(`frame payload of ${length} bytes exceeds the ${this.maxPayload}-byte limit`);
      if (this.bufferedBytes < 8 + length) break;
      const whole = this.take(8 + length);
      frames.push(decode(first, flags, whole.subarray(8), (first & 0x80000000) !== 0));
    }
    return frames;
  }

  /** Bytes received that do not yet make a whole frame. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /** The first chunk, joined with as many following ones as it takes to hold n bytes. */
  private peek(n: number): Buffer {
    if (this.buffered[0]!.length >= n) return this.buffered[0]!;
    let count = 0;
    let bytes = 0;
    while (bytes < n) bytes += this.buffered[count++]!.length;
    const joined = Buffer.concat(this.buffered.slice(0, count), bytes);
    this.buffered.splice(0, count, joined);
    return joined;
  }

  private take(n: number): Buffer {
    const joined = this.peek(n);
    // Copy out so a frame's payload never pins the (possibly large) chunk it arrived in.
    const out = Buffer.from(joined.subarray(0, n));
    if (joined.length === n) this.buffered.shift();
    else this.buffered[0] = joined.subarray(n);
    this.bufferedBytes -= n;
    return out;
  }
}
