// Bad input over the wire: every malformed request gets a Kubernetes Status with the
// right code and reason, and the server keeps serving afterwards.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../../sim/http/server.js';
import { accessFor, expectStatus, raw, startTestSim, type ClusterAccess, type TestSim } from './helpers.js';

let t: TestSim;
let host: ClusterAccess;

const CM = '/api/v1/namespaces/default/configmaps';

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host'], nodes: 1 });
  host = accessFor(t.sim.kubeconfig, 'host');
  const r = await raw(host, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'base' }, data: { a: '1' } }) });
  expect(r.status).toBe(201);
});

afterAll(async () => {
  await t?.stop();
});

/** After each bad request the server must still answer a good one. */
async function stillServing(): Promise<void> {
  const r = await raw(host, 'GET', `${CM}/base`);
  expect(r.status).toBe(200);
  expect(r.json?.['data']).toEqual({ a: '1' });
}

describe('bad input gets a Status and the server keeps serving', () => {
  it('malformed JSON body -> 400 BadRequest', async () => {
    const r = await raw(host, 'POST', CM, { body: '{"apiVersion": "v1", "kind": ' });
    expect(expectStatus(r, 400, 'BadRequest')['message']).toMatch(/decod/);
    await stillServing();
  });

  it('a JSON body that is not an object -> 400', async () => {
    for (const body of ['"text"', '[1,2]', 'null', '42']) {
      expectStatus(await raw(host, 'POST', CM, { body }), 400, 'BadRequest');
    }
    await stillServing();
  });

  it('empty body on create -> 400', async () => {
    expectStatus(await raw(host, 'POST', CM, { body: '' }), 400, 'BadRequest');
    await stillServing();
  });

  it('unknown resource, group or version -> 404 NotFound', async () => {
    expectStatus(await raw(host, 'GET', '/api/v1/namespaces/default/gizmos'), 404, 'NotFound');
    expectStatus(await raw(host, 'GET', '/apis/nope.example.com/v1/gizmos'), 404, 'NotFound');
    expectStatus(await raw(host, 'GET', '/api/v9/pods'), 404, 'NotFound');
    expectStatus(await raw(host, 'GET', '/api/v1/namespaces/default/pods/x/bogus'), 404, 'NotFound');
    expectStatus(await raw(host, 'GET', '/not/an/api/path'), 404, 'NotFound');
    await stillServing();
  });

  it('a kind that does not match the resource -> 400', async () => {
    const r = await raw(host, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'Gizmo', metadata: { name: 'g' } }) });
    expect(expectStatus(r, 400, 'BadRequest')['message']).toMatch(/kind/);
    await stillServing();
  });

  it('invalid name -> 422 Invalid with a metadata.name cause', async () => {
    const r = await raw(host, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name!' } }) });
    const s = expectStatus(r, 422, 'Invalid');
    const causes = (s['details'] as { causes: Array<{ field: string }> }).causes;
    expect(causes.map((c) => c.field)).toContain('metadata.name');
    await stillServing();
  });

  it('missing name -> 422 Invalid', async () => {
    const r = await raw(host, 'POST', CM, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }) });
    expectStatus(r, 422, 'Invalid');
    await stillServing();
  });

  it('stale resourceVersion on update and patch -> 409 Conflict', async () => {
    const cur = await raw(host, 'GET', `${CM}/base`);
    const rv = Number((cur.json!['metadata'] as { resourceVersion: string }).resourceVersion);
    const put = await raw(host, 'PUT', `${CM}/base`, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'base', resourceVersion: String(rv - 1) }, data: { a: '2' } }),
    });
    expect(expectStatus(put, 409, 'Conflict')['message']).toMatch(/has been modified/);
    const patch = await raw(host, 'PATCH', `${CM}/base`, {
      contentType: 'application/merge-patch+json',
      body: JSON.stringify({ metadata: { resourceVersion: '1' }, data: { a: '3' } }),
    });
    expectStatus(patch, 409, 'Conflict');
    await stillServing();
  });

  it('a resourceVersion that is not a number -> an error, not a write', async () => {
    const put = await raw(host, 'PUT', `${CM}/base`, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'base', resourceVersion: 'abc' }, data: { a: '2' } }),
    });
    expect(put.status).toBeGreaterThanOrEqual(400);
    expect(put.json?.['kind']).toBe('Status');
    const list = await raw(host, 'GET', '/api/v1/pods?resourceVersion=abc');
    expectStatus(list, 400, 'BadRequest');
    await stillServing();
  });

  it('a body over the cap -> 413 with a Status, and the server lives on', async () => {
    const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(MAX_BODY_BYTES + 1024) } });
    const r = await raw(host, 'POST', CM, { body: big, timeoutMs: 20_000 });
    expectStatus(r, 413, 'RequestEntityTooLarge');
    expect((await raw(host, 'GET', `${CM}/big`)).status).toBe(404);
    await stillServing();
  });

  it('a patch with an unsupported content type -> 415', async () => {
    for (const contentType of ['text/plain', 'application/xml', 'application/apply-patch+cbor']) {
      const r = await raw(host, 'PATCH', `${CM}/base`, { contentType, body: '{"data":{"a":"9"}}' });
      expectStatus(r, 415, 'UnsupportedMediaType');
    }
    await stillServing();
  });

  it('a malformed JSON patch -> 400 (or 422), object unchanged', async () => {
    const r = await raw(host, 'PATCH', `${CM}/base`, { contentType: 'application/json-patch+json', body: '{"op":"add"}' });
    expectStatus(r, 400, 'BadRequest');
    const r2 = await raw(host, 'PATCH', `${CM}/base`, { contentType: 'application/json-patch+json', body: JSON.stringify([{ op: 'test', path: '/data/a', value: 'nope' }]) });
    expect([409, 422]).toContain(r2.status);
    expect(r2.json?.['kind']).toBe('Status');
    await stillServing();
  });

  it('no token or a wrong token -> 401 Unauthorized', async () => {
    expectStatus(await raw(host, 'GET', '/api/v1/pods', { token: null }), 401, 'Unauthorized');
    expectStatus(await raw(host, 'GET', '/api/v1/pods', { token: 'wrong' }), 401, 'Unauthorized');
    expectStatus(await raw(host, 'GET', '/api', { token: 'wrong' }), 401, 'Unauthorized');
    await stillServing();
  });

  it('bad query parameters -> 400', async () => {
    expectStatus(await raw(host, 'GET', '/api/v1/pods?limit=abc'), 400, 'BadRequest');
    expectStatus(await raw(host, 'GET', '/api/v1/pods?continue=garbage'), 400, 'BadRequest');
    expectStatus(await raw(host, 'GET', '/api/v1/pods?labelSelector=a%3D%3D%3D'), 400, 'BadRequest');
    expectStatus(await raw(host, 'GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx'), 400, 'BadRequest');
    expectStatus(await raw(host, 'GET', '/api/v1/pods?watch=true&timeoutSeconds=soon'), 400, 'BadRequest');
    await stillServing();
  });

  it('a path that is not valid URL encoding -> 400 Status', async () => {
    const r = await raw(host, 'GET', '/api/v1/namespaces/default/pods/%zz');
    expectStatus(r, 400, 'BadRequest');
    await stillServing();
  });

  it('protobuf: a kind the sim cannot decode -> 415, a malformed body -> 400', async () => {
    const magic = Buffer.from('k8s\0', 'binary');
    // runtime.Unknown{typeMeta: {apiVersion: "v1", kind: "Pod"}, raw: <empty>}
    const typeMeta = Buffer.from([0x0a, 0x02, ...Buffer.from('v1'), 0x12, 0x03, ...Buffer.from('Pod')]);
    const pod = Buffer.concat([magic, Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, 0x00])]);
    const ct = 'application/vnd.kubernetes.protobuf';
    expectStatus(await raw(host, 'POST', '/api/v1/namespaces/default/pods', { body: pod, contentType: ct }), 415, 'UnsupportedMediaType');
    const truncated = Buffer.concat([magic, Buffer.from([0x0a, 0x40, 0x01])]);
    expectStatus(await raw(host, 'POST', CM, { body: truncated, contentType: ct }), 400, 'BadRequest');
    expectStatus(await raw(host, 'POST', CM, { body: Buffer.from('not protobuf'), contentType: ct }), 400, 'BadRequest');
    expectStatus(await raw(host, 'POST', CM, { body: '{}', contentType: 'application/cbor' }), 415, 'UnsupportedMediaType');
    await stillServing();
  });

  it('a write into a namespace that does not exist -> 404', async () => {
    const r = await raw(host, 'POST', '/api/v1/namespaces/nope/configmaps', { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }) });
    expectStatus(r, 404, 'NotFound');
    await stillServing();
  });

  it('a verb the resource does not allow -> 405', async () => {
    expectStatus(await raw(host, 'POST', '/apis/metrics.k8s.io/v1beta1/nodes', { body: '{}' }), 405, 'MethodNotAllowed');
    await stillServing();
  });
});
