// exec and attach on pods of simulated nodes: the sim answers them itself with its built-in
// container shell, to real kubectl over WebSocket (its default) and SPDY/3.1, and to
// kube/streams' openExec (what the virtual node uses toward member clusters) over both.
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient, openExec, type ClientExecSession, type ExecTarget } from '../../../kube/index.js';
import { DURATION_ANNOTATION } from '../../../sim/index.js';
import { hasKubectl, Kubectl, type KubectlResult } from '../../helpers/kubectl.js';
import { readAll } from '../../kube/streams/helpers.js';
import { podManifest, startTestSim, waitFor, type TestSim } from './helpers.js';

let t: TestSim;
let core: CoreV1Api;
let client: KubeClient;
let kubectl: Kubectl | undefined;

const webSpec = {
  containers: [
    {
      name: 'app',
      image: 'nginx:1.27',
      envFrom: [{ configMapRef: { name: 'settings' } }, { secretRef: { name: 'creds' }, prefix: 'CREDS_' }],
      env: [
        { name: 'GREETING', value: 'hello' },
        { name: 'GREETING_TO', value: '$(GREETING) world' },
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'level' } } },
        { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ],
      volumeMounts: [
        { name: 'config', mountPath: '/etc/config' },
        { name: 'secret', mountPath: '/etc/secret', readOnly: true },
        { name: 'one', mountPath: '/etc/app.conf', subPath: 'app.conf' },
      ],
    },
  ],
  volumes: [
    { name: 'config', configMap: { name: 'settings', items: [{ key: 'app.conf', path: 'conf/app.conf' }] } },
    { name: 'secret', secret: { secretName: 'creds' } },
    { name: 'one', configMap: { name: 'settings' } },
  ],
};

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host'], nodes: 1, startDelayMs: 50 });
  const kc = new KubeConfig();
  kc.loadFromString(t.sim.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'settings' }, data: { COLOR: 'blue', level: 'debug', 'app.conf': 'listen=8080\n' } } });
  await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'creds' }, data: { password: Buffer.from('s3cr3t').toString('base64'), user: Buffer.from('admin').toString('base64') } } });
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('web', { spec: webSpec }) as V1Pod });
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('done', { annotations: { [DURATION_ANNOTATION]: '1s' } }) as V1Pod });
  await core.createNamespacedPod({ namespace: 'default', body: podManifest('unbound', { spec: { schedulerName: 'none' } }) as V1Pod });
  await waitFor('pod web running', async () => (await core.readNamespacedPod({ namespace: 'default', name: 'web' })).status?.phase === 'Running');
  await waitFor('pod done to finish', async () => (await core.readNamespacedPod({ namespace: 'default', name: 'done' })).status?.phase === 'Succeeded', 20_000);
  client = new KubeClient({ config: { kind: 'inline', text: t.sim.kubeconfig } });
  if (hasKubectl) kubectl = new Kubectl(t.sim.kubeconfig);
});

afterAll(async () => {
  kubectl?.cleanup();
  client?.close();
  await t?.stop();
});

/** kubectl forced onto SPDY/3.1 (its fallback transport), -v=7 so the request headers show which was used. */
function kubectlSpdy(args: string[], opts: { input?: string } = {}): Promise<KubectlResult> {
  process.env['KUBECTL_REMOTE_COMMAND_WEBSOCKETS'] = 'false';
  try {
    return kubectl!.run(['-v=7', ...args], { timeoutMs: 20_000, ...opts });
  } finally {
    delete process.env['KUBECTL_REMOTE_COMMAND_WEBSOCKETS'];
  }
}

