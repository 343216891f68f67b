// Request bodies of the create-only auth kinds (TokenRequest and the reviews), decoded as
// kube-apiserver decodes a typed body: JSON, YAML or protobuf; apiVersion and kind must
// match; wrong JSON types are a 400; unknown and duplicate fields follow fieldValidation
// (Strict: 400, Warn (default): Warning headers, Ignore). And the 201 answer.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from '../errors.js';
import { decodeBody } from '../http/resource-handler.js';
import { q1, type Query } from '../http/query.js';
import { isRecord } from '../object.js';
import { ref } from '../schema/dsl.js';
import { checkFields } from '../validation/fields.js';

export interface KindOf {
  group: string;
  version: string;
  kind: string;
  /** Schema definition, e.g. io.k8s.api.authentication.v1.TokenReview. */
  definition: string;
}

export interface DecodedRequest {
  obj: Record<string, unknown>;
  warnings: string[];
}

function cannotHandle(k: KindOf, detail: string): ApiError {
  return new ApiError(400, 'BadRequest', `${k.kind} in version "${k.version}" cannot be handled as a ${k.kind}: ${detail}`);
}

export function decodeRequest(req: FastifyRequest, k: KindOf): DecodedRequest {
  const query = (req.query ?? {}) as Query;
  const mode = q1(query, 'fieldValidation') || 'Warn';
  if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw badRequest(`fieldValidation parameter unsupported: ${mode}; supported values: "Strict", "Warn", "Ignore"`);
  }
  const { obj, duplicates } = decodeBody(req);
  if (!isRecord(obj)) throw badRequest('the request body must be a JSON object');
  const want = `${k.group}/${k.version}`;
  if (obj['apiVersion'] !== undefined && obj['apiVersion'] !== want) {
    throw badRequest(`the API version in the data (${String(obj['apiVersion'])}) does not match the expected API version (${want})`);
  }
  if (obj['kind'] !== undefined && obj['kind'] !== k.kind) {
    throw badRequest(`the kind in the data (${String(obj['kind'])}) does not match the expected kind (${k.kind})`);
  }
  const report = checkFields(ref(k.definition), obj, { builtin: true, prune: true });
  if (report.typeErrors.length > 0) throw cannotHandle(k, report.typeErrors[0]!.decodeMessage);
  if (mode === 'Ignore') return { obj, warnings: [] };
  const problems = [...(duplicates ?? []).map((p) => `duplicate field "${p}"`), ...report.unknown.map((p) => `unknown field "${p}"`)];
  if (problems.length > 0 && mode === 'Strict') throw cannotHandle(k, `strict decoding error: ${problems.join(', ')}`);
  return { obj, warnings: problems };
}

/** A created object's answer: 201 with the JSON body and one Warning header per warning. */
export function sendCreated(reply: FastifyReply, body: unknown, warnings: readonly string[] = []): void {
  if (warnings.length) reply.header('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  reply.code(201).type('application/json').send(JSON.stringify(body));
}

/** The metadata of a request body (kube keeps what the client sent and echoes it). */
export function metadataOf(obj: Record<string, unknown>): Record<string, unknown> {
  return isRecord(obj['metadata']) ? { ...obj['metadata'] } : {};
}

export function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

export function stringOf(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
