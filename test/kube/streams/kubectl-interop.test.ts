// Real kubectl (1.32) against kube/streams servers, the way it will reach the virtual node:
// kubectl -> the host sim's API server (which passes the upgrade through, as kube-apiserver's
// upgrade-aware proxy does) -> a kubelet endpoint built on kube/streams. Port-forward goes to
// an echo service; exec is bridged (openExec + bridgeExec) to the pod's mirror in a member
// cluster, whose sim runs it in its built-in shell. Over kubectl's defaults (WebSocket) and
// plain SPDY/3.1: Go's spdystream on the other end of our framing, compression and windows.
import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, acceptExecUpgrade, acceptPortForwardUpgrade, bridgeExec, kubeletExecOptions, kubeletPortForwardPorts, openExec } from '../../../kube/index.js';
import { hasKubectl, Kubectl } from '../../helpers/kubectl.js';
import { waitFor } from '../../helpers/wait.js';
import { podManifest, registerKubeletNode, startTestSim, type TestSim } from '../../sim/e2e/helpers.js';
import { startStreamServer, type StreamServer } from './helpers.js';

let t: TestSim;
let kubelet: StreamServer;
let echo: Server;
let kubectl: Kubectl | undefined;
let member: KubeClient;
const bridges: Array<Promise<void>> = [];
const echoSockets = new Set<Socket>();
const subprotocols: string[] = [];

/** What the virtual node's kubelet API does for /exec/{ns}/{pod}/{container}: run it on the mirror. */
function bridgeToMember(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
  const container = decodeURIComponent(url.pathname.split('/')[4] ?? '');
  const { command, ...opts } = kubeletExecOptions(url.searchParams);
  bridges.push(
    (async () => {
      const server = await acceptExecUpgrade(req, socket, head, { ...opts, command });
      const mirror = await openExec(member, { namespace: 'default', pod: 'mirror', container, command, ...opts }).catch(async (err: Error) => {
        await server.end({ error: err.message });
        return undefined;
      });
      if (mirror) await bridgeExec(server, mirror);
    })().catch(() => undefined),
  );
}

function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const url = new URL(req.url ?? '/', 'https://x');
  if (url.pathname.startsWith('/exec/')) return bridgeToMember(req, socket, head, url);
  // The kubelet's query names ports `port` (the apiserver's `ports` become these).
  const ports = kubeletPortForwardPorts(url.searchParams);
  acceptPortForwardUpgrade(req, socket, head, ports).then(
    (session) => {
      subprotocols.push(session.subprotocol);
      session.onStream((s) => {
        const upstream = connect((echo.address() as AddressInfo).port, '127.0.0.1');
        s.data.pipe(upstream);
        upstream.pipe(s.data);
        upstream.on('error', () => s.data.destroy());
      });
    },
    () => undefined,
  );
}

beforeAll(async () => {
  echo = createServer((c) => {
    echoSockets.add(c);
    c.on('close', () => echoSockets.delete(c));
    c.on('data', (d: Buffer) => c.write(d.toString().toUpperCase()));
    c.on('end', () => c.end());
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  kubelet = await startStreamServer(onUpgrade);
  t = await startTestSim({ clusters: ['host', 'member'], nodes: 1, startDelayMs: 50 });
  member = new KubeClient({ config: { kind: 'inline', text: t.sim.kubeconfig, context: 'member' } });
  await member.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: podManifest('mirror') });
  await waitFor('the mirror to run', async () => (await member.requestJson<{ status?: { phase?: string } }>({ path: '/api/v1/namespaces/default/pods/mirror' })).status?.phase === 'Running');
  const kc = new KubeConfig();
  kc.loadFromString(t.sim.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await registerKubeletNode(core, 'virtual-node', Number(new URL(kubelet.url).port));
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('remote', { spec: { nodeName: 'virtual-node', schedulerName: 'none' } }) as V1Pod });
  // kubectl port-forward wants a Running pod; no kubelet runs this one, so say it is.
  const pod = await core.readNamespacedPod({ namespace: 'default', name: 'remote' });
  await core.replaceNamespacedPodStatus({ namespace: 'default', name: 'remote', body: { ...pod, status: { phase: 'Running', podIP: '10.0.0.9' } } });
  if (hasKubectl) kubectl = new Kubectl(t.sim.kubeconfig);
});

