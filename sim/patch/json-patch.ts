// JSON patch (RFC 6902, `application/json-patch+json`) on top of fast-json-patch, with
// its failures turned into PatchErrors the way kube-apiserver reports them: a body that
// is not a list of operations is a BadRequest (400); an operation that cannot be applied
// to this object (failed `test`, path that does not exist) is Invalid (422).
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { PatchError } from './errors.js';
import { describe, isJsonObject, type JsonObject } from './json.js';

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Applies the operations to a copy of `original`; neither argument is modified. */
export function jsonPatch(original: JsonObject, patch: unknown): JsonObject {
  const ops = decodeOperations(patch);
  let result: unknown;
  try {
    result = fastJsonPatch.applyPatch(original, ops, true, false).newDocument;
  } catch (e) {
    throw translate(e, ops);
  }
  if (!isJsonObject(result)) throw new PatchError('Invalid', `the JSON patch replaced the object with ${describe(result)}`);
  return result;
}

function decodeOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) throw new PatchError('BadRequest', `a JSON patch must be a list of operations, got ${describe(patch)}`);
  patch.forEach((op, i) => {
    if (!isJsonObject(op)) throw new PatchError('BadRequest', `JSON patch operation ${i} is not an object: ${describe(op)}`);
    if (typeof op['op'] !== 'string' || !OPS.has(op['op'])) {
      throw new PatchError('BadRequest', `JSON patch operation ${i} has an unknown op ${describe(op['op'])} (expected add, remove, replace, move, copy or test)`);
    }
    if (typeof op['path'] !== 'string') throw new PatchError('BadRequest', `JSON patch operation ${i} (${op['op']}) has no string "path"`);
    if ((op['op'] === 'move' || op['op'] === 'copy') && typeof op['from'] !== 'string') {
      throw new PatchError('BadRequest', `JSON patch operation ${i} (${op['op']}) has no string "from"`);
    }
    if ((op['op'] === 'add' || op['op'] === 'replace' || op['op'] === 'test') && !('value' in op)) {
      throw new PatchError('BadRequest', `JSON patch operation ${i} (${op['op']} ${op['path']}) has no "value"`);
    }
  });
  return patch as Operation[];
}

function translate(e: unknown, ops: Operation[]): PatchError {
  if (!(e instanceof fastJsonPatch.JsonPatchError)) {
    return new PatchError('Invalid', `the JSON patch could not be applied: ${e instanceof Error ? e.message : String(e)}`);
  }
  const op = ops[e.index ?? -1];
  const what = op ? `operation ${e.index} (${op.op} ${op.path})` : 'an operation';
  switch (e.name) {
    case 'TEST_OPERATION_FAILED':
      return new PatchError('Invalid', `the JSON patch test failed: ${what}: the value at ${op?.path ?? 'the path'} is not ${describe(op && 'value' in op ? op.value : undefined)}`);
    case 'OPERATION_PATH_UNRESOLVABLE':
    case 'OPERATION_FROM_UNRESOLVABLE':
    case 'OPERATION_PATH_CANNOT_ADD':
      return new PatchError('Invalid', `the JSON patch cannot be applied: ${what}: the path does not exist in the object (escape "/" in keys as "~1" and "~" as "~0")`);
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return new PatchError('Invalid', `the JSON patch cannot be applied: ${what}: the list index is out of bounds`);
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return new PatchError('Invalid', `the JSON patch cannot be applied: ${what}: the list index is not a number`);
    default:
      return new PatchError('BadRequest', `invalid JSON patch: ${what}: ${e.message.split('\n')[0]}`);
  }
}
