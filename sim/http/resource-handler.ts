// The REST verbs on /api and /apis paths: decode the request, call ClusterApi, encode
// the answer. Everything here is HTTP shape; the object rules live in ../api.ts.

import type { FastifyReply, FastifyRequest } from 'fastify';
import YAML from 'yaml';
import type { ClusterApi, DeleteOptions, Matchers } from '../api.js';
import { coreEventToEventsV1, eventsV1ToCoreEvent } from '../conversions.js';
import { ApiError, badRequest, methodNotAllowed, notFound, statusSuccess } from '../errors.js';
import type { FieldValidation } from '../admission.js';
import { supportedFields } from '../fields.js';
import { isRecord, type KubeObject } from '../object.js';
import { applyPatch, PatchError } from '../patch/index.js';
import { managerFromUserAgent } from '../patch/managed-fields.js';
import { APPLY_PATCH, invalidPatchOptions, serverSideApply } from '../server-side-apply.js';
import { duplicateFields } from '../validation/index.js';
import { q1, qBool, qPretty, type Query } from './query.js';
import { validateListOnlyOptions } from './list-options.js';
import { decodeKubeProtobuf, ProtobufError, UnsupportedKindError } from './protobuf.js';
import { applyScale, toScale } from './scale.js';
import type { ResourceType } from '../resources.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from '../selectors.js';
import type { StoredObject } from '../store.js';
import { apiVersionOf, negotiate, renderList, renderOne, type Rendering } from './render.js';
import type { RequestInfo } from './request-info.js';
import { streamWatch, type WatchRegistry } from './watch.js';
import { createWithWebhooks, deleteWithWebhooks, patchWithWebhooks, updateWithWebhooks, type AdmissionWebhooks } from '../webhooks/index.js';
import { requestUser } from '../auth/request-auth.js';

export interface PodSubresources {
  /** Serves pods/log (synthetic for simulated nodes, proxied to a real kubelet otherwise). */
  log(req: FastifyRequest, reply: FastifyReply, pod: KubeObject, query: Query): Promise<void>;
  /** Serves pods/exec, pods/attach, pods/portforward by proxying to the node's kubelet. */
  stream?(req: FastifyRequest, reply: FastifyReply, pod: KubeObject, sub: string): Promise<void>;
}

export interface HandlerContext {
  api: ClusterApi;
  watches: WatchRegistry;
  pods: PodSubresources;
  /** Read-only metrics.k8s.io lists. */
  metrics(rt: ResourceType, namespace: string | undefined, name: string | undefined): KubeObject[];
  /** Mutating admission webhooks; writes go through them only when one has a rule for the request. */
  webhooks?: AdmissionWebhooks;
}


function qInt(query: Query, key: string): number | undefined {
  const v = q1(query, key);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${key}: "${v}" is not an integer`);
  return Number(v);
}

function fieldValidation(query: Query): FieldValidation | undefined {
  const v = q1(query, 'fieldValidation');
  if (v === undefined || v === '') return undefined;
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation parameter unsupported: ${v}; supported values: "Strict", "Warn", "Ignore"`);
}

/** Who makes a write, for managedFields: the fieldManager query, else the user agent's program (as kube names it). */
function writer(req: FastifyRequest, query: Query): string {
  return q1(query, 'fieldManager') || managerFromUserAgent(req.headers['user-agent']);
}

function dryRun(query: Query): boolean {
  const v = query['dryRun'];
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  for (const d of all) if (d !== 'All') throw badRequest(`dryRun: Unsupported value: "${d}": supported values: "All"`);
  return all.length > 0;
}

/**
 * Per-version conversion of stored objects: events.k8s.io/v1 is a view of core events,
 * and a custom resource served in several versions is shown in the version asked for
 * (the CRD "None" conversion strategy: only apiVersion changes).
 */
function converters(rt: ResourceType, registry?: ClusterApi['registry']): { out?: (o: KubeObject) => KubeObject; in?: (o: KubeObject) => KubeObject } {
  if (rt.group === 'events.k8s.io') return { out: coreEventToEventsV1, in: eventsV1ToCoreEvent };
  const crdName = rt.custom?.crdName;
  if (crdName && registry && registry.all().some((r) => r.custom?.crdName === crdName && r.version !== rt.version)) {
    const want = apiVersionOf(rt);
    return { out: (o) => (o.apiVersion === want ? o : { ...o, apiVersion: want }) };
  }
  return {};
}