afterAll(async () => {
  kubectl?.cleanup();
  await Promise.all(bridges);
  member?.close();
  await t?.stop();
  await kubelet?.close();
  for (const c of echoSockets) c.destroy();
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
});

/** Runs `kubectl port-forward` until it says where it listens; the caller stops it. */
async function portForward(env: Record<string, string>): Promise<{ child: ChildProcess; localPort: number; output: () => string }> {
  const child = spawn('kubectl', ['--kubeconfig', kubectl!.kubeconfigPath, 'port-forward', 'pod/remote', ':8080', '--address', '127.0.0.1'], {
    env: { ...process.env, HOME: kubectl!.dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const localPort = await waitFor('kubectl to listen', () => {
    const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out);
    if (child.exitCode !== null) throw new Error(`kubectl exited: ${out}`);
    return m ? Number(m[1]) : undefined;
  }, 20_000);
  return { child, localPort, output: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await exited;
}

/** A TCP round trip through kubectl's local port: send, half-close, read to the end. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () => c.end(text));
    let got = '';
    c.on('data', (d: Buffer) => (got += d.toString()));
    c.on('end', () => resolve(got));
    c.on('error', reject);
    c.setTimeout(15_000, () => c.destroy(new Error(`no answer through port ${port}`)));
  });
}

describe.skipIf(!hasKubectl)('kubectl port-forward to a kube/streams server', () => {
  it.each([
    ['WebSocket-tunnelled SPDY (kubectl default)', {}, 'SPDY/3.1+portforward.k8s.io'],
    ['SPDY/3.1', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, 'portforward.k8s.io'],
  ])('carries connections over %s', async (_name, env, subprotocol) => {
    const before = subprotocols.length;
    const { child, localPort, output } = await portForward(env);
    try {
      expect(await roundTrip(localPort, 'hello through kubectl')).toBe('HELLO THROUGH KUBECTL');
      // A second connection on the same session, larger than one flow-control window.
      const big = 'x'.repeat(200 * 1024);
      expect(await roundTrip(localPort, big)).toBe(big.toUpperCase());
      expect(subprotocols.slice(before)).toEqual([subprotocol]);
      expect(output().match(/Handling connection for \d+/g)).toHaveLength(2);
    } finally {
      await stop(child);
    }
  });
});

describe.skipIf(!hasKubectl)('kubectl exec through a kube/streams kubelet bridged to a member cluster', () => {
  const spdy = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
  const run = (args: string[], env: Record<string, string>, input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn('kubectl', ['--kubeconfig', kubectl!.kubeconfigPath, '--context', 'host', ...args], { env: { ...process.env, HOME: kubectl!.dir, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin!.end(input ?? '');
    });

  it.each([
    ['WebSocket', {}],
    ['SPDY/3.1', spdy],
  ])('runs the command on the mirror over %s: output, stdin and exit code', async (_name, env) => {
    expect(await run(['exec', 'remote', '--', 'sh', '-c', 'echo on $HOSTNAME'], env)).toEqual({ code: 0, stdout: 'on mirror\n', stderr: '' });
    expect(await run(['exec', '-i', 'remote', '--', 'cat'], env, 'piped\n')).toMatchObject({ code: 0, stdout: 'piped\n' });
    const failed = await run(['exec', 'remote', '--', 'sh', '-c', 'nope; exit 5'], env);
    expect(failed.code).toBe(5);
    expect(failed.stderr).toContain('sh: nope: command not found');
  });
});
