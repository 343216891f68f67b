// Duplicate keys in a JSON request body. JSON.parse keeps the last of them silently; kube's
// strict decoder reports each one ("duplicate field \"metadata.name\"") and, like
// JSON.parse, keeps the last value. This scanner walks the raw text once without building
// values. It assumes the text already parsed as JSON.

const MAX_DEPTH = 256;

class Scanner {
  private i = 0;
  readonly found: string[] = [];

  constructor(private readonly s: string) {}

  run(): void {
    this.ws();
    this.value('', 0);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  /** Reads a string literal starting at the quote and returns its value. */
  private string(): string {
    const s = this.s;
    const start = this.i;
    let escaped = false;
    this.i++;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x5c) {
        escaped = true;
        this.i += 2;
        continue;
      }
      this.i++;
      if (c === 0x22) break;
    }
    const raw = s.slice(start, this.i);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  private value(path: string, depth: number): void {
    if (depth > MAX_DEPTH) throw new Error('too deep');
    const c = this.s[this.i];
    if (c === '{') this.object(path, depth);
    else if (c === '[') this.array(path, depth);
    else if (c === '"') this.string();
    else {
      // number, true, false, null
      while (this.i < this.s.length && !',]} \n\r\t'.includes(this.s[this.i]!)) this.i++;
    }
  }

  private object(path: string, depth: number): void {
    this.i++; // {
    const seen = new Set<string>();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return;
    }
    while (this.i < this.s.length) {
      this.ws();
      const key = this.string();
      const childPath = path ? `${path}.${key}` : key;
      if (seen.has(key)) this.found.push(childPath);
      else seen.add(key);
      this.ws();
      this.i++; // :
      this.ws();
      this.value(childPath, depth + 1);
      this.ws();
      const c = this.s[this.i++];
      if (c !== ',') break; // }
    }
  }

  private array(path: string, depth: number): void {
    this.i++; // [
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return;
    }
    for (let index = 0; this.i < this.s.length; index++) {
      this.ws();
      this.value(`${path}[${index}]`, depth + 1);
      this.ws();
      const c = this.s[this.i++];
      if (c !== ',') break; // ]
    }
  }
}

/**
 * Paths of keys that appear twice in one JSON object, e.g. ["metadata.name", "spec.containers[0].image"].
 * `decoded` is what JSON.parse returned for `raw`, untouched since: when given, a cheap
 * count decides the common case (JSON.parse keeps one key of each duplicate and drops the
 * others with their values, so the decoded value has as many keys as the text names
 * exactly when nothing repeats) and the path-building scan runs only when they differ.
 */
export function duplicateFields(raw: string, decoded?: unknown): string[] {
  if (decoded !== undefined && countKeys(decoded) === countRawKeys(raw)) return [];
  const sc = new Scanner(raw);
  try {
    sc.run();
  } catch {
    // Pathologically deep input: report what was found so far.
  }
  return sc.found;
}

/** Keys named in JSON text: every colon outside a string literal separates a key from its value. */
function countRawKeys(raw: string): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a) n++;
  }
  return n;
}

/** Keys of every object in a decoded JSON value; -1 past MAX_DEPTH (the scan then decides). */
function countKeys(v: unknown, depth = 0): number {
  if (typeof v !== 'object' || v === null) return 0;
  if (depth > MAX_DEPTH) return -1;
  let n = 0;
  if (Array.isArray(v)) {
    for (const item of v) {
      const k = countKeys(item, depth + 1);
      if (k < 0) return -1;
      n += k;
    }
    return n;
  }
  const rec = v as Record<string, unknown>;
  for (const key in rec) {
    const k = countKeys(rec[key], depth + 1);
    if (k < 0) return -1;
    n += 1 + k;
  }
  return n;
}
