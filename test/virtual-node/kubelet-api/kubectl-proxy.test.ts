// The whole path a user takes: kubectl → the host cluster's API server → the virtual node's
// kubelet endpoint (found in the Node's status, dialled with the apiserver's kubelet-client
// certificate) → the mirror pod in the member cluster. For logs the member's simulated node
// writes the lines; for exec the member proxies on to a stand-in kubelet.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, Kubectl } from '../../helpers/kubectl.js';
import { waitFor } from '../../helpers/wait.js';
import { NODE, registerNode, startFixture, type Fixture } from './fixture.js';
import { startStandInKubelet, type StandInKubelet } from './stand-in-kubelet.js';

let f: Fixture;
let kubelet: StandInKubelet;
let kubectl: Kubectl;

beforeAll(async () => {
  // Webhook authorization: the host sim's kubelet-client certificate (system:masters) passes its SubjectAccessReview.
  f = await startFixture();
  kubelet = await startStandInKubelet();
  await registerNode(f.host, NODE, f.api.port);
  await registerNode(f.member, 'member-kubelet', kubelet.port);
  await f.addPlacedPod('web');
  await f.addPlacedPod('shell', { memberNode: 'member-kubelet' });
  await f.addUnplacedPod('waiting');
  kubectl = new Kubectl(f.t.sim.kubeconfig);
});

afterAll(async () => {
  kubectl?.cleanup();
  await f?.stop();
  await kubelet?.close();
});

describe.skipIf(!hasKubectl)('kubectl through the host API server to the virtual node', () => {
  it("kubectl logs prints the mirror's log", async () => {
    const out = await kubectl.ok(['--context', 'host', 'logs', 'web', '--tail=1']);
    expect(out).toMatch(/^app default\/web-mirror line \d+: handled request ok\n$/);
  });

  it('kubectl logs -f streams until kubectl is stopped', async () => {
    // A bounded follow: kubectl is killed by its timeout after the lines have arrived.
    const r = await kubectl.run(['--context', 'host', 'logs', '-f', 'web', '--tail=0'], { timeoutMs: 2_600 });
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const l of lines) expect(l).toMatch(/^app default\/web-mirror line \d+: handled request ok$/);
  });

  it('kubectl logs of a pod not placed yet says so', async () => {
    const r = await kubectl.run(['--context', 'host', 'logs', 'waiting']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/container "app" in pod "waiting" is waiting to start: the pod is not placed in a member cluster yet/);
  });

  it('kubectl exec runs the command in the mirror and prints its output', async () => {
    const before = kubelet.seen.length;
    const r = await kubectl.run(['--context', 'host', 'exec', 'shell', '--', 'echo', 'hello', 'pool'], { timeoutMs: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello pool\n');
    expect(r.code).toBe(0);
    // The member's kubelet was asked for the mirror, with the command unchanged.
    const got = kubelet.seen.slice(before).find((s) => s.url.startsWith('/exec/'));
    const url = new URL(got!.url, 'https://x');
    expect(url.pathname).toBe('/exec/default/shell-mirror/app');
    expect(url.searchParams.getAll('command')).toEqual(['echo', 'hello', 'pool']);
  });

  it('kubectl exec -i sends stdin through to the mirror', async () => {
    const r = await kubectl.run(['--context', 'host', 'exec', '-i', 'shell', '--', 'cat'], { input: 'across clusters\n', timeoutMs: 20_000 });
    expect(r.stdout).toBe('across clusters\n');
    expect(r.code).toBe(0);
  });

  it("kubectl exec exits with the command's exit code", async () => {
    const r = await kubectl.run(['--context', 'host', 'exec', 'shell', '--', 'false'], { timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/exit code 3/);
  });

  it('closes the member connection when the stream ends', async () => {
    await waitFor('no open connection to the member kubelet', () => kubelet.sockets.size === 0);
  });
});
