/**
 * Splits a watch stream into lines of JSON. The API server writes one event per line
 * ({"type":...,"object":...}\n); chunks end anywhere, even inside a multi-byte character, so the
 * stream is decoded as UTF-8 before splitting.
 */
import { StringDecoder } from 'node:string_decoder';

export class JsonLineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  constructor(
    private readonly onLine: (line: string) => void,
    /** A line longer than this is a broken stream, not an event; kube objects are at most ~1.5 MB. */
    private readonly maxLineBytes = 16 * 1024 * 1024,
  ) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let start = 0;
    let nl = text.indexOf('\n');
    if (nl < 0) {
      this.rest += text;
      if (this.rest.length > this.maxLineBytes) throw new Error(`watch stream line longer than ${this.maxLineBytes} bytes`);
      return;
    }
    let first = true;
    while (nl >= 0) {
      const piece = text.slice(start, nl);
      const line = first ? this.rest + piece : piece;
      first = false;
      if (line.length > 0 && line !== '\r') this.onLine(line);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.rest = text.slice(start);
  }

  /** The unterminated tail, if any (a stream cut mid-event). */
  end(): string {
    const tail = this.rest + this.decoder.end();
    this.rest = '';
    return tail;
  }
}
