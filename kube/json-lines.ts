/**
 * Splits a watch stream into lines of JSON. The API server writes one event per line
 * ({"type":...,"object":...}\n) and chunks end anywhere. The split is done on bytes: in UTF-8 a
 * newline byte never occurs inside a multi-byte character, so each complete line decodes on its
 * own, once, with no string concatenation of partial chunks.
 */
const NEWLINE = 0x0a;

export class JsonLineSplitter {
  /** Bytes of an unterminated line, oldest first. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    /** A line longer than this is a broken stream, not an event; kube objects are at most ~1.5 MB. */
    private readonly maxLineBytes = 16 * 1024 * 1024,
  ) {}

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    let nl = buf.indexOf(NEWLINE);
    if (nl >= 0 && this.pendingBytes > 0) {
      this.pending.push(buf.subarray(0, nl));
      const line = Buffer.concat(this.pending, this.pendingBytes + nl);
      this.pending = [];
      this.pendingBytes = 0;
      this.emit(line, 0, line.length);
      start = nl + 1;
      nl = buf.indexOf(NEWLINE, start);
    }
    while (nl >= 0) {
      this.emit(buf, start, nl);
      start = nl + 1;
      nl = buf.indexOf(NEWLINE, start);
    }
    if (start < buf.length) {
      this.pending.push(buf.subarray(start));
      this.pendingBytes += buf.length - start;
      if (this.pendingBytes > this.maxLineBytes) throw new Error(`watch stream line longer than ${this.maxLineBytes} bytes`);
    }
  }

  /** The unterminated tail, if any (a stream cut mid-event). */
  end(): string {
    const tail = Buffer.concat(this.pending, this.pendingBytes).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    return tail;
  }

  private emit(buf: Buffer, start: number, end: number): void {
    let e = end;
    if (e > start && buf[e - 1] === 0x0d) e--;
    if (e > start) this.onLine(buf.toString('utf8', start, e));
  }
}
