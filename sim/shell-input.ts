// A simulated container's stdin as its process would see it. Through a pipe (no TTY) reads
// get the bytes as they come. Behind a terminal (`kubectl exec -t`) the pty's line discipline
// sits in between: typed characters are echoed, Enter (CR) ends a line, backspace erases,
// Ctrl-C interrupts the running command, Ctrl-D on an empty line is end of input, and arrow
// keys' escape sequences are swallowed. Only what a tiny shell needs; no termios settings.

const CR = 0x0d;
const LF = 0x0a;
const BACKSPACE = 0x08;
const DEL = 0x7f;
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_U = 0x15;
const ESC = 0x1b;

export class ShellInput {
  private readonly source: AsyncIterator<Buffer> | undefined;
  private pending: Buffer[] = [];
  private sourceDone = false;
  private inflight: Promise<boolean> | undefined;
  private waiters: Array<() => void> = [];
  /** Terminal mode: completed lines (null marks Ctrl-D), and the line being typed. */
  private readonly lines: Array<Buffer | null> = [];
  private current: number[] = [];
  private escape = 0;
  private readonly interruptHandlers = new Set<() => void>();

  /**
   * @param stdin what the client sends, or null when stdin was not asked for (reads see EOF at once)
   * @param echo terminal mode when set: where the pty's echo goes (the client's stdout)
   */
  constructor(
    stdin: AsyncIterable<Buffer | string> | null,
    private readonly echo: ((bytes: Buffer) => void) | null = null,
  ) {
    this.source = stdin ? (stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer>) : undefined;
    if (!stdin) this.sourceDone = true;
    // A pty's line discipline works whether or not anyone reads: Ctrl-C must reach a command
    // that is sleeping. Typed input is small, so a terminal is read as it arrives.
    else if (echo) void this.pumpTerminal();
  }

  private async pumpTerminal(): Promise<void> {
    while (await this.fill()) this.wake();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  get tty(): boolean {
    return this.echo !== null;
  }

  /** Ctrl-C on the terminal calls `cb`; returns an unsubscribe. */
  onInterrupt(cb: () => void): () => void {
    this.interruptHandlers.add(cb);
    return () => this.interruptHandlers.delete(cb);
  }

  /**
   * The next piece of input, or null at end of input. A pipe gives chunks as they arrive; a
   * terminal gives one line at a time (with its newline), as canonical mode does. A read that
   * is abandoned (its command interrupted) loses nothing: what arrives stays for the next one.
   */
  async read(): Promise<Buffer | null> {
    for (;;) {
      if (this.tty) {
        if (this.lines.length > 0) return this.lines.shift()!;
        if (!this.sourceDone) {
          await new Promise<void>((r) => this.waiters.push(r));
          continue;
        }
      } else if (this.pending.length > 0) return this.pending.shift()!;
      if (!(await this.fill())) {
        if (!this.tty || this.current.length === 0) return null;
        // The client closed stdin: what was typed so far is the last line.
        const rest = Buffer.from(this.current);
        this.current = [];
        return rest;
      }
    }
  }

  /** The next line without its newline, or null at end of input. */
  async readLine(): Promise<string | null> {
    if (this.tty) {
      const line = await this.read();
      if (line === null) return null;
      const text = line.toString('utf8');
      return text.endsWith('\n') ? text.slice(0, -1) : text;
    }
    for (;;) {
      const joined = Buffer.concat(this.pending);
      const nl = joined.indexOf(LF);
      if (nl >= 0) {
        this.pending = nl + 1 < joined.length ? [joined.subarray(nl + 1)] : [];
        return joined.subarray(0, nl).toString('utf8').replace(/\r$/, '');
      }
      if (!(await this.fill())) {
        this.pending = [];
        return joined.length > 0 ? joined.toString('utf8') : null;
      }
    }
  }

  /** Takes the next chunk from the client into the buffers; false at end of input. One pull at a time. */
  private fill(): Promise<boolean> {
    if (this.sourceDone || !this.source) return Promise.resolve(false);
    this.inflight ??= this.source.next().then(
      (r) => {
        this.inflight = undefined;
        if (r.done) {
          this.sourceDone = true;
          return false;
        }
        const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as string);
        if (this.tty) this.discipline(chunk);
        else this.pending.push(chunk);
        return true;
      },
      () => {
        this.inflight = undefined;
        this.sourceDone = true;
        return false;
      },
    );
    return this.inflight;
  }

  /** The pty's canonical-mode processing of typed bytes. */
  private discipline(raw: Buffer): void {
    const echo: number[] = [];
    const say = (text: string): void => {
      for (let i = 0; i < text.length; i++) echo.push(text.charCodeAt(i));
    };
    for (const b of raw) {
      if (this.escape > 0) {
        // ESC [ <params> <final>: swallow the sequence (arrow keys and the like).
        if (this.escape === 1) this.escape = b === 0x5b ? 2 : 0;
        else if (b >= 0x40 && b <= 0x7e) this.escape = 0;
        continue;
      }
      if (b === ESC) this.escape = 1;
      else if (b === CR || b === LF) {
        this.current.push(LF);
        this.lines.push(Buffer.from(this.current));
        this.current = [];
        say('\r\n');
      } else if (b === BACKSPACE || b === DEL) {
        if (this.current.length > 0) {
          this.current.pop();
          say('\b \b');
        }
      } else if (b === CTRL_C) {
        this.current = [];
        say('^C\r\n');
        for (const cb of [...this.interruptHandlers]) cb();
      } else if (b === CTRL_D) {
        if (this.current.length === 0) this.lines.push(null);
        else {
          this.lines.push(Buffer.from(this.current));
          this.current = [];
        }
      } else if (b === CTRL_U) {
        say('\b \b'.repeat(this.current.length));
        this.current = [];
      } else if (b >= 0x20 || b === 0x09) {
        this.current.push(b);
        echo.push(b);
      }
    }
    if (echo.length > 0) this.echo!(Buffer.from(echo));
  }
}
