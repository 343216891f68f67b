// Public face of the PATCH semantics: pick the patch type from the Content-Type, apply it
// to a copy of the object, and report failures as PatchError with the reason the server
// answers with.
import { jsonPatch } from './json-patch.js';
import { mergePatch } from './merge-patch.js';
import { isBuiltinGroup, patchMetaFor } from './patch-meta.js';
import { strategicMergePatch } from './strategic-merge.js';
import { PatchError } from './errors.js';
import { describe, isJsonObject, type JsonObject } from './json.js';

export { PatchError, type PatchErrorReason } from './errors.js';
export { isBuiltinGroup } from './patch-meta.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

export interface PatchTarget {
  group: string;
  kind: string;
  /**
   * True for a custom resource (served from a CRD). When absent, a kind outside the API
   * groups kube-apiserver serves itself is taken to be custom.
   */
  custom?: boolean;
}

/** Whether the resource accepts `application/strategic-merge-patch+json` (custom resources do not). */
export function supportsStrategicMerge(target: PatchTarget): boolean {
  return target.custom === undefined ? isBuiltinGroup(target.group) : !target.custom;
}

/** The patch content types this resource accepts, in the order the apiserver lists them. */
export function acceptedPatchTypes(target: PatchTarget): string[] {
  return supportsStrategicMerge(target) ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH] : [JSON_PATCH, MERGE_PATCH];
}

/**
 * Applies a PATCH body to `original` and returns the patched copy; `original` is never
 * modified. `patchBody` is the decoded JSON, or the raw body as a string / bytes.
 * Throws PatchError: UnsupportedMediaType for a content type the resource does not take,
 * BadRequest for a malformed body, Invalid for a patch that does not apply.
 */
export function applyPatch(contentType: string, original: object, patchBody: unknown, target: PatchTarget): object {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const accepted = acceptedPatchTypes(target);
  if (!accepted.includes(type)) {
    throw new PatchError(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  }
  if (!isJsonObject(original)) throw new PatchError('BadRequest', `cannot patch ${describe(original)}: not an object`);
  const patch = decodeBody(patchBody);
  const doc = original as JsonObject;
  switch (type) {
    case JSON_PATCH:
      return jsonPatch(doc, patch);
    case MERGE_PATCH:
      return mergePatch(doc, patch);
    default:
      return strategicMergePatch(doc, patch, patchMetaFor(target.group, target.kind));
  }
}

function decodeBody(body: unknown): unknown {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return body;
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new PatchError('BadRequest', `the patch body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}