/** A protobuf request body decoded to its JSON form; 415 for kinds the sim cannot decode. */
function decodeProtobufBody(body: Buffer): Record<string, unknown> {
  try {
    return decodeKubeProtobuf(body);
  } catch (e) {
    if (e instanceof UnsupportedKindError) {
      throw new ApiError(415, 'UnsupportedMediaType', `the simulated apiserver cannot decode this protobuf body (${e.message}); send application/json`);
    }
    if (e instanceof ProtobufError) throw badRequest(`error decoding protobuf request body: ${e.message}`);
    throw e;
  }
}

/**
 * A request body decoded: the value, its text (JSON, also for protobuf bodies) and, for
 * JSON, the keys it repeats (found before anything changes the value; see duplicateFields).
 */
export interface DecodedBody {
  obj: unknown;
  raw: string;
  /** Undefined for YAML: admission then scans the text itself. */
  duplicates?: string[];
}

export function decodeBody(req: FastifyRequest): DecodedBody {
  if (Buffer.isBuffer(req.body)) {
    const obj = decodeProtobufBody(req.body);
    return { obj, raw: JSON.stringify(obj), duplicates: [] };
  }
  const raw = typeof req.body === 'string' ? req.body : req.body === undefined ? '' : String(req.body);
  if (raw.trim() === '') throw badRequest('the request body is empty; an object is required');
  const ct = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  // Protobuf and CBOR (what client-go's typed clients prefer) are not spoken here: 415 tells
  // the client to send JSON instead, as a kube-apiserver without those codecs would.
  if (ct !== 'application/json' && ct !== 'application/yaml' && ct !== '' && !(ct.startsWith('application/') && (ct.endsWith('+json') || ct.endsWith('+yaml')))) {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  }
  try {
    if (ct === 'application/yaml' || ct === 'application/apply-patch+yaml') return { obj: YAML.parse(raw), raw };
    const obj: unknown = JSON.parse(raw);
    return { obj, raw, duplicates: raw.trimStart().startsWith('{') ? duplicateFields(raw, obj) : [] };
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
}

function decodeObject(req: FastifyRequest, rt: ResourceType): { obj: KubeObject; raw: string; duplicates: string[] | undefined } {
  const { obj, raw, duplicates } = decodeBody(req);
  if (!isRecord(obj)) throw badRequest('the request body must be a JSON object');
  const want = apiVersionOf(rt);
  if (obj['apiVersion'] !== undefined && obj['apiVersion'] !== want) {
    throw badRequest(`the API version in the data (${String(obj['apiVersion'])}) does not match the expected API version (${want})`);
  }
  if (obj['kind'] !== undefined && obj['kind'] !== rt.kind) {
    throw badRequest(`the kind in the data (${String(obj['kind'])}) does not match the expected kind (${rt.kind})`);
  }
  if (obj['metadata'] !== undefined && !isRecord(obj['metadata'])) throw badRequest('metadata must be an object');
  const o = obj as KubeObject;
  if (!o.metadata) o.metadata = {};
  const conv = converters(rt).in;
  return { obj: conv ? conv(o) : o, raw, duplicates };
}

/**
 * events.k8s.io/v1 names the fields of the stored (core) Event its own way; kube maps
 * them (regarding.* -> involvedObject.*, reportingController -> reportingComponent).
 */
export function eventsV1FieldSelector(selector: string): string {
  // Terms are split on commas that are not escaped; only the field name changes.
  return selector
    .split(/(?<!\\),/)
    .map((term) => {
      const m = /^(\s*)([^!=\s]+)(.*)$/s.exec(term);
      if (!m) return term;
      const key = m[2]!;
      const mapped = key.startsWith('regarding.') ? `involvedObject.${key.slice('regarding.'.length)}` : key === 'reportingController' ? 'reportingComponent' : key;
      return `${m[1]}${mapped}${m[3]}`;
    })
    .join(',');
}

export function matchersFrom(query: Query, rt: ResourceType): Matchers {
  const m: Matchers = {};
  try {
    const ls = q1(query, 'labelSelector');
    if (ls) m.labels = parseLabelSelector(ls);
    const fs = q1(query, 'fieldSelector');
    if (fs) {
      const allowed = new Set(supportedFields(rt.storageKey));
      const match = parseFieldSelector(rt.group === 'events.k8s.io' ? eventsV1FieldSelector(fs) : fs, allowed);
      m.fields = match;
    }
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
  return m;
}

/**
 * The sim's most frequent answer, written straight to Node's response: fastify's send
 * pipeline (hooks, serializers, payload checks) has nothing to do for a ready JSON string,
 * and skipping it is a few microseconds of every write. Only for successful answers made
 * by the handler; errors still go through fastify's error handler.
 */
function sendJson(reply: FastifyReply, code: number, json: string, warnings: string[] = []): void {
  const body = prettyIfAsked(reply, json);
  reply.hijack();
  // One Warning header per warning, as kube-apiserver sends them.
  if (warnings.length) reply.raw.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  reply.raw.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  reply.raw.end(body);
}

/** The JSON answer indented as kube-apiserver's `?pretty=true` does (json.MarshalIndent, two spaces). */
function prettyIfAsked(reply: FastifyReply, json: string): string {
  return qPretty((reply.request.query ?? {}) as Query) ? JSON.stringify(JSON.parse(json), null, 2) : json;
}

function renderFor(req: FastifyRequest, query: Query): Rendering {
  return negotiate(req.headers['accept'], q1(query, 'includeObject'));
}

export async function handleResource(ctx: HandlerContext, req: FastifyRequest, reply: FastifyReply, info: RequestInfo): Promise<void> {
  const { api } = ctx;
  const rt = api.registry.lookup(info.group, info.version, info.resource);
  if (!rt) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (!rt.namespaced && info.namespace !== undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (info.subresource !== undefined && !rt.subresources.includes(info.subresource)) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  const query = (req.query ?? {}) as Query;
  const method = req.method;
  const ns = rt.namespaced ? info.namespace : undefined;
  const nsForWrite = info.namespace ?? '';
  const conv = converters(rt, api.registry);
  const now = new Date(api.clock.now());

  if (rt.readOnly) {
    if (method !== 'GET') throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    const objs = ctx.metrics(rt, ns, info.name);
    if (info.name !== undefined) {
      const o = objs[0];
      if (!o) throw notFound(rt.resource, rt.group, info.name);
      sendJson(reply, 200, JSON.stringify(o));
    } else {
      const m = matchersFrom(query, rt);
      const items = objs.filter((o) => !m.labels || m.labels(o.metadata.labels ?? {}));
      sendJson(reply, 200, JSON.stringify({ kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: {}, items }));
    }
    return;
  }

  if (rt.namespaced && info.namespace === undefined && info.name !== undefined) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }

  const isWatch = info.legacyWatch || qBool(query, 'watch');
  switch (method) {
    case 'GET': {
      if (info.name === undefined) {
        if (isWatch) {
          streamWatch(ctx, req, reply, rt, ns, query, renderFor(req, query), conv.out);
          return;
        }
        validateListOnlyOptions(query);
        const result = api.list(rt, ns, {
          ...matchersFrom(query, rt),
          ...(qInt(query, 'limit') !== undefined ? { limit: qInt(query, 'limit')! } : {}),
          ...(q1(query, 'continue') ? { continueToken: q1(query, 'continue')! } : {}),
          ...(q1(query, 'resourceVersion') !== undefined ? { resourceVersion: q1(query, 'resourceVersion')! } : {}),
          ...(q1(query, 'resourceVersionMatch') ? { resourceVersionMatch: q1(query, 'resourceVersionMatch')! } : {}),
        });
        reply.code(200).type('application/json');
        const chunks = renderList(
          rt,
          result.items,
          { resourceVersion: result.resourceVersion, continueToken: result.continueToken, remainingItemCount: result.remainingItemCount },
          renderFor(req, query),
          now,
          conv.out,
        );
        reply.send(prettyIfAsked(reply, [...chunks].join('')));
        return;
      }
      if (info.subresource === 'log' && rt.storageKey === '/pods') {
        const pod = api.parse(api.get(rt, nsForWrite, info.name));
        await ctx.pods.log(req, reply, pod, query);
        return;
      }
      if (info.subresource === 'scale') {
        sendJson(reply, 200, JSON.stringify(toScale(api.parse(api.get(rt, nsForWrite, info.name)))));
        return;
      }
      if (info.subresource !== undefined && info.subresource !== 'status') {
        if (rt.storageKey === '/pods' && ctx.pods.stream && ['exec', 'attach', 'portforward'].includes(info.subresource)) {
          const pod = api.parse(api.get(rt, nsForWrite, info.name));
          await ctx.pods.stream(req, reply, pod, info.subresource);
          return;
        }
        throw methodNotAllowed(`GET is not supported on ${rt.resource}/${info.subresource}`);
      }
      const o = api.get(rt, nsForWrite, info.name);
      sendJson(reply, 200, renderOne(rt, o, renderFor(req, query), now, conv.out));
      return;
    }
    case 'POST': {
      if (info.name === undefined) {
        if (rt.resource === 'bindings') {
          const { obj } = decodeBody(req);
          bindPod(api, nsForWrite, obj);
          sendJson(reply, 201, JSON.stringify(statusSuccess()));
          return;
        }
        const { obj, raw, duplicates } = decodeObject(req, rt);
        const fv = fieldValidation(query);
        // events.k8s.io/v1 Events are stored as the core/v1 Events they were converted to.
        const storeAs = rt.group === 'events.k8s.io' ? (api.registry.lookup('', 'v1', 'events') ?? rt) : rt;
        const createOpts = { dryRun: dryRun(query), rawBody: raw, ...(duplicates ? { duplicates } : {}), ...(fv ? { fieldValidation: fv } : {}) };
        const res = ctx.webhooks?.mayCall(storeAs, 'CREATE', undefined)
          ? await createWithWebhooks(ctx.webhooks, api, storeAs, nsForWrite, obj, createOpts, requestUser(req.raw))
          : api.create(storeAs, nsForWrite, obj, createOpts);
        sendJson(reply, 201, renderOne(rt, res.object, { as: 'object' }, now, conv.out), res.warnings);
        return;
      }
      if (rt.storageKey === '/pods' && info.subresource === 'binding') {
        const { obj } = decodeBody(req);
        if (isRecord(obj) && isRecord(obj['metadata']) && obj['metadata']['name'] === undefined) obj['metadata']['name'] = info.name;
        if (isRecord(obj) && isRecord(obj['metadata']) && obj['metadata']['name'] !== info.name) {
          throw badRequest(`binding name ${String(obj['metadata']['name'])} must match pod name ${info.name}`);
        }
        bindPod(api, nsForWrite, obj, info.name);
        sendJson(reply, 201, JSON.stringify(statusSuccess()));
        return;
      }
      if (rt.storageKey === '/pods' && info.subresource === 'eviction') {
        const { obj } = decodeBody(req);
        evictPod(api, rt, nsForWrite, info.name, obj);
        sendJson(reply, 201, JSON.stringify(statusSuccess()));
        return;
      }
      if (rt.storageKey === '/pods' && ctx.pods.stream && (info.subresource === 'exec' || info.subresource === 'attach' || info.subresource === 'portforward')) {
        const pod = api.parse(api.get(rt, nsForWrite, info.name));
        await ctx.pods.stream(req, reply, pod, info.subresource);
        return;
      }
      throw methodNotAllowed(`POST is not supported on ${rt.resource}${info.subresource ? '/' + info.subresource : ''} by name`);
    }
    case 'PUT': {
      if (info.name === undefined) throw methodNotAllowed(`PUT requires a name`);
      if (info.subresource === 'scale') {
        const { obj: scale } = decodeBody(req);
        const res = api.mutate(rt, nsForWrite, info.name, (parent) => applyScale(parent, scale), { dryRun: dryRun(query), fieldManager: writer(req, query) });
        sendJson(reply, 200, JSON.stringify(toScale(api.parse(res.object))));
        return;
      }
      if (info.subresource !== undefined && info.subresource !== 'status' && info.subresource !== 'finalize') {
        throw methodNotAllowed(`PUT is not supported on ${rt.resource}/${info.subresource}`);
      }
      const { obj, raw, duplicates } = decodeObject(req, rt);
      const fv = fieldValidation(query);
      const updateOpts = {
        dryRun: dryRun(query),
        rawBody: raw,
        ...(duplicates ? { duplicates } : {}),
        ...(fv ? { fieldValidation: fv } : {}),
        ...(info.subresource === 'status' ? { subresource: 'status' } : {}),
        ...(info.subresource === 'finalize' ? { subresource: 'finalize' } : {}),
        fieldManager: writer(req, query),
      };
      const res = ctx.webhooks?.mayCall(rt, 'UPDATE', info.subresource)
        ? await updateWithWebhooks(ctx.webhooks, api, rt, nsForWrite, info.name, obj, updateOpts, requestUser(req.raw))
        : api.update(rt, nsForWrite, info.name, obj, updateOpts);
      sendJson(reply, 200, renderOne(rt, res.object, { as: 'object' }, now, conv.out), res.warnings);
      return;
    }
    case 'PATCH': {
      if (info.name === undefined) throw methodNotAllowed(`PATCH requires a name`);
      if (info.subresource === 'scale') {
        const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        const { obj: patch } = decodeBody(req);
        const res = api.mutate(
          rt,
          nsForWrite,
          info.name,
          (parent) => {
            let patched: unknown;
            try {
              patched = applyPatch(ct, toScale(parent), patch, { group: 'autoscaling', kind: 'Scale', custom: false });
            } catch (e) {
              if (e instanceof PatchError) throw new ApiError(e.reason === 'UnsupportedMediaType' ? 415 : e.reason === 'Invalid' ? 422 : 400, e.reason, e.message);
              throw e;
            }
            return applyScale(parent, patched);
          },
          { dryRun: dryRun(query), fieldManager: writer(req, query) },
        );
        sendJson(reply, 200, JSON.stringify(toScale(api.parse(res.object))));
        return;
      }
      if (info.subresource !== undefined && info.subresource !== 'status') throw methodNotAllowed(`PATCH is not supported on ${rt.resource}/${info.subresource}`);
      const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (ct === APPLY_PATCH) {
        const fv = fieldValidation(query);
        const res = serverSideApply(api, rt, nsForWrite, info.name, {
          body: typeof req.body === 'string' ? req.body : Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '',
          fieldManager: q1(query, 'fieldManager'),
          force: qBool(query, 'force'),
          dryRun: dryRun(query),
          ...(fv ? { fieldValidation: fv } : {}),
          ...(info.subresource === 'status' ? { subresource: 'status' } : {}),
        });
        sendJson(reply, res.created ? 201 : 200, renderOne(rt, res.object, { as: 'object' }, now, conv.out), res.warnings);
        return;
      }
      if (ct === 'application/apply-patch+cbor') {
        throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml`);
      }
      if (query['force'] !== undefined) throw invalidPatchOptions('force', 'Forbidden: may not be specified for non-apply patch');
      const { obj: patch, raw: rawPatch, duplicates } = decodeBody(req);
      const fv = fieldValidation(query);
      // applyPatch returns a copy and leaves the stored object alone: no draft copy needed.
      const patchFn = (current: Readonly<KubeObject>): KubeObject => {
        const view = conv.out ? conv.out(current) : current;
        let patched: KubeObject;
        try {
          patched = applyPatch(ct, view, patch, { group: rt.group, kind: rt.kind, custom: rt.custom !== undefined }) as KubeObject;
        } catch (e) {
          if (e instanceof PatchError) {
            const code = e.reason === 'UnsupportedMediaType' ? 415 : e.reason === 'Invalid' ? 422 : 400;
            throw new ApiError(code, e.reason, e.message);
          }
          throw e;
        }
        if (!isRecord(patched) || !isRecord(patched.metadata)) throw badRequest('the patch must leave an object with metadata');
        return conv.in ? conv.in(patched) : patched;
      };
      // rawBody marks the write as a client's (decode checks apply) and feeds duplicate-field detection.
      const patchOpts = { dryRun: dryRun(query), rawBody: rawPatch, ...(duplicates ? { duplicates } : {}), ...(fv ? { fieldValidation: fv } : {}), ...(info.subresource === 'status' ? { subresource: 'status' } : {}), fieldManager: writer(req, query) };
      const res = ctx.webhooks?.mayCall(rt, 'UPDATE', info.subresource)
        ? await patchWithWebhooks(ctx.webhooks, api, rt, nsForWrite, info.name, patchFn, patchOpts, requestUser(req.raw))
        : api.derive(rt, nsForWrite, info.name, patchFn, patchOpts);
      sendJson(reply, 200, renderOne(rt, res.object, { as: 'object' }, now, conv.out), res.warnings);
      return;
    }
    case 'DELETE': {
      const opts = deleteOptions(req, query);
      if (info.name === undefined) {
        const m = matchersFrom(query, rt);
        const list = api.list(rt, ns, m);
        const deleted: StoredObject[] = [];
        for (const o of list.items) {
          try {
            deleted.push(api.delete(rt, o.namespace, o.name, opts).object);
          } catch (e) {
            if (!(e instanceof ApiError && e.code === 404)) throw e;
          }
        }
        reply.code(200).type('application/json').send([...renderList(rt, deleted, { resourceVersion: api.store.currentRv() }, { as: 'object' }, now, conv.out)].join(''));
        return;
      }
      const res = ctx.webhooks?.mayCall(rt, 'DELETE', undefined)
        ? await deleteWithWebhooks(ctx.webhooks, api, rt, nsForWrite, info.name, opts, requestUser(req.raw))
        : { ...api.delete(rt, nsForWrite, info.name, opts), warnings: [] };
      // Like kube: 200 with the object, whether it is gone or only terminating (graceful pod deletion, finalizers).
      sendJson(reply, 200, renderOne(rt, res.object, { as: 'object' }, now, conv.out), res.warnings);
      return;
    }
    default:
      throw methodNotAllowed(`method ${method} is not allowed`);
  }
}

function deleteOptions(req: FastifyRequest, query: Query): DeleteOptions {
  const opts: DeleteOptions = {};
  const raw = typeof req.body === 'string' ? req.body.trim() : Buffer.isBuffer(req.body) && req.body.length > 0 ? 'protobuf' : '';
  if (raw) {
    let body: unknown;
    try {
      body = Buffer.isBuffer(req.body) ? decodeProtobufBody(req.body) : JSON.parse(raw);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw badRequest(`error decoding DeleteOptions: ${(e as Error).message}`);
    }
    if (!isRecord(body)) throw badRequest('DeleteOptions must be an object');
    if (body['gracePeriodSeconds'] !== undefined && body['gracePeriodSeconds'] !== null) {
      if (typeof body['gracePeriodSeconds'] !== 'number') throw badRequest('gracePeriodSeconds must be an integer');
      opts.gracePeriodSeconds = body['gracePeriodSeconds'];
    }
    if (isRecord(body['preconditions'])) {
      const p = body['preconditions'];
      opts.preconditions = {
        ...(typeof p['uid'] === 'string' ? { uid: p['uid'] } : {}),
        ...(typeof p['resourceVersion'] === 'string' ? { resourceVersion: p['resourceVersion'] } : {}),
      };
    }
    if (typeof body['propagationPolicy'] === 'string') opts.propagationPolicy = body['propagationPolicy'];
    if (Array.isArray(body['dryRun']) && body['dryRun'].length > 0) opts.dryRun = true;
  }
  const g = qInt(query, 'gracePeriodSeconds');
  if (g !== undefined) opts.gracePeriodSeconds = g;
  const pp = q1(query, 'propagationPolicy');
  if (pp) opts.propagationPolicy = pp;
  if (dryRun(query)) opts.dryRun = true;
  if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    throw badRequest(`propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Orphan", "Background", "Foreground"`);
  }
  return opts;
}

/** POST pods/{name}/binding: assigns a pending pod to a node, once. */
export function bindPod(api: ClusterApi, namespace: string, body: unknown, podName?: string): void {
  if (!isRecord(body)) throw badRequest('Binding must be an object');
  const meta = isRecord(body['metadata']) ? body['metadata'] : {};
  const name = podName ?? (typeof meta['name'] === 'string' ? meta['name'] : '');
  const target = isRecord(body['target']) ? body['target'] : undefined;
  const node = target && typeof target['name'] === 'string' ? target['name'] : '';
  if (!name) throw badRequest('Binding.metadata.name is required');
  if (!node) {
    throw new ApiError(422, 'Invalid', `Binding "${name}" is invalid: target.name: Required value`, {
      name,
      kind: 'Binding',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }],
    });
  }
  if (target && target['kind'] !== undefined && target['kind'] !== 'Node' && target['kind'] !== '') {
    throw new ApiError(422, 'Invalid', `Binding "${name}" is invalid: target.kind: Unsupported value: "${String(target['kind'])}"`);
  }
  const podsRt = api.registry.lookup('', 'v1', 'pods')!;
  api.mutate(podsRt, namespace, name, (pod) => {
    const spec = (isRecord(pod['spec']) ? pod['spec'] : (pod['spec'] = {})) as Record<string, unknown>;
    if (pod.metadata.deletionTimestamp) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted, cannot be assigned to a host`);
    }
    if (typeof spec['nodeName'] === 'string' && spec['nodeName'] !== '') {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${spec['nodeName']}"`);
    }
    if (typeof meta['uid'] === 'string' && meta['uid'] !== pod.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": the UID in the binding does not match the pod`);
    }
    spec['nodeName'] = node;
    const status = (isRecord(pod['status']) ? pod['status'] : (pod['status'] = {})) as Record<string, unknown>;
    const conds = (Array.isArray(status['conditions']) ? status['conditions'] : []) as Array<Record<string, unknown>>;
    const rest = conds.filter((c) => c['type'] !== 'PodScheduled');
    rest.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: api.now() });
    status['conditions'] = rest;
    if (isRecord(meta['annotations'])) pod.metadata.annotations = { ...pod.metadata.annotations, ...(meta['annotations'] as Record<string, string>) };
  }, { subresource: 'binding' });
}