describe.skipIf(!hasKubectl)('kubectl exec into a simulated container', () => {
  const run = (args: string[], input?: string): Promise<KubectlResult> => kubectl!.run(args, { timeoutMs: 20_000, ...(input !== undefined ? { input } : {}) });

  it('prints what echo prints', async () => {
    expect(await run(['exec', 'web', '--', 'echo', 'hi'])).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
  });

  it('echoes stdin with exec -i ... cat', async () => {
    expect(await run(['exec', '-i', 'web', '--', 'cat'], 'line one\nline two\n')).toEqual({ code: 0, stdout: 'line one\nline two\n', stderr: '' });
  });

  it("shows the container's environment, ConfigMap and Secret values resolved", async () => {
    const r = await run(['exec', 'web', '--', 'env']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'HOSTNAME=web',
        'COLOR=blue',
        'level=debug',
        'CREDS_password=s3cr3t',
        'CREDS_user=admin',
        'GREETING=hello',
        'GREETING_TO=hello world',
        'DB_PASSWORD=s3cr3t',
        'LOG_LEVEL=debug',
        'MY_POD=web',
        'KUBERNETES_SERVICE_PORT=443',
      ]),
    );
    expect(lines.some((l) => /^KUBERNETES_SERVICE_HOST=\d+\.\d+\.\d+\.\d+$/.test(l))).toBe(true);
  });

  it('reads mounted ConfigMap and Secret keys (items paths, subPath, base64 decoded)', async () => {
    expect((await run(['exec', 'web', '--', 'cat', '/etc/config/conf/app.conf'])).stdout).toBe('listen=8080\n');
    expect((await run(['exec', 'web', '--', 'cat', '/etc/secret/password'])).stdout).toBe('s3cr3t');
    expect((await run(['exec', 'web', '--', 'cat', '/etc/app.conf'])).stdout).toBe('listen=8080\n');
    const missing = await run(['exec', 'web', '--', 'cat', '/etc/config/app.conf']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cat: /etc/config/app.conf: No such file or directory');
  });

  it("exits with the command's exit code", async () => {
    const r = await run(['exec', 'web', '--', 'sh', '-c', 'exit 3']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('command terminated with exit code 3\n');
  });

  it('exits 127 for a command the container does not have', async () => {
    const r = await run(['exec', 'web', '--', 'nmap', '-sS']);
    expect(r.code).toBe(127);
    expect(r.stderr).toBe('sh: nmap: command not found\ncommand terminated with exit code 127\n');
  });

  it('runs what users type after sh -c', async () => {
    const r = await run(['exec', 'web', '--', 'sh', '-c', 'echo "$GREETING from $(hostname)"; printenv LOG_LEVEL']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('command substitution $(...) is not supported');
    const ok = await run(['exec', 'web', '--', 'sh', '-c', 'echo "$GREETING from $HOSTNAME" && printenv LOG_LEVEL']);
    expect(ok).toEqual({ code: 0, stdout: 'hello from web\ndebug\n', stderr: '' });
  });

  it('reads commands from stdin with exec -i ... sh', async () => {
    const r = await run(['exec', '-i', 'web', '--', 'sh'], 'echo $COLOR\nexit 4\n');
    expect(r.stdout).toBe('blue\n');
    expect(r.code).toBe(4);
  });

  it('attach -i behaves like a container running cat', async () => {
    const r = await run(['attach', '-i', 'web'], 'typed\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('typed\n');
  });

  it('gives kube errors for a pod that is not running, not bound, or a container it does not have', async () => {
    const done = await run(['exec', 'done', '--', 'echo', 'hi']);
    expect(done.code).toBe(1);
    expect(done.stderr).toContain('cannot exec into a container in a completed pod; current phase is Succeeded');
    const unbound = await run(['exec', 'unbound', '--', 'echo', 'hi']);
    expect(unbound.code).toBe(1);
    expect(unbound.stderr).toContain('pod unbound does not have a host assigned');
    const nope = await run(['exec', 'web', '-c', 'sidecar', '--', 'echo', 'hi']);
    expect(nope.stderr).toContain('container sidecar is not valid for pod web');
  });

  describe('over SPDY/3.1', () => {
    it('prints what echo prints', async () => {
      const r = await kubectlSpdy(['exec', 'web', '--', 'echo', 'hi']);
      expect(r.stderr).toContain('X-Stream-Protocol-Version: v4.channel.k8s.io');
      expect(r.stderr).toContain('Response Status: 101 Switching Protocols');
      expect(r.stdout).toBe('hi\n');
      expect(r.code).toBe(0);
    });

    it('echoes stdin', async () => {
      const r = await kubectlSpdy(['exec', '-i', 'web', '--', 'cat'], { input: 'over spdy\n' });
      expect(r.stdout).toBe('over spdy\n');
      expect(r.code).toBe(0);
    });

    it("exits with the command's exit code", async () => {
      const r = await kubectlSpdy(['exec', 'web', '--', 'sh', '-c', 'echo out; nope; exit 3']);
      expect(r.stdout).toBe('out\n');
      expect(r.stderr).toContain('sh: nope: command not found');
      expect(r.stderr).toContain('command terminated with exit code 3');
      expect(r.code).toBe(3);
    });
  });
});

describe.each(['websocket', 'spdy'] as const)("kube/streams' openExec against the sim over %s", (protocol) => {
  const sessions: ClientExecSession[] = [];
  afterAll(async () => {
    for (const s of sessions) {
      s.close();
      await s.closed;
    }
  });
  const open = async (target: Partial<ExecTarget>, subresource: 'exec' | 'attach' = 'exec'): Promise<ClientExecSession> => {
    const s = await openExec(client, { namespace: 'default', pod: 'web', stdin: false, stdout: true, stderr: true, tty: false, ...target }, { protocols: [protocol], subresource });
    sessions.push(s);
    return s;
  };

  it('runs a command and returns its output and exit code', async () => {
    const s = await open({ command: ['sh', '-c', 'echo $COLOR; echo warn >&2 || true; exit 4'] });
    expect(s.protocol).toBe(protocol);
    const [out, err, result] = await Promise.all([readAll(s.stdout), readAll(s.stderr), s.result]);
    expect(out).toBe('');
    expect(err).toContain('redirections');
    expect(result).toEqual({ exitCode: 2, message: 'command terminated with non-zero exit code: error executing command [sh -c echo $COLOR; echo warn >&2 || true; exit 4], exit code 2' });
    const ok = await open({ command: ['sh', '-c', 'echo $COLOR; exit 4'] });
    expect(await readAll(ok.stdout)).toBe('blue\n');
    expect(await ok.result).toMatchObject({ exitCode: 4 });
  });

  it('attaches with stdin as a container running cat', async () => {
    const s = await open({ stdin: true, stderr: false }, 'attach');
    s.stdin!.end('attached\n');
    expect(await readAll(s.stdout)).toBe('attached\n');
    expect(await s.result).toEqual({ exitCode: 0 });
  });

  it('runs an interactive shell on a terminal', async () => {
    const s = await open({ command: ['sh'], stdin: true, tty: true });
    let text = '';
    s.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    s.resize(80, 24);
    s.stdin!.write('echo $MY_POD\r');
    // The prompt, the terminal's echo of the line, then its output (newlines as CR LF on a terminal).
    await waitFor('the output', () => text === '/ # echo $MY_POD\r\nweb\r\n/ # ');
    s.stdin!.write('exit 9\r');
    expect(await s.result).toMatchObject({ exitCode: 9 });
    expect(text).toBe('/ # echo $MY_POD\r\nweb\r\n/ # exit 9\r\n');
  });

  it('attaches without stdin until the pod stops', async () => {
    const name = `attached-${protocol}`;
    await core.createNamespacedPod({ namespace: 'default', body: podManifest(name) as V1Pod });
    await waitFor(`pod ${name} running`, async () => (await core.readNamespacedPod({ namespace: 'default', name })).status?.phase === 'Running');
    const s = await openExec(client, { namespace: 'default', pod: name, stdin: false, stdout: true, stderr: false, tty: false }, { protocols: [protocol], subresource: 'attach' });
    sessions.push(s);
    const out = readAll(s.stdout);
    await core.deleteNamespacedPod({ namespace: 'default', name, gracePeriodSeconds: 0 });
    expect(await s.result).toEqual({ exitCode: 0 });
    expect(await out).toBe('');
  });

  it("rejects with the server's Status for a pod that cannot be exec'd into", async () => {
    const err = await openExec(client, { namespace: 'default', pod: 'done', command: ['true'], stdin: false, stdout: true, stderr: false, tty: false }, { protocols: [protocol] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(400);
    expect((err as KubeApiError).message).toContain('cannot exec into a container in a completed pod; current phase is Succeeded');
    const none = await openExec(client, { namespace: 'default', pod: 'ghost', command: ['true'], stdin: false, stdout: true, stderr: false, tty: false }, { protocols: [protocol] }).catch((e: unknown) => e);
    expect((none as KubeApiError).code).toBe(404);
  });
});

describe('exec into a pod whose container has not started', () => {
  let slow: TestSim;
  beforeAll(async () => {
    slow = await startTestSim({ clusters: ['host'], nodes: 1, startDelayMs: 600_000 });
    const kc = new KubeConfig();
    kc.loadFromString(slow.sim.kubeconfig);
    const api = kc.makeApiClient(CoreV1Api);
    await api.createNamespacedPod({ namespace: 'default', body: podManifest('starting') as V1Pod });
    await waitFor('pod starting to be bound', async () => (await api.readNamespacedPod({ namespace: 'default', name: 'starting' })).spec?.nodeName);
  });
  afterAll(async () => {
    await slow?.stop();
  });

  it("answers with the kubelet's container not found", async () => {
    const c = new KubeClient({ config: { kind: 'inline', text: slow.sim.kubeconfig } });
    try {
      const err = await openExec(c, { namespace: 'default', pod: 'starting', command: ['true'], stdin: false, stdout: true, stderr: false, tty: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).code).toBe(400);
      expect((err as KubeApiError).message).toContain('container not found ("app")');
    } finally {
      c.close();
    }
  });
});
