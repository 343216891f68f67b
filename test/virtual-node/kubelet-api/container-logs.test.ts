// /containerLogs on the virtual node's kubelet API: a host pod's log is its mirror's log in the
// member cluster, with the kubelet's options and errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateKeyPair } from '../../../kube/index.js';
import { expectStatus } from '../../sim/e2e/helpers.js';
import { waitFor } from '../../helpers/wait.js';
import { metricValue, startFixture, type Fixture } from './fixture.js';

let f: Fixture;
let admin: CertificateKeyPair;

beforeAll(async () => {
  f = await startFixture();
  // The identity kube-apiserver presents when it proxies `kubectl logs`.
  admin = f.clientCa.issue({ commonName: 'kube-apiserver-kubelet-client', organization: ['system:masters'], usage: 'client' });
  await f.addPlacedPod('web');
  await f.addPlacedPod('duo', { containers: ['main', 'sidecar'] });
  await f.addUnplacedPod('waiting');
});

afterAll(async () => {
  await f?.stop();
});

describe('GET /containerLogs', () => {
  it("returns the mirror's log as text, limited by tailLines", async () => {
    // The member's simulated kubelet writes one line a second; wait for a second one.
    await waitFor('two log lines', async () => (await f.get('/containerLogs/default/web/app', { cert: admin })).body.split('\n').filter(Boolean).length >= 2, 5_000, 200);
    const all = await f.get('/containerLogs/default/web/app', { cert: admin });
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toMatch(/^text\/plain/);
    const lines = all.body.split('\n').filter(Boolean);
    expect(lines[0]).toBe('app default/web-mirror line 0: handled request ok');

    const tail = await f.get('/containerLogs/default/web/app?tailLines=1', { cert: admin });
    expect(tail.status).toBe(200);
    const tailLines = tail.body.split('\n').filter(Boolean);
    expect(tailLines).toHaveLength(1);
    expect(tailLines[0]).toMatch(/^app default\/web-mirror line [1-9]\d*: handled request ok$/);
  });

  it('passes timestamps and limitBytes on to the member', async () => {
    const r = await f.get('/containerLogs/default/web/app?timestamps=true&limitBytes=24', { cert: admin });
    expect(r.status).toBe(200);
    expect(Buffer.byteLength(r.body)).toBe(24);
    expect(r.body).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
  });

  it('reads the named container of a pod with several', async () => {
    const r = await f.get('/containerLogs/default/duo/sidecar?tailLines=1', { cert: admin });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^sidecar default\/duo-mirror line \d+/);
  });

  it('streams a followed log as it is written, and ends the stream when the client goes away', async () => {
    const controller = new AbortController();
    const res = await f.open('/containerLogs/default/web/app?follow=true&tailLines=0', { cert: admin, signal: controller.signal });
    expect(res.statusCode).toBe(200);
    const lines = await new Promise<string[]>((resolve, reject) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
        const got = text.split('\n').filter(Boolean);
        // tailLines=0: everything seen was written after the request, one line a second.
        if (got.length >= 2) resolve(got);
      });
      res.on('error', (e) => (controller.signal.aborted ? undefined : reject(e)));
      setTimeout(() => reject(new Error(`followed log did not stream: ${JSON.stringify(text)}`)), 8_000).unref();
    });
    expect(lines[0]).toMatch(/^app default\/web-mirror line \d+: handled request ok$/);
    expect(await metricValue(f.registry, 'tidepool_virtual_node_kubelet_open_streams', { endpoint: 'containerLogs' })).toBe(1);
    controller.abort();
    await waitFor('the followed stream to end', async () => (await metricValue(f.registry, 'tidepool_virtual_node_kubelet_open_streams', { endpoint: 'containerLogs' })) === 0);
  });

  it('refuses options that do not parse with a 400 and options that break the rules with a 422', async () => {
    expectStatus(await f.get('/containerLogs/default/web/app?tailLines=many', { cert: admin }), 400, 'BadRequest');
    expectStatus(await f.get('/containerLogs/default/web/app?follow=perhaps', { cert: admin }), 400, 'BadRequest');
    expectStatus(await f.get('/containerLogs/default/web/app?sinceTime=yesterday', { cert: admin }), 400, 'BadRequest');
    const neg = expectStatus(await f.get('/containerLogs/default/web/app?tailLines=-1', { cert: admin }), 422, 'Invalid');
    expect(neg['message']).toMatch(/tailLines.*greater than or equal to 0/);
    expectStatus(await f.get('/containerLogs/default/web/app?limitBytes=0', { cert: admin }), 422, 'Invalid');
    const both = expectStatus(await f.get('/containerLogs/default/web/app?sinceSeconds=10&sinceTime=2024-01-01T00:00:00Z', { cert: admin }), 422, 'Invalid');
    expect(both['message']).toMatch(/at most one of `sinceTime` or `sinceSeconds`/);
  });

  it('answers 404 for a pod that is not on the node or a container the pod does not have', async () => {
    const pod = expectStatus(await f.get('/containerLogs/default/nobody/app', { cert: admin }), 404, 'NotFound');
    expect(pod['message']).toMatch(/pod "nobody" does not exist/);
    const c = expectStatus(await f.get('/containerLogs/default/web/nope', { cert: admin }), 404, 'NotFound');
    expect(c['message']).toBe('container "nope" not found in pod "web"');
  });

  it('tells a pod that is ours but not placed yet apart from an unknown one', async () => {
    const s = expectStatus(await f.get('/containerLogs/default/waiting/app', { cert: admin }), 400, 'BadRequest');
    expect(s['message']).toBe('container "app" in pod "waiting" is waiting to start: the pod is not placed in a member cluster yet');
  });

  it('names the member cluster when the member refuses (a mirror it does not have)', async () => {
    f.backend.mirrors.set('default/ghost', { cluster: 'member', client: f.member, namespace: 'default', name: 'no-such-mirror' });
    f.backend.pods.set('default/ghost', { ...f.backend.pods.get('default/web')!, metadata: { name: 'ghost', namespace: 'default', uid: 'g' } });
    const s = expectStatus(await f.get('/containerLogs/default/ghost/app', { cert: admin }), 404, 'NotFound');
    expect(s['message']).toMatch(/member cluster "member" \(mirror pod default\/no-such-mirror\)/);
  });

  it('refuses methods other than GET with 405', async () => {
    expectStatus(await f.get('/containerLogs/default/web/app', { cert: admin, method: 'DELETE' }), 405, 'MethodNotAllowed');
  });
});
