// Leader election and the event recorder on a simulated API server, through the real client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type Sim } from '../../sim/index.js';
import { EventRecorder, KubeClient, LeaderElector, eventSinkFor, leaseClientFor } from '../../kube/index.js';
import { waitFor } from '../helpers/wait.js';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({ clusters: ['le', 'ev'], nodes: 0, scheduler: false });
});

afterAll(async () => {
  await sim?.stop();
});

const LEASE_MS = 1_500;
const RETRY_MS = 150;

interface Candidate {
  id: string;
  client: KubeClient;
  elector: LeaderElector;
  stop: AbortController;
  done: Promise<unknown>;
  leading: boolean;
}

describe('leader election on the sim', () => {
  it('lets exactly one of two candidates lead, and the other take over after the leader dies', async () => {
    const timeline: Array<{ at: number; id: string; what: 'start' | 'stop' }> = [];
    const overlaps: string[] = [];
    const candidates: Candidate[] = [];
    const spawn = (id: string): Candidate => {
      const client = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: 'le' }, timeoutMs: 1_000 });
      const cand = { id, client, stop: new AbortController(), leading: false } as Candidate;
      cand.elector = new LeaderElector({
        client: leaseClientFor(client),
        namespace: 'kube-system',
        name: 'tidepool-test',
        identity: id,
        leaseDurationMs: LEASE_MS,
        renewDeadlineMs: 1_000,
        retryPeriodMs: RETRY_MS,
        // A crash does not release the lease: the follower must wait it out.
        releaseOnCancel: false,
        callbacks: {
          onStartedLeading: () => {
            for (const other of candidates) if (other !== cand && other.leading) overlaps.push(`${id} started while ${other.id} led`);
            cand.leading = true;
            timeline.push({ at: Date.now(), id, what: 'start' });
          },
          onStoppedLeading: () => {
            cand.leading = false;
            timeline.push({ at: Date.now(), id, what: 'stop' });
          },
        },
      });
      cand.done = cand.elector.run(cand.stop.signal);
      candidates.push(cand);
      return cand;
    };
    const a = spawn('candidate-a');
    const b = spawn('candidate-b');
    try {
      await waitFor('a leader', () => a.leading || b.leading, 15_000, 20);
      // Watch a few renew periods: exactly one leads all along.
      const end = Date.now() + 1_000;
      while (Date.now() < end) {
        expect([a, b].filter((c) => c.leading)).toHaveLength(1);
        await new Promise((r) => setTimeout(r, 25));
      }
      const leader = a.leading ? a : b;
      const follower = leader === a ? b : a;
      expect(follower.elector.leader).toBe(leader.id);

      // The leader dies: it stops renewing, and its connections go.
      leader.stop.abort();
      await leader.done;
      const diedAt = Date.now();
      leader.client.close();
      await waitFor('the follower to take over', () => follower.leading, 10_000, 20);
      const tookOverAt = timeline.find((t) => t.id === follower.id && t.what === 'start')!.at;
      // Not before the lease could have expired, and soon after (a lease plus a few retry periods).
      expect(tookOverAt - diedAt).toBeLessThan(LEASE_MS + 4 * RETRY_MS + 500);
      expect(tookOverAt - diedAt).toBeGreaterThan(LEASE_MS - 1_000 - RETRY_MS);
      expect(overlaps).toEqual([]);

      const lease = sim
        .cluster('le')
        .api.parse(sim.cluster('le').api.get(sim.cluster('le').registry.lookup('coordination.k8s.io', 'v1', 'leases')!, 'kube-system', 'tidepool-test'));
      expect((lease['spec'] as { holderIdentity: string }).holderIdentity).toBe(follower.id);
      expect((lease['spec'] as { leaseTransitions: number }).leaseTransitions).toBeGreaterThanOrEqual(1);
    } finally {
      for (const c of candidates) c.stop.abort();
      await Promise.all(candidates.map((c) => c.done));
      for (const c of candidates) c.client.close();
    }
  });
});

describe('event recorder on the sim', () => {
  it('creates an Event, then aggregates repeats into its count', async () => {
    const client = new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: 'ev' } });
    const recorder = new EventRecorder({ sink: eventSinkFor(client), component: 'tidepool-test', host: 'here' });
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', uid: 'u1' } };
    try {
      recorder.record(pod, 'Warning', 'FailedPlacement', 'no member cluster fits');
      recorder.record(pod, 'Warning', 'FailedPlacement', 'no member cluster fits');
      recorder.record(pod, 'Warning', 'FailedPlacement', 'no member cluster fits');
      const events = () => [...sim.cluster('ev').store.values(sim.cluster('ev').registry.lookup('', 'v1', 'events')!.storageKey, 'default')].map((o) => JSON.parse(o.json) as Record<string, unknown>);
      await recorder.flush();
      await waitFor('one event with count 3', () => events().length === 1 && events()[0]!['count'] === 3, 10_000, 20);
      expect(recorder.stats.created).toBe(1);
      expect(recorder.stats.patched).toBe(2);
      const ev = events()[0]!;
      expect(ev['reason']).toBe('FailedPlacement');
      expect((ev['involvedObject'] as { name: string }).name).toBe('web-1');
    } finally {
      await recorder.close();
      client.close();
    }
  });
});
