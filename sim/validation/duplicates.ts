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

/** Paths of keys that appear twice in one JSON object, e.g. ["metadata.name", "spec.containers[0].image"]. */
export function duplicateFields(raw: string): string[] {
  // Fast exit: most bodies have no duplicates, but we cannot know without scanning; the
  // scan is linear and allocation-light.
  const sc = new Scanner(raw);
  try {
    sc.run();
  } catch {
    // Pathologically deep input: report what was found so far.
  }
  return sc.found;
}
