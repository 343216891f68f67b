// The virtual node's pod lifecycle against the sim: node registration, placement, mirrors, status,
// deletion with grace, completed pods, references and their collection, placement failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { eventsFor, getPod, mirrorsIn, startTopology, vnPod, type Topology } from './helpers.js';

let t: Topology;

beforeAll(async () => {
  t = await startTopology();
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

async function create(body: Record<string, unknown>, ns = 'default'): Promise<void> {
  await t.host.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, body });
}

async function findMirror(ns: string, name: string): Promise<{ cluster: string; mirror: Awaited<ReturnType<typeof mirrorsIn>>[number] } | undefined> {
  for (const m of ['east', 'west']) {
    const found = (await mirrorsIn(t.member(m), ns)).find((p) => p.metadata.annotations?.['tidepool.dev/origin-name'] === name);
    if (found) return { cluster: m, mirror: found };
  }
  return undefined;
}

describe('the virtual node', () => {
  it('registers a tainted, labelled Node whose capacity is the members\' idle capacity', async () => {
    type NodeView = { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { taints: unknown[] }; status: { allocatable: Record<string, string>; conditions: Array<{ type: string; status: string }>; daemonEndpoints: { kubeletEndpoint: { Port: number } } } };
    // Status follows the pool within a write or two: wait for the figures rather than race them.
    const node = await waitFor('the node with the pool\'s capacity', async () => {
      const n = await t.host.requestJson<NodeView>({ path: '/api/v1/nodes/tidepool' });
      return n.status.allocatable['cpu'] === '96' ? n : undefined;
    }, 15_000);
    expect(node.metadata.labels).toMatchObject({ type: 'virtual-kubelet', 'kubernetes.io/role': 'agent', 'tidepool.dev/virtual-node': 'true' });
    expect(node.spec.taints).toContainEqual({ key: 'virtual-kubelet.io/provider', value: 'tidepool', effect: 'NoSchedule' });
    expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBe(t.vn.kubeletApi.port);
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    // 2 members × 3 nodes × 16 CPU, nothing requested yet.
    expect(node.status.allocatable['cpu']).toBe('96');
    expect(node.status.allocatable['pods']).toBe('660');
    const slots = JSON.parse(node.metadata.annotations['tidepool.dev/largest-slot']!) as Array<{ cpu: string }>;
    expect(slots[0]!.cpu).toBe('16');
    const lease = await t.host.requestJson<{ spec: { holderIdentity: string } }>({ path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/tidepool' });
    expect(lease.spec.holderIdentity).toBe('tidepool');
  });

  it('runs a pod in a member: mirror from the allowlist, status back to the host', async () => {
    await create(vnPod('web-1', { labels: { app: 'web' } }));
    const running = await waitFor('web-1 Running on the host', async () => {
      const p = await getPod(t.host, 'default', 'web-1');
      return p?.status?.['phase'] === 'Running' ? p : undefined;
    }, 20_000);
    expect(running.spec['nodeName']).toBe('tidepool');
    expect(running.status?.['hostIP']).toBe('127.0.0.1');
    const found = await findMirror('default', 'web-1');
    expect(found).toBeDefined();
    const m = found!.mirror;
    expect(m.metadata.labels).toMatchObject({ app: 'web', 'tidepool.dev/managed-by': 'tidepool', 'tidepool.dev/origin-cluster': 'host' });
    expect(m.metadata.annotations).toMatchObject({ 'tidepool.dev/origin-namespace': 'default', 'tidepool.dev/origin-name': 'web-1', 'tidepool.dev/origin-uid': running.metadata.uid });
    // The virtual node's toleration, nodeName and the host's token volume never cross.
    expect(JSON.stringify(m.spec['tolerations'] ?? [])).not.toContain('virtual-kubelet.io/provider');
    expect(m.spec['nodeName']).not.toBe('tidepool');
    expect(JSON.stringify(m.spec['volumes'] ?? [])).not.toContain('kube-api-access');
    expect(t.vn.pods()!.placementOf('default', 'web-1')?.cluster).toBe(found!.cluster);
  });

  it('deletes the mirror with the pod\'s grace period, then finalises the host pod', async () => {
    await create(vnPod('web-2'));
    await waitFor('web-2 Running', async () => (await getPod(t.host, 'default', 'web-2'))?.status?.['phase'] === 'Running', 20_000);
    await t.host.request({ method: 'DELETE', path: '/api/v1/namespaces/default/pods/web-2', body: { gracePeriodSeconds: 5 } });
    await waitFor('web-2 gone from the host', async () => (await getPod(t.host, 'default', 'web-2')) === undefined, 20_000);
    expect(await findMirror('default', 'web-2')).toBeUndefined();
  });

  it('a pod that fits nowhere stays Pending with an Event naming the largest free slot', async () => {
    await create(vnPod('huge', { cpu: '40' }));
    const ev = await waitFor('a FailedPlacement event', async () => (await eventsFor(t.host, 'default', 'huge')).find((e) => e.reason === 'FailedPlacement'), 15_000);
    expect(ev.message).toMatch(/largest free slot 16 CPU < 40 CPU requested/);
    const p = await getPod(t.host, 'default', 'huge');
    expect(p?.status?.['phase']).toBe('Pending');
    expect(await findMirror('default', 'huge')).toBeUndefined();
  });

  it('a mirror deleted in the member fails its host pod with the reason', async () => {
    await create(vnPod('victim'));
    await waitFor('victim Running', async () => (await getPod(t.host, 'default', 'victim'))?.status?.['phase'] === 'Running', 20_000);
    const found = (await findMirror('default', 'victim'))!;
    await t.member(found.cluster).request({ method: 'DELETE', path: `/api/v1/namespaces/default/pods/${found.mirror.metadata.name}`, body: { gracePeriodSeconds: 0 } });
    const failed = await waitFor('victim Failed', async () => {
      const p = await getPod(t.host, 'default', 'victim');
      return p?.status?.['phase'] === 'Failed' ? p : undefined;
    }, 20_000);
    expect(failed.status?.['reason']).toBe('MirrorDeleted');
    // A failed pod stays failed: no new mirror.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await findMirror('default', 'victim')).toBeUndefined();
  });

  it('a completed pod stays completed and is never mirrored again', async () => {
    await create(vnPod('job-1', { annotations: { 'sim.tidepool.dev/duration': '1s' }, spec: { restartPolicy: 'Never' } }));
    await waitFor('job-1 Succeeded', async () => (await getPod(t.host, 'default', 'job-1'))?.status?.['phase'] === 'Succeeded', 20_000);
    const before = await findMirror('default', 'job-1');
    expect(before?.mirror.status?.['phase']).toBe('Succeeded');
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await getPod(t.host, 'default', 'job-1'))?.status?.['phase']).toBe('Succeeded');
    const mirrors = (await mirrorsIn(t.member(before!.cluster), 'default')).filter((p) => p.metadata.annotations?.['tidepool.dev/origin-name'] === 'job-1');
    expect(mirrors).toHaveLength(1);
  });

  it('syncs referenced ConfigMaps and Secrets into the member and collects them when unused', async () => {
    await t.host.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'refs' } } });
    await t.host.request({ method: 'POST', path: '/api/v1/namespaces/refs/configmaps', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config' }, data: { GREETING: 'hello' } } });
    await t.host.request({ method: 'POST', path: '/api/v1/namespaces/refs/configmaps', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unused' }, data: { X: '1' } } });
    await t.host.request({ method: 'POST', path: '/api/v1/namespaces/refs/secrets', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-secret' }, stringData: { password: 's3cret' } } });
    const pod = vnPod('reader');
    const spec = pod['spec'] as { containers: Array<Record<string, unknown>>; volumes?: unknown[] };
    spec.containers[0]!['envFrom'] = [{ configMapRef: { name: 'app-config' } }];
    spec.containers[0]!['volumeMounts'] = [{ name: 's', mountPath: '/etc/secret' }];
    spec.volumes = [{ name: 's', secret: { secretName: 'app-secret' } }];
    await create(pod, 'refs');
    await waitFor('reader Running', async () => (await getPod(t.host, 'refs', 'reader'))?.status?.['phase'] === 'Running', 20_000);
    const { cluster } = (await findMirror('refs', 'reader'))!;
    const m = t.member(cluster);
    const cm = await m.requestJson<{ data: Record<string, string>; metadata: { labels: Record<string, string> } }>({ path: '/api/v1/namespaces/refs/configmaps/app-config' });
    expect(cm.data).toEqual({ GREETING: 'hello' });
    expect(cm.metadata.labels['tidepool.dev/origin-cluster']).toBe('host');
    const secret = await m.requestJson<{ data: Record<string, string> }>({ path: '/api/v1/namespaces/refs/secrets/app-secret' });
    expect(Buffer.from(secret.data['password']!, 'base64').toString()).toBe('s3cret');
    // Nothing unreferenced is copied.
    await expect(m.request({ path: '/api/v1/namespaces/refs/configmaps/unused' })).rejects.toMatchObject({ code: 404 });
    // Kept up to date.
    await t.host.request({ method: 'PATCH', path: '/api/v1/namespaces/refs/configmaps/app-config', body: { data: { GREETING: 'bonjour' } }, contentType: 'application/merge-patch+json' });
    await waitFor('the copy to follow the host', async () => (await m.requestJson<{ data: Record<string, string> }>({ path: '/api/v1/namespaces/refs/configmaps/app-config' })).data['GREETING'] === 'bonjour', 10_000);
    // Unused once the pod goes.
    await t.host.request({ method: 'DELETE', path: '/api/v1/namespaces/refs/pods/reader', body: { gracePeriodSeconds: 0 } });
    await waitFor('the copies to be collected', async () => {
      const gone = async (p: string): Promise<boolean> => m.request({ path: p }).then(() => false, (e: { code?: number }) => e.code === 404);
      return (await gone('/api/v1/namespaces/refs/configmaps/app-config')) && (await gone('/api/v1/namespaces/refs/secrets/app-secret'));
    }, 20_000);
  });

  it('a DaemonSet pod is not mirrored: an Event says why', async () => {
    const pod = vnPod('ds-pod');
    (pod['metadata'] as Record<string, unknown>)['ownerReferences'] = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: '00000000-0000-0000-0000-000000000001', controller: true }];
    (pod['spec'] as Record<string, unknown>)['nodeName'] = 'tidepool';
    await create(pod);
    const ev = await waitFor('a DaemonSetPodNotMirrored event', async () => (await eventsFor(t.host, 'default', 'ds-pod')).find((e) => e.reason === 'DaemonSetPodNotMirrored'), 15_000);
    expect(ev.type).toBe('Warning');
    expect(await findMirror('default', 'ds-pod')).toBeUndefined();
  });
});

