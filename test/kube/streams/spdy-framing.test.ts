// SPDY/3.1 frames and header blocks: what goes on the wire, byte for byte where the spec fixes it.
import { adler32 } from './adler32.js';
import { describe, expect, it } from 'vitest';
import {
  HeaderCompressor,
  HeaderDecompressor,
  SPDY3_DICTIONARY,
  SpdyFrameDecoder,
  SpdyProtocolError,
  decodeHeaderBlock,
  encodeFrame,
  encodeHeaderBlock,
  type SpdyFrame,
} from '../../../kube/index.js';

const frames: SpdyFrame[] = [
  { type: 'data', streamId: 1, fin: false, data: Buffer.from('hello') },
  { type: 'data', streamId: 0x7fffffff, fin: true, data: Buffer.alloc(0) },
  { type: 'syn_stream', streamId: 3, associatedTo: 0, priority: 7, fin: false, unidirectional: true, headerBlock: Buffer.from([1, 2, 3]) },
  { type: 'syn_reply', streamId: 3, fin: true, headerBlock: Buffer.from([9]) },
  { type: 'headers', streamId: 5, fin: false, headerBlock: Buffer.alloc(0) },
  { type: 'rst_stream', streamId: 5, status: 5 },
  { type: 'settings', clear: true, entries: [{ id: 7, value: 65536, flags: 1 }, { id: 4, value: 100, flags: 0 }] },
  { type: 'ping', id: 0xfffffffe },
  { type: 'goaway', lastGoodStreamId: 9, status: 1 },
  { type: 'window_update', streamId: 0, delta: 0x7fffffff },
];

describe('SPDY/3.1 frames', () => {
  it.each(frames.map((f) => [f.type, f] as const))('a %s frame decodes to what was encoded', (_t, frame) => {
    expect(new SpdyFrameDecoder().push(encodeFrame(frame))).toEqual([frame]);
  });

  it('lays out control and data frame headers as the spec draws them', () => {
    // |1|version 3|type 6 (PING)| flags 0 | length 4 | id
    expect(encodeFrame({ type: 'ping', id: 1 }).toString('hex')).toBe('80030006' + '00000004' + '00000001');
    // |0|stream id 1| flags FIN | length 2 | "hi"
    expect(encodeFrame({ type: 'data', streamId: 1, fin: true, data: Buffer.from('hi') }).toString('hex')).toBe('00000001' + '01000002' + '6869');
    // WINDOW_UPDATE: stream id then a 31-bit delta, length 8
    expect(encodeFrame({ type: 'window_update', streamId: 3, delta: 1024 }).toString('hex')).toBe('80030009' + '00000008' + '00000003' + '00000400');
  });

  it('reassembles frames however the bytes are split', () => {
    const wire = Buffer.concat(frames.map(encodeFrame));
    const decoder = new SpdyFrameDecoder();
    const got: SpdyFrame[] = [];
    for (const b of wire) got.push(...decoder.push(Buffer.from([b])));
    expect(got).toEqual(frames);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('keeps a half-received frame until the rest arrives', () => {
    const wire = encodeFrame({ type: 'data', streamId: 1, fin: false, data: Buffer.alloc(1000, 7) });
    const decoder = new SpdyFrameDecoder();
    expect(decoder.push(wire.subarray(0, 600))).toEqual([]);
    expect(decoder.pendingBytes).toBe(600);
    const [f] = decoder.push(wire.subarray(600));
    expect(f).toMatchObject({ type: 'data', streamId: 1 });
    expect((f as { data: Buffer }).data.length).toBe(1000);
  });

  it('refuses frames that break the protocol', () => {
    const ping = encodeFrame({ type: 'ping', id: 1 });
    const v2 = Buffer.from(ping);
    v2.writeUInt16BE(0x8002, 0);
    expect(() => new SpdyFrameDecoder().push(v2)).toThrow(/version 2/);
    const shortRst = Buffer.from('80030003' + '00000004' + '00000001', 'hex');
    expect(() => new SpdyFrameDecoder().push(shortRst)).toThrow(SpdyProtocolError);
    const huge = Buffer.from('00000001' + '00ffffff', 'hex');
    expect(() => new SpdyFrameDecoder(1024).push(huge)).toThrow(/exceeds the 1024-byte limit/);
  });

  it('passes unknown control frame types through for the connection to ignore', () => {
    const unknown = Buffer.from('8003000a' + '00000002' + 'abcd', 'hex');
    expect(new SpdyFrameDecoder().push(unknown)).toEqual([{ type: 'unknown', frameType: 10, flags: 0, payload: Buffer.from('abcd', 'hex') }]);
  });
});

describe('SPDY/3 header blocks', () => {
  it('uses the 1423-byte dictionary of the spec', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(SPDY3_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\x00\x00\x00\x07options', 'latin1'));
    expect(SPDY3_DICTIONARY.toString('latin1').endsWith('charset=iso-8859-1,utf-,*,enq=0.')).toBe(true);
  });

  it('lays out name/value pairs with 32-bit lengths and lowercase names', () => {
    const block = encodeHeaderBlock({ StreamType: 'error', port: '8080' });
    expect(block.toString('hex')).toBe(
      '00000002' + '0000000a' + Buffer.from('streamtype').toString('hex') + '00000005' + Buffer.from('error').toString('hex') + '00000004' + Buffer.from('port').toString('hex') + '00000004' + Buffer.from('8080').toString('hex'),
    );
    expect(decodeHeaderBlock(block)).toEqual({ streamtype: 'error', port: '8080' });
  });

  it('refuses blocks whose lengths lie', () => {
    expect(() => decodeHeaderBlock(Buffer.from('0000ffff', 'hex'))).toThrow(SpdyProtocolError);
    expect(() => decodeHeaderBlock(Buffer.from('00000001' + '00000010' + '61626364', 'hex'))).toThrow(/runs past the block/);
  });

  it('compresses with a zlib stream primed with the dictionary, one context for the whole connection', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    try {
      const headers = { streamtype: 'stdout', port: '8080', requestid: '0' };
      const first = await compressor.compress(headers);
      // zlib header with FDICT set, then the Adler-32 of the dictionary (RFC 1950).
      expect(first[0]! & 0x0f).toBe(8);
      expect(first[1]! & 0x20).toBe(0x20);
      expect(first.readUInt32BE(2)).toBe(adler32(SPDY3_DICTIONARY));
      const second = await compressor.compress(headers);
      // The second block refers back to the first: it is smaller and cannot be read alone.
      expect(second.length).toBeLessThan(first.length);
      expect(await decompressor.decompress(first)).toEqual(headers);
      expect(await decompressor.decompress(second)).toEqual(headers);
      await expect(new HeaderDecompressor().decompress(second)).rejects.toThrow(SpdyProtocolError);
    } finally {
      compressor.close();
      decompressor.close();
    }
  });

  it('keeps blocks in order when many are compressed at once', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    try {
      const sets = Array.from({ length: 20 }, (_, i) => ({ streamtype: i % 2 ? 'data' : 'error', requestid: String(i), port: '80' }));
      const blocks = await Promise.all(sets.map((h) => compressor.compress(h)));
      const back = await Promise.all(blocks.map((b) => decompressor.decompress(b)));
      expect(back).toEqual(sets);
    } finally {
      compressor.close();
      decompressor.close();
    }
  });
});
