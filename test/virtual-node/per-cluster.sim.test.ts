// The two levels: one virtual node per member beside the aggregate one, from one process; pods
// that target a member's node land there; hostNetwork goes only where a member allows it; a
// placement deadline fails a pod nobody can take.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { eventsFor, getPod, mirrorsIn, startTopology, vnPod, type Topology } from './helpers.js';

let t: Topology;

beforeAll(async () => {
  t = await startTopology({ vn: { perCluster: true, placementDeadlineMs: 2_000 }, policies: { west: { allowHostNetwork: true } } });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

async function create(body: Record<string, unknown>): Promise<void> {
  await t.host.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body });
}

async function clusterOf(name: string): Promise<string | undefined> {
  for (const m of ['east', 'west']) if ((await mirrorsIn(t.member(m), 'default')).some((p) => p.metadata.annotations?.['tidepool.dev/origin-name'] === name)) return m;
  return undefined;
}

describe('per-cluster virtual nodes', () => {
  it('registers the aggregate node and one per member, each with that member\'s capacity', async () => {
    type VNode = { metadata: { name: string; labels: Record<string, string> }; status: { allocatable: Record<string, string> } };
    // Status follows the pool within a write or two: wait for the figures rather than race them.
    const byName = await waitFor('the virtual nodes with their members\' capacity', async () => {
      const nodes = await t.host.requestJson<{ items: VNode[] }>({ path: '/api/v1/nodes', query: { labelSelector: 'type=virtual-kubelet' } });
      const m = new Map(nodes.items.map((n) => [n.metadata.name, n]));
      return m.size === 3 && m.get('tidepool-east')?.status.allocatable['cpu'] === '48' && m.get('tidepool')?.status.allocatable['cpu'] === '96' ? m : undefined;
    }, 15_000);
    expect([...byName.keys()].sort()).toEqual(['tidepool', 'tidepool-east', 'tidepool-west']);
    expect(byName.get('tidepool-east')!.metadata.labels['tidepool.dev/member-cluster']).toBe('east');
    expect(byName.get('tidepool-east')!.status.allocatable['cpu']).toBe('48');
    expect(byName.get('tidepool')!.status.allocatable['cpu']).toBe('96');
  });

  it('a pod that targets a member\'s node runs in that member', async () => {
    await create(vnPod('to-east', { spec: { nodeSelector: { 'kubernetes.io/hostname': 'tidepool-east' } } }));
    await create(vnPod('to-west', { spec: { nodeSelector: { 'tidepool.dev/member-cluster': 'west' } } }));
    for (const name of ['to-east', 'to-west']) await waitFor(`${name} Running`, async () => (await getPod(t.host, 'default', name))?.status?.['phase'] === 'Running', 20_000);
    expect((await getPod(t.host, 'default', 'to-east'))!.spec['nodeName']).toBe('tidepool-east');
    expect(await clusterOf('to-east')).toBe('east');
    expect(await clusterOf('to-west')).toBe('west');
  });

  it('hostNetwork pods go only to a member whose policy allows it', async () => {
    for (let i = 0; i < 4; i++) await create(vnPod(`hostnet-${i}`, { spec: { hostNetwork: true } }));
    for (let i = 0; i < 4; i++) await waitFor(`hostnet-${i} Running`, async () => (await getPod(t.host, 'default', `hostnet-${i}`))?.status?.['phase'] === 'Running', 20_000);
    for (let i = 0; i < 4; i++) expect(await clusterOf(`hostnet-${i}`)).toBe('west');
    await create(vnPod('hostnet-east', { spec: { hostNetwork: true, nodeSelector: { 'kubernetes.io/hostname': 'tidepool-east' } } }));
    const ev = await waitFor('a HostNetworkNotAllowed event', async () => (await eventsFor(t.host, 'default', 'hostnet-east')).find((e) => e.reason === 'HostNetworkNotAllowed'), 15_000);
    expect(ev.message).toContain('allowHostNetwork');
  });

  it('a pod no member can take fails after the placement deadline', async () => {
    // 30 CPU fits the virtual nodes' totals (48 and 96) but no member node (16 each).
    await create(vnPod('never-fits', { cpu: '30' }));
    const failed = await waitFor('never-fits Failed', async () => {
      const p = await getPod(t.host, 'default', 'never-fits');
      return p?.status?.['phase'] === 'Failed' ? p : undefined;
    }, 30_000);
    expect(failed.status?.['reason']).toBe('PlacementDeadlineExceeded');
    expect(String(failed.status?.['message'])).toMatch(/largest free slot 16 CPU < 30 CPU requested/);
  });
});
