// resctrl schemata: one line per resource, "<res>:<id>=<value>;<id>=<value>...".
// Cache/domain ids can have gaps (0-7,16-23 on some parts), so they are kept by id.

export type Schemata = Map<string, Map<number, string>>;

/** Parse a schemata file (leading padding and blank lines are ignored). */
export function parseSchemata(text: string): Schemata {
  const out: Schemata = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`invalid schemata line "${line}": missing "<resource>:"`);
    const resource = line.slice(0, colon).trim();
    const domains = new Map<number, string>();
    for (const part of line.slice(colon + 1).split(';')) {
      if (part.trim() === '') continue;
      const m = /^\s*(\d+)\s*=\s*([0-9a-fA-F]+)\s*$/.exec(part);
      if (m === null) throw new Error(`invalid schemata line "${line}": bad domain "${part}"`);
      domains.set(Number(m[1]), m[2]!.toLowerCase());
    }
    out.set(resource, domains);
  }
  return out;
}

/** Format one resource line with ids ascending: "L3:0=ff;16=ff". */
export function formatSchemataLine(resource: string, domains: ReadonlyMap<number, string>): string {
  const parts = [...domains.entries()].sort((a, b) => a[0] - b[0]).map(([id, v]) => `${id}=${v}`);
  return `${resource}:${parts.join(';')}`;
}

/** Is this a cache-bitmask resource (hex values) rather than a bandwidth one (decimal)? */
export function isCacheResource(resource: string): boolean {
  return resource.startsWith('L2') || resource.startsWith('L3');
}

/** Compare two schemata values for one resource: masks numerically as hex, bandwidth as decimal. */
export function sameSchemataValue(resource: string, a: string, b: string): boolean {
  if (isCacheResource(resource)) return BigInt(`0x${a}`) === BigInt(`0x${b}`);
  return Number(a) === Number(b);
}
