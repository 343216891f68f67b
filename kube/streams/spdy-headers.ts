/**
 * SPDY/3 header blocks: the name/value block layout and its compression. Each direction of a
 * connection has ONE zlib stream, primed with the SPDY/3 dictionary, that every header block
 * (SYN_STREAM, SYN_REPLY, HEADERS) goes through in order, each ended by a sync flush. So a
 * block can only be (de)compressed after the blocks before it, on the same context: the codec
 * objects here queue calls and must be fed blocks in wire order.
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';
import { SpdyProtocolError } from './spdy-frames.js';

/** Header names are lowercase on the wire (SPDY/3 requires it); a value with several parts joins them with NUL. */
export type SpdyHeaders = Record<string, string>;

/** A decompressed header block larger than this is refused: kube's stream headers are tens of bytes. */
const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

/** The uncompressed name/value block: count, then length-prefixed names and values (all 32-bit). */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [];
  const count = Buffer.allocUnsafe(4);
  count.writeUInt32BE(entries.length);
  parts.push(count);
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    if (n.length === 0) throw new RangeError('SPDY header names cannot be empty');
    const nl = Buffer.allocUnsafe(4);
    nl.writeUInt32BE(n.length);
    const vl = Buffer.allocUnsafe(4);
    vl.writeUInt32BE(v.length);
    parts.push(nl, n, vl, v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const fail = (why: string): never => {
    throw new SpdyProtocolError(`malformed SPDY header block: ${why}`);
  };
  if (block.length < 4) fail('shorter than its 4-byte count');
  const count = block.readUInt32BE(0);
  // Each pair takes at least 8 bytes: a count beyond that is a lie, not a reason to loop.
  if (count > (block.length - 4) / 8) fail(`${count} pairs cannot fit in ${block.length} bytes`);
  const out: SpdyHeaders = {};
  let at = 4;
  const field = (what: string): string => {
    if (at + 4 > block.length) fail(`${what} length runs past the block`);
    const len = block.readUInt32BE(at);
    at += 4;
    if (at + len > block.length) fail(`${what} runs past the block`);
    const s = block.toString('utf8', at, at + len);
    at += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = field('name').toLowerCase();
    const value = field('value');
    if (name === '') fail('empty header name');
    out[name] = name in out ? `${out[name]}\0${value}` : value;
  }
  if (at !== block.length) fail(`${block.length - at} bytes after the last pair`);
  return out;
}

/**
 * Runs one write-and-sync-flush through a zlib stream and collects what it emits. Calls are
 * chained so the shared context sees blocks in the order they were asked for.
 */
class SyncFlushRunner {
  private chain: Promise<unknown> = Promise.resolve();
  private failed: Error | undefined;

  constructor(private readonly z: Deflate | Inflate) {
    z.on('error', (err: Error) => {
      this.failed = err;
    });
  }

  run(input: Buffer): Promise<Buffer> {
    const next = this.chain.then(() => this.once(input));
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.z.close();
  }

  private once(input: Buffer): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let done = false;
      const finish = (err?: Error): void => {
        if (done) return;
        done = true;
        this.z.off('data', onData);
        this.z.off('error', onError);
        if (err) reject(err);
        else resolve(Buffer.concat(chunks, bytes));
      };
      const onData = (c: Buffer): void => {
        chunks.push(c);
        bytes += c.length;
        if (bytes > MAX_HEADER_BLOCK_BYTES) {
          this.failed = new SpdyProtocolError(`header block inflates past ${MAX_HEADER_BLOCK_BYTES} bytes`);
          finish(this.failed);
        }
      };
      const onError = (err: Error): void => finish(err);
      this.z.on('data', onData);
      this.z.on('error', onError);
      this.z.write(input);
      this.z.flush(constants.Z_SYNC_FLUSH, () => finish(this.failed));
    });
  }
}

/** The sending side's header compressor (one per connection). */
export class HeaderCompressor {
  private readonly runner = new SyncFlushRunner(createDeflate({ dictionary: SPDY3_DICTIONARY }));

  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.runner.run(encodeHeaderBlock(headers));
  }

  close(): void {
    this.runner.close();
  }
}

/** The receiving side's header decompressor (one per connection). */
export class HeaderDecompressor {
  private readonly runner = new SyncFlushRunner(createInflate({ dictionary: SPDY3_DICTIONARY }));

  async decompress(block: Buffer): Promise<SpdyHeaders> {
    let raw: Buffer;
    try {
      raw = await this.runner.run(block);
    } catch (err) {
      if (err instanceof SpdyProtocolError) throw err;
      throw new SpdyProtocolError(`header block does not inflate: ${(err as Error).message}`);
    }
    return decodeHeaderBlock(raw);
  }

  close(): void {
    this.runner.close();
  }
}