describe('host API access from a mirror', () => {
  it('a pod that mounts a service-account token gets a host token, the host CA and the host API address', async () => {
    const pod = vnPod('driver-with-token');
    const spec = pod['spec'] as { containers: Array<Record<string, unknown>>; volumes?: unknown[] };
    // What kube-apiserver's ServiceAccount admission adds to a pod.
    spec.volumes = [{ name: 'kube-api-access-x1y2z', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } }];
    spec.containers[0]!['volumeMounts'] = [{ name: 'kube-api-access-x1y2z', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }];
    const created = await t.host.requestJson<{ metadata: { uid: string } }>({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod });
    await waitFor('driver-with-token Running', async () => (await getPod(t.host, 'default', 'driver-with-token'))?.status?.['phase'] === 'Running', 20_000);
    const { cluster, mirror } = (await findMirror('default', 'driver-with-token'))!;
    const container = (mirror.spec['containers'] as Array<{ env?: Array<{ name: string; value?: string }>; volumeMounts?: Array<{ name: string; mountPath: string }> }>)[0]!;
    const hostUrl = new URL(t.host.server);
    expect(container.env).toContainEqual({ name: 'KUBERNETES_SERVICE_HOST', value: hostUrl.hostname });
    expect(container.env).toContainEqual({ name: 'KUBERNETES_SERVICE_PORT', value: hostUrl.port });
    const mount = container.volumeMounts!.find((m) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount')!;
    const volume = (mirror.spec['volumes'] as Array<{ name: string; secret?: { secretName: string } }>).find((v) => v.name === mount.name)!;
    const secret = await t.member(cluster).requestJson<{ data: Record<string, string> }>({ path: `/api/v1/namespaces/default/secrets/${volume.secret!.secretName}` });
    const token = Buffer.from(secret.data['token']!, 'base64').toString();
    expect(Buffer.from(secret.data['ca.crt']!, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    // The token is the host pod's identity in the host cluster.
    const review = await t.host.requestJson<{ status: { authenticated: boolean; user: { username: string; extra?: Record<string, string[]> } } }>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/tokenreviews',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    expect(review.status.authenticated).toBe(true);
    expect(review.status.user.username).toBe('system:serviceaccount:default:default');
    expect(JSON.stringify(review.status.user.extra ?? {})).toContain(created.metadata.uid);
  });
});
