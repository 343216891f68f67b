/**
 * JSON patch (RFC 6902) as an admission webhook answers it: the operations, and JSON pointers
 * built from path segments (RFC 6901), so a label key such as `tidepool.dev/qos` becomes
 * `/metadata/labels/tidepool.dev~1qos`.
 */

export type JsonPatchOperation =
  | { op: 'add' | 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** One path segment escaped for a JSON pointer: `~` as `~0`, `/` as `~1`. */
export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A JSON pointer from its segments: pointer('metadata', 'labels', 'a/b') = '/metadata/labels/a~1b'. */
export function pointer(...segments: Array<string | number>): string {
  return segments.map((s) => `/${escapePointerSegment(s)}`).join('');
}
