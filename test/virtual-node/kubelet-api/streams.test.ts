// exec, attach and port-forward on the virtual node's kubelet API, spoken to directly as
// kube-apiserver speaks to a kubelet (SPDY/3.1 upgrade, kubelet parameter names): each becomes
// the member's pods/{exec,attach,portforward} of the mirror, and the member's kubelet (a
// stand-in here) gets the mirror's kubelet path, with the stream piped both ways.

import { request, type RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateKeyPair } from '../../../kube/index.js';
import { waitFor } from '../../helpers/wait.js';
import { expectStatus, readResponse, type RawResponse } from '../../sim/e2e/helpers.js';
import { metricValue, registerNode, startFixture, type Fixture } from './fixture.js';
import { startStandInKubelet, type StandInKubelet } from './stand-in-kubelet.js';

let f: Fixture;
let kubelet: StandInKubelet;
let apiserver: CertificateKeyPair;

beforeAll(async () => {
  f = await startFixture();
  kubelet = await startStandInKubelet();
  await registerNode(f.member, 'member-kubelet', kubelet.port);
  await f.addPlacedPod('shell', { memberNode: 'member-kubelet' });
  await f.addUnplacedPod('waiting');
  apiserver = f.clientCa.issue({ commonName: 'kube-apiserver-kubelet-client', organization: ['system:masters'], usage: 'client' });
});

afterAll(async () => {
  await f?.stop();
  await kubelet?.close();
});

interface Upgraded {
  response: RawResponse;
  socket?: Socket;
}

/** An upgrade request as kube-apiserver sends it to a kubelet (SPDY/3.1 unless told). */
function upgrade(method: string, path: string, opts: { cert?: CertificateKeyPair | null } = {}): Promise<Upgraded> {
  const cert = opts.cert === undefined ? apiserver : opts.cert;
  const options: RequestOptions = {
    host: '127.0.0.1',
    port: f.api.port,
    method,
    path,
    ca: f.api.certPem,
    agent: false,
    timeout: 10_000,
    ...(cert ? { cert: cert.cert, key: cert.key } : {}),
    headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' },
  };
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => readResponse(res).then((response) => resolve({ response }), reject));
    req.on('upgrade', (res, socket: Socket) => resolve({ response: { status: res.statusCode ?? 0, headers: res.headers, body: '', json: undefined }, socket }));
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function echo(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) resolve(got);
    });
    socket.on('error', reject);
    socket.write(text);
    setTimeout(() => reject(new Error(`no echo, got ${JSON.stringify(got)}`)), 8_000).unref();
  });
}

describe('exec, attach and port-forward', () => {
  // What crosses inside the streams (stdin, output, exit codes, SPDY from the apiserver bridged to
  // whichever protocol the member answers) is tested with real shells in test/virtual-node/cli.e2e.test.ts.
  it("switches a SPDY/3.1 exec and opens the mirror's exec on the member", async () => {
    const before = kubelet.seen.length;
    const { response, socket } = await upgrade('POST', '/exec/default/shell/app?command=sh&command=-c&command=true&input=1&output=1&tty=1');
    expect(response.status).toBe(101);
    expect(response.headers['upgrade']).toBe('SPDY/3.1');
    expect(response.headers['x-stream-protocol-version']).toBe('v4.channel.k8s.io');
    socket!.destroy();
    await waitFor('the stream to end on both sides', async () => kubelet.sockets.size === 0 && (await metricValue(f.registry, 'tidepool_virtual_node_kubelet_open_streams', { endpoint: 'exec' })) === 0);

    const got = kubelet.seen.slice(before).at(-1)!;
    // The member is opened as kubectl opens it: WebSocket v5 first (a GET), whatever the caller spoke.
    expect(got.method).toBe('GET');
    const url = new URL(got.url, 'https://x');
    expect(url.pathname).toBe('/exec/default/shell-mirror/app');
    expect(url.searchParams.getAll('command')).toEqual(['sh', '-c', 'true']);
    expect(Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'command'))).toEqual({ input: '1', output: '1', tty: '1' });
  });

  it("attach and portForward reach the mirror's /attach and /portForward", async () => {
    const before = kubelet.seen.length;
    const a = await upgrade('POST', '/attach/default/shell/app?output=1&error=1');
    expect(a.response.status).toBe(101);
    a.socket!.destroy();
    const p = await upgrade('POST', '/portForward/default/shell?port=8080&port=9090');
    expect(p.response.status).toBe(101);
    p.socket!.destroy();
    expect(kubelet.seen.slice(before).map((s) => s.url)).toEqual(['/attach/default/shell-mirror/app?output=1&error=1', '/portForward/default/shell-mirror?port=8080&port=9090']);
  });

  it("accepts the uid form of the path only with the host pod's uid", async () => {
    const uid = f.backend.pods.get('default/shell')!.metadata!.uid!;
    const ok = await upgrade('POST', `/exec/default/shell/${uid}/app?command=true&output=1`);
    expect(ok.response.status).toBe(101);
    ok.socket!.destroy();
    expectStatus((await upgrade('POST', '/exec/default/shell/not-the-uid/app?command=true&output=1')).response, 404, 'NotFound');
  });

  it('refuses an upgrade without credentials, before anything reaches the member', async () => {
    const before = kubelet.seen.length;
    const { response, socket } = await upgrade('POST', '/exec/default/shell/app?command=true&output=1', { cert: null });
    expect(socket).toBeUndefined();
    expectStatus(response, 401, 'Unauthorized');
    expect(kubelet.seen.length).toBe(before);
  });

  it('answers a pod that is not placed yet with a 400 Status on the upgrade request', async () => {
    const { response } = await upgrade('POST', '/exec/default/waiting/app?command=true&output=1');
    expect(String(expectStatus(response, 400, 'BadRequest')['message'])).toMatch(/not placed in a member cluster yet/);
  });

  it("passes the member's refusal through (a container the mirror does not have)", async () => {
    f.backend.pods.set('default/odd', { ...f.backend.pods.get('default/shell')!, metadata: { name: 'odd', namespace: 'default', uid: 'odd' }, spec: { nodeName: 'vn', containers: [{ name: 'other' }] } });
    f.backend.mirrors.set('default/odd', { ...f.backend.mirrors.get('default/shell')! });
    try {
      const { response, socket } = await upgrade('POST', '/exec/default/odd/other?command=true&output=1');
      expect(socket).toBeUndefined();
      expect(response.status).toBe(400);
      expect(String(response.json?.['message'])).toMatch(/container other is not valid for pod shell-mirror/);
    } finally {
      f.backend.pods.delete('default/odd');
      f.backend.mirrors.delete('default/odd');
    }
  });
});
