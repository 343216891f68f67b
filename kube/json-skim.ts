/**
 * Decodes only the parts of a JSON text that a schema asks for.
 *
 * An informer over pods parses every pod on every change, and JSON.parse of a 4–5 KB pod
 * (env, probes, volumes, container statuses...) costs more than everything else the informer
 * does with it, mostly to build objects the projection throws away at once. Skimming walks
 * the text, skips unwanted values with a tight scan (no objects built), and hands the wanted
 * leaves to the native JSON.parse.
 *
 * Schema: `true` = the whole value; `{ key: schema }` = an object with only those keys (a
 * non-object value there is decoded whole); `[schema]` = an array whose items follow `schema`.
 *
 * Skipped regions are scanned for structure (strings, nesting), not validated token by token:
 * junk inside a value nobody reads is tolerated. Broken structure throws a SyntaxError.
 */
export type FieldSchema = true | { readonly [key: string]: FieldSchema } | readonly [FieldSchema];

export function skimJson(text: string, schema: FieldSchema): unknown {
  if (schema === true) return JSON.parse(text);
  const s = new Skimmer(text);
  const v = s.value(compile(schema));
  s.ws();
  if (s.i !== text.length) throw new SyntaxError(`unexpected data at position ${s.i} after the JSON value`);
  return v;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * A schema made ready for matching keys in place: an object's wanted keys are compared to the
 * text with startsWith, so no string is made for the many keys that are skipped.
 */
type Compiled = true | CompiledObject | CompiledArray;

interface CompiledObject {
  readonly kind: 'object';
  readonly keys: readonly string[];
  readonly subs: readonly Compiled[];
}

interface CompiledArray {
  readonly kind: 'array';
  readonly item: Compiled;
}

/** Informers pass the same schema object for every event: it is compiled once. */
const compiled = new WeakMap<object, Compiled>();

function compile(schema: FieldSchema): Compiled {
  if (schema === true) return true;
  const hit = compiled.get(schema);
  if (hit !== undefined) return hit;
  const c: Compiled = isArraySchema(schema)
    ? { kind: 'array', item: compile(schema[0]) }
    : { kind: 'object', keys: Object.keys(schema), subs: Object.keys(schema).map((k) => compile(schema[k]!)) };
  compiled.set(schema, c);
  return c;
}

class Skimmer {
  i = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  value(schema: Compiled): unknown {
    this.ws();
    const c = this.s.charCodeAt(this.i);
    if (schema !== true) {
      if (schema.kind === 'array') {
        if (c === LBRACKET) return this.array(schema.item);
      } else if (c === LBRACE) {
        return this.object(schema);
      }
    }
    if (c === QUOTE) return this.string();
    const start = this.i;
    this.skip();
    if (c !== LBRACE && c !== LBRACKET) {
      // Literals are common leaves (priority, booleans): no native call for them.
      const lit = this.s.slice(start, this.i);
      if (lit === 'true') return true;
      if (lit === 'false') return false;
      if (lit === 'null') return null;
      const num = Number(lit);
      if (lit.length > 0 && Number.isFinite(num) && /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(lit)) return num;
      throw this.error(`invalid literal ${JSON.stringify(lit.slice(0, 20))}`, start);
    }
    return JSON.parse(this.s.slice(start, this.i));
  }

  private object(schema: CompiledObject): Record<string, unknown> {
    const s = this.s;
    this.i++; // {
    const out: Record<string, unknown> = {};
    this.ws();
    if (s.charCodeAt(this.i) === RBRACE) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (s.charCodeAt(this.i) !== QUOTE) throw this.error('expected a key');
      const start = this.i + 1;
      const end = this.stringEnd(this.i);
      this.i = end + 1;
      const k = this.match(schema, start, end);
      this.ws();
      if (s.charCodeAt(this.i) !== COLON) throw this.error("expected ':'");
      this.i++;
      if (k < 0) {
        this.ws();
        this.skip();
      } else {
        out[schema.keys[k]!] = this.value(schema.subs[k]!);
      }
      this.ws();
      const c = s.charCodeAt(this.i++);
      if (c === COMMA) continue;
      if (c === RBRACE) return out;
      throw this.error("expected ',' or '}'", this.i - 1);
    }
  }

  private array(schema: Compiled): unknown[] {
    const s = this.s;
    this.i++; // [
    const out: unknown[] = [];
    this.ws();
    if (s.charCodeAt(this.i) === RBRACKET) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(schema));
      this.ws();
      const c = s.charCodeAt(this.i++);
      if (c === COMMA) continue;
      if (c === RBRACKET) return out;
      throw this.error("expected ',' or ']'", this.i - 1);
    }
  }

  /** Which of the schema's keys the key text [start, end) is, or -1. */
  private match(schema: CompiledObject, start: number, end: number): number {
    const s = this.s;
    const len = end - start;
    const keys = schema.keys;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      if (key.length === len && s.startsWith(key, start)) return k;
    }
    // An escaped key ("na\u006de") can still be one of ours: decoded, it is compared again.
    for (let j = start; j < end; j++) {
      if (s.charCodeAt(j) === BACKSLASH) return keys.indexOf(JSON.parse(s.slice(start - 1, end + 1)) as string);
    }
    return -1;
  }

  /** A string at i (the opening quote), decoded; i ends after the closing quote. */
  private string(): string {
    const start = this.i;
    const end = this.stringEnd(start);
    this.i = end + 1;
    const raw = this.s.slice(start + 1, end);
    // V8 makes a slice of 13+ characters a view into the whole text: kept in a cache, one
    // 20-byte name would pin a 2 MB list page. JSON.parse returns a string of its own.
    return raw.length < 13 && raw.indexOf('\\') < 0 ? raw : (JSON.parse(this.s.slice(start, end + 1)) as string);
  }

  /** Index of the closing quote of the string opening at `start`. */
  private stringEnd(start: number): number {
    const s = this.s;
    let j = start;
    for (;;) {
      j = s.indexOf('"', j + 1);
      if (j < 0) throw this.error('unterminated string', start);
      // Escaped when preceded by an odd number of backslashes.
      let k = j - 1;
      while (s.charCodeAt(k) === BACKSLASH) k--;
      if ((j - 1 - k) % 2 === 0) return j;
    }
  }

  /** Moves i past one value without building it. */
  private skip(): void {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === QUOTE) {
      this.i = this.stringEnd(this.i) + 1;
      return;
    }
    if (c === LBRACE || c === LBRACKET) {
      // The hottest loop of an informer: most of a pod is skipped here. Strings (most of the
      // bytes) are jumped over with indexOf; only the few characters between them are looked at.
      let depth = 1;
      let i = this.i + 1;
      const n = s.length;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === QUOTE) {
          let j = i;
          for (;;) {
            j = s.indexOf('"', j + 1);
            if (j < 0) throw this.error('unterminated string', i);
            if (s.charCodeAt(j - 1) !== BACKSLASH) break;
            let k = j - 2;
            while (s.charCodeAt(k) === BACKSLASH) k--;
            if ((j - 1 - k) % 2 === 0) break;
          }
          i = j + 1;
          continue;
        }
        if (d === LBRACE || d === LBRACKET) depth++;
        else if (d === RBRACE || d === RBRACKET) {
          if (--depth === 0) {
            this.i = i + 1;
            return;
          }
        }
        i++;
      }
      throw this.error('unterminated object or array', this.i);
    }
    // A number, true, false or null: up to the next delimiter.
    let i = this.i;
    for (;;) {
      const d = s.charCodeAt(i);
      if (Number.isNaN(d) || d === COMMA || d === RBRACE || d === RBRACKET || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
      i++;
    }
    if (i === this.i) throw this.error('expected a value');
    this.i = i;
  }

  private error(what: string, at = this.i): SyntaxError {
    return new SyntaxError(`JSON: ${what} at position ${at}`);
  }
}

function isArraySchema(s: FieldSchema): s is readonly [FieldSchema] {
  return Array.isArray(s);
}