/** POST pods/{name}/eviction: the policy/v1 Eviction API (no PodDisruptionBudgets in the sim, so always allowed). */
function evictPod(api: ClusterApi, rt: ResourceType, namespace: string, name: string, body: unknown): void {
  if (!isRecord(body)) throw badRequest('Eviction must be an object');
  const kind = body['kind'];
  if (kind !== undefined && kind !== 'Eviction') throw badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (Eviction)`);
  const meta = isRecord(body['metadata']) ? body['metadata'] : {};
  if (meta['name'] !== undefined && meta['name'] !== name) throw badRequest(`name in URL does not match name in Eviction object`);
  const del = isRecord(body['deleteOptions']) ? body['deleteOptions'] : {};
  const opts: DeleteOptions = {};
  if (typeof del['gracePeriodSeconds'] === 'number') opts.gracePeriodSeconds = del['gracePeriodSeconds'];
  if (isRecord(del['preconditions'])) {
    const p = del['preconditions'];
    opts.preconditions = {
      ...(typeof p['uid'] === 'string' ? { uid: p['uid'] } : {}),
      ...(typeof p['resourceVersion'] === 'string' ? { resourceVersion: p['resourceVersion'] } : {}),
    };
  }
  // As kube-apiserver does (PodDisruptionConditions): a running pod is marked before it is
  // deleted, so whoever watches it (a controller, a virtual node mirroring it) can tell an
  // eviction from a plain delete.
  const current = api.tryGet(rt, namespace, name);
  if (current) {
    const pod = api.parse(current);
    const status = isRecord(pod['status']) ? pod['status'] : {};
    const phase = status['phase'];
    const uidOk = opts.preconditions?.uid === undefined || opts.preconditions.uid === pod.metadata.uid;
    if (uidOk && phase !== 'Succeeded' && phase !== 'Failed') {
      api.mutate(rt, namespace, name, (p) => {
        const st = isRecord(p['status']) ? (p['status'] as Record<string, unknown>) : (p['status'] = {});
        const conditions = (Array.isArray(st['conditions']) ? (st['conditions'] as Array<Record<string, unknown>>) : []).filter((c) => c['type'] !== 'DisruptionTarget');
        conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: api.now() });
        st['conditions'] = conditions;
      }, { subresource: 'status' });
    }
  }
  api.delete(rt, namespace, name, opts);
}
