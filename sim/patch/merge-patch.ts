// JSON merge patch (RFC 7386, `application/merge-patch+json`): objects merge
// recursively, `null` removes a key, anything else (arrays included) replaces.
import { PatchError } from './errors.js';
import { cloneJson, describe, isJsonObject, type JsonObject } from './json.js';

/** Applies `patch` to a copy of `original`; neither argument is modified. */
export function mergePatch(original: JsonObject, patch: unknown): JsonObject {
  // RFC 7386 lets a non-object patch replace the whole document; for an API object that
  // would drop kind and metadata, so the server refuses it up front.
  if (!isJsonObject(patch)) throw new PatchError('BadRequest', `a merge patch must be a JSON object, got ${describe(patch)}`);
  return mergeObject(cloneJson(original), patch);
}

function mergeObject(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isJsonObject(value)) {
      const current = target[key];
      target[key] = mergeObject(isJsonObject(current) ? current : {}, value);
    } else {
      target[key] = cloneJson(value);
    }
  }
  return target;
}
