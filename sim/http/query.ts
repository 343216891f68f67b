// Query parameters as fastify hands them to the handlers: a repeated parameter is a list.
// Booleans are read the way kube-apiserver reads them, in one place, so every client's
// spelling works: Python's client sends `watch=True`, client-go `watch=true`, kubectl's
// exec `stdin=true`, curl users type `watch=1`.

export type Query = Record<string, string | string[] | undefined>;

/** The last value of a query parameter (a repeated one counts as its last). */
export function q1(query: Query, key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/**
 * A boolean query value as kube's parameter codec converts one (apimachinery's
 * Convert_Slice_string_To_bool, behind every `bool` of ListOptions, PodLogOptions,
 * PodExecOptions, PatchOptions, ...): "0" and "false" in any letter case are false; every
 * other value is true, "" and "yes" included. kube never rejects a boolean, so neither
 * does the sim. Note it is not Go's strconv.ParseBool: `f` and `F` are true here.
 */
export function kubeBool(value: string): boolean {
  return !(value === '0' || value.toLowerCase() === 'false');
}

/** The value kube converts when a parameter repeats: the first (a url.Values list's [0]). */
function first(query: Query, key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v[0] : v;
}

/** A boolean query parameter (`watch`, `allowWatchBookmarks`, `follow`, ...): absent is false, else kubeBool. */
export function qBool(query: Query, key: string): boolean {
  const v = first(query, key);
  return v === undefined ? false : kubeBool(v);
}

/** A `*bool` query parameter, where absence means something else than false (`sendInitialEvents`). */
export function qOptionalBool(query: Query, key: string): boolean | undefined {
  const v = first(query, key);
  return v === undefined ? undefined : kubeBool(v);
}

/**
 * Go's strconv.ParseBool: `1 t T TRUE true True` and `0 f F FALSE false False`; any other
 * value is undefined. kube-apiserver reads `pretty` this way and ignores a value it cannot
 * parse (no pretty printing, no error).
 */
export function goBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** `pretty`: an explicitly asked-for indented JSON answer. */
export function qPretty(query: Query): boolean {
  const v = first(query, 'pretty');
  return v !== undefined && goBool(v) === true;
}
