// The virtual node when things go wrong or get big: a Spark-shaped app lands whole in one member,
// a member outage turns pods Unknown (nothing deleted) and Running again on return, a restart
// adopts mirrors without duplicates, bad pods get Events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVirtualNode } from '../../virtual-node/index.js';
import { waitFor } from '../helpers/wait.js';
import { eventsFor, getPod, mirrorsIn, quietLogger, startTopology, vnPod, type Topology } from './helpers.js';

let t: Topology;

beforeAll(async () => {
  t = await startTopology({ members: ['east', 'west', 'north'] });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

async function create(body: Record<string, unknown>, ns = 'default'): Promise<{ metadata: { uid: string } }> {
  return t.host.requestJson({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, body });
}

async function allMirrors(): Promise<Array<{ cluster: string; origin: string; uid: string; name: string }>> {
  const out: Array<{ cluster: string; origin: string; uid: string; name: string }> = [];
  for (const m of ['east', 'west', 'north']) {
    for (const p of await mirrorsIn(t.member(m))) {
      out.push({ cluster: m, origin: `${p.metadata.annotations?.['tidepool.dev/origin-namespace']}/${p.metadata.annotations?.['tidepool.dev/origin-name']}`, uid: p.metadata.annotations?.['tidepool.dev/origin-uid'] ?? '', name: p.metadata.name });
    }
  }
  return out;
}

describe('the virtual node under stress', () => {
  it('lands a Spark-shaped app (driver + 20 executors owned by it) whole in one member cluster', async () => {
    const app = 'spark-pi-0001';
    const driver = await create(vnPod('pi-driver', { cpu: '500m', labels: { 'spark-app-selector': app, 'spark-role': 'driver' } }));
    await waitFor('the driver to run', async () => (await getPod(t.host, 'default', 'pi-driver'))?.status?.['phase'] === 'Running', 20_000);
    const owner = [{ apiVersion: 'v1', kind: 'Pod', name: 'pi-driver', uid: driver.metadata.uid, controller: true }];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const pod = vnPod(`pi-exec-${i + 1}`, { cpu: '500m', labels: { 'spark-app-selector': app, 'spark-role': 'executor' } });
        (pod['metadata'] as Record<string, unknown>)['ownerReferences'] = owner;
        return create(pod);
      }),
    );
    await waitFor('all executors to run', async () => {
      const list = await t.host.requestJson<{ items: Array<{ status?: { phase?: string } }> }>({ path: '/api/v1/namespaces/default/pods', query: { labelSelector: `spark-app-selector=${app}` } });
      return list.items.length === 21 && list.items.every((p) => p.status?.phase === 'Running');
    }, 30_000);
    const mirrors = (await allMirrors()).filter((m) => m.origin.startsWith('default/pi-'));
    expect(mirrors).toHaveLength(21);
    expect(new Set(mirrors.map((m) => m.cluster)).size).toBe(1);
  });

  it('a member outage turns its pods Unknown, deletes nothing, and they run again when it returns', async () => {
    await create(vnPod('steady-1'));
    await waitFor('steady-1 Running', async () => (await getPod(t.host, 'default', 'steady-1'))?.status?.['phase'] === 'Running', 20_000);
    const cluster = t.vn.pods()!.placementOf('default', 'steady-1')!.cluster;
    const before = (await allMirrors()).filter((m) => m.cluster === cluster).length;
    await t.sim.cluster(cluster).outage(true);
    try {
      const unknown = await waitFor('steady-1 Unknown', async () => {
        const p = await getPod(t.host, 'default', 'steady-1');
        return p?.status?.['phase'] === 'Unknown' ? p : undefined;
      }, 20_000);
      const ready = (unknown.status?.['conditions'] as Array<{ type: string; status: string; reason?: string }>).find((c) => c.type === 'Ready');
      expect(ready).toMatchObject({ status: 'False', reason: 'MemberClusterUnreachable' });
      expect(await getPod(t.host, 'default', 'steady-1')).toBeDefined();
    } finally {
      await t.sim.cluster(cluster).outage(false);
    }
    await waitFor('steady-1 Running again', async () => (await getPod(t.host, 'default', 'steady-1'))?.status?.['phase'] === 'Running', 30_000);
    const ready = ((await getPod(t.host, 'default', 'steady-1'))!.status?.['conditions'] as Array<{ type: string; status: string }>).find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
    expect((await allMirrors()).filter((m) => m.cluster === cluster).length).toBe(before);
  });

  it('a restart mid-burst adopts every mirror: no duplicate, no orphan', async () => {
    const burst = Array.from({ length: 120 }, (_, i) => vnPod(`burst-${i}`, { cpu: '50m' }));
    const first = burst.slice(0, 60).map((p) => create(p));
    await Promise.all(first);
    await t.vn.stop();
    const second = burst.slice(60).map((p) => create(p));
    t.vn = await startVirtualNode({
      host: t.host,
      hostCluster: 'host',
      provider: t.fed,
      nodeName: 'tidepool',
      address: '127.0.0.1',
      kubelet: { listenHost: '127.0.0.1', port: 0 },
      leaderElection: false,
      memberUnreachableMs: 3_000,
      gcIntervalMs: 1_000,
      gcGraceMs: 1_000,
      logger: quietLogger,
    });
    await Promise.all(second);
    await waitFor('the whole burst Running', async () => {
      const list = await t.host.requestJson<{ items: Array<{ metadata: { name: string }; status?: { phase?: string } }> }>({ path: '/api/v1/namespaces/default/pods' });
      const b = list.items.filter((p) => p.metadata.name.startsWith('burst-'));
      return b.length === 120 && b.every((p) => p.status?.phase === 'Running');
    }, 60_000);
    const mirrors = (await allMirrors()).filter((m) => m.origin.startsWith('default/burst-'));
    expect(mirrors).toHaveLength(120);
    expect(new Set(mirrors.map((m) => m.origin)).size).toBe(120);
  });

  it('bad pods get an Event, not a crash, and the node keeps placing', async () => {
    await create(vnPod('pvc-user', { spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] } }));
    const ev = await waitFor('an UnsupportedVolume event', async () => (await eventsFor(t.host, 'default', 'pvc-user')).find((e) => e.reason === 'UnsupportedVolume'), 15_000);
    expect(ev.message).toMatch(/volume "data" of type persistentVolumeClaim/);
    // A pod whose mirror the member refuses (an annotation the member rejects is not possible on
    // a valid host pod; a missing reference is): it waits with an Event, as a kubelet would.
    const pod = vnPod('needs-config');
    ((pod['spec'] as Record<string, unknown>)['containers'] as Array<Record<string, unknown>>)[0]!['envFrom'] = [{ configMapRef: { name: 'not-there' } }];
    await create(pod);
    const mount = await waitFor('a FailedMount event', async () => (await eventsFor(t.host, 'default', 'needs-config')).find((e) => e.reason === 'FailedMount'), 15_000);
    expect(mount.message).toContain('ConfigMap default/not-there');
    // Invalid quantities and unknown fields never reach us: the host API refuses them.
    const bad = vnPod('bad-qty', { cpu: 'lots' });
    await expect(create(bad)).rejects.toMatchObject({ code: 400 });
    await create(vnPod('after-bad'));
    await waitFor('after-bad Running', async () => (await getPod(t.host, 'default', 'after-bad'))?.status?.['phase'] === 'Running', 20_000);
  });

  it('the whole story: every host pod has exactly one mirror and every mirror a host pod', async () => {
    await t.vn.pods()!.collectNow();
    const host = await t.host.requestJson<{ items: Array<{ metadata: { namespace: string; name: string; uid: string }; spec: { nodeName?: string }; status?: { phase?: string } }> }>({ path: '/api/v1/pods' });
    const onVn = host.items.filter((p) => p.spec.nodeName === 'tidepool');
    const mirrors = await allMirrors();
    const byOrigin = new Map<string, number>();
    for (const m of mirrors) byOrigin.set(m.uid, (byOrigin.get(m.uid) ?? 0) + 1);
    for (const [, n] of byOrigin) expect(n).toBe(1);
    const hostUids = new Set(onVn.map((p) => p.metadata.uid));
    for (const m of mirrors) expect(hostUids.has(m.uid), `mirror ${m.cluster}/${m.name} of ${m.origin}`).toBe(true);
  });
});
