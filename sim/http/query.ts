// Query parameters as fastify hands them to the handlers: a repeated parameter is a list.

export type Query = Record<string, string | string[] | undefined>;

/** The last value of a query parameter (a repeated one counts as its last). */
export function q1(query: Query, key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}
