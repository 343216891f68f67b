// The node controller with an in-memory pool provider (the provider is one narrow interface):
// small moves of the pool cost no write, a big move or a Ready flip does, the Lease heartbeats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolCapacity, PoolProvider } from '../../federation/index.js';
import { NodeController, virtualNodeMetrics } from '../../virtual-node/index.js';
import { startSim, type Sim } from '../../sim/index.js';
import { waitFor } from '../helpers/wait.js';
import { clientFor } from './helpers.js';
import type { KubeClient } from '../../kube/index.js';

class MemoryPool implements PoolProvider {
  cap: PoolCapacity = {
    members: [{ name: 'east', ready: true, allowHostNetwork: false }],
    cpu: 10_000,
    memory: 10 * 2 ** 30,
    pods: 100,
    ephemeralStorage: 2 ** 34,
    batchCpu: 4_000,
    batchMemory: 2 ** 32,
    largestSlots: [{ cluster: 'east', node: 'east-node-0', cpu: 4_000, memory: 2 ** 33 }],
  };
  private readonly listeners = new Set<() => void>();
  memberNames(): string[] {
    return this.cap.members.map((m) => m.name);
  }
  members(): PoolCapacity['members'] {
    return this.cap.members;
  }
  memberClient(): KubeClient | undefined {
    return undefined;
  }
  place(): never {
    throw new Error('not used');
  }
  forget(): void {}
  capacity(): PoolCapacity {
    return this.cap;
  }
  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  set(patch: Partial<PoolCapacity>): void {
    this.cap = { ...this.cap, ...patch };
    for (const l of this.listeners) l();
  }
}

let sim: Sim;
let host: KubeClient;

beforeAll(async () => {
  sim = await startSim({ clusters: ['host'], nodes: 0 });
  host = clientFor(sim, 'host');
});

afterAll(async () => {
  host?.close();
  await sim?.stop();
});

type NodeView = { status: { allocatable: Record<string, string>; conditions: Array<{ type: string; status: string; reason: string; message: string }> } };

describe('the node controller', () => {
  it('writes status on real change only, and heartbeats its Lease', async () => {
    const pool = new MemoryPool();
    const metrics = virtualNodeMetrics();
    const nc = new NodeController({ host, identity: { name: 'vn-test', address: '127.0.0.1', kubeletPort: 10250, version: 'v1.32.0' }, provider: pool, metrics, leaseIntervalMs: 200, minWriteIntervalMs: 300 });
    await nc.start();
    try {
      const writes = async (): Promise<number> => (await metrics.nodeStatusWrites.get()).values.reduce((s, v) => s + v.value, 0);
      expect(await writes()).toBe(1);
      // Pod-by-pod churn of a few percent: no write.
      for (let i = 0; i < 20; i++) {
        pool.set({ cpu: 10_000 - (i % 3) * 100 });
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 1_200));
      expect(await writes()).toBe(1);
      // Half the pool gone: written (after the minimum pause), and visible on the Node.
      pool.set({ cpu: 5_000 });
      await waitFor('the new figure on the Node', async () => (await host.requestJson<NodeView>({ path: '/api/v1/nodes/vn-test' })).status.allocatable['cpu'] === '5', 5_000);
      expect(await writes()).toBe(2);
      // No member ready: Ready=False with the reason.
      pool.set({ members: [{ name: 'east', ready: false, reason: 'Unreachable', message: 'no answer within 30s', allowHostNetwork: false }] });
      const ready = await waitFor('Ready=False', async () => {
        const c = (await host.requestJson<NodeView>({ path: '/api/v1/nodes/vn-test' })).status.conditions.find((x) => x.type === 'Ready');
        return c?.status === 'False' ? c : undefined;
      }, 5_000);
      expect(ready.reason).toBe('NoMemberClusterReady');
      expect(ready.message).toContain('east: no answer within 30s');
      // The Lease is renewed on its own period.
      const renewals = async (): Promise<number> => (await metrics.leaseRenewals.get()).values.reduce((s, v) => s + v.value, 0);
      const before = await renewals();
      await waitFor('two more Lease renewals', async () => (await renewals()) >= before + 2, 5_000);
    } finally {
      await nc.stop();
    }
  });

  it('refreshes the largest-slot annotation with a steady periodic write only when it is old, and at once with a real move', async () => {
    const pool = new MemoryPool();
    const nc = new NodeController({ host, identity: { name: 'vn-slot', address: '127.0.0.1', kubeletPort: 10250, version: 'v1.32.0' }, provider: pool, leaseIntervalMs: 60_000, statusIntervalMs: 200, minWriteIntervalMs: 100, slotIntervalMs: 1_500 });
    type Annotated = { metadata: { annotations: Record<string, string> }; status: { allocatable: Record<string, string> } };
    const node = (): Promise<Annotated> => host.requestJson<Annotated>({ path: '/api/v1/nodes/vn-slot' });
    const slotNode = async (): Promise<string> => (JSON.parse((await node()).metadata.annotations['tidepool.dev/largest-slot']!) as Array<{ node: string }>)[0]!.node;
    await nc.start();
    try {
      expect(await slotNode()).toBe('east-node-0');
      // Another node becomes the largest, same size: the periodic writes (every 200 ms) leave the
      // annotation until 1.5 s after it was written.
      const changedAt = Date.now();
      pool.set({ largestSlots: [{ cluster: 'east', node: 'east-node-1', cpu: 4_000, memory: 2 ** 33 }] });
      await new Promise((r) => setTimeout(r, 700));
      expect(await slotNode()).toBe('east-node-0');
      await waitFor('the annotation refreshed', async () => (await slotNode()) === 'east-node-1', 5_000, 100);
      expect(Date.now() - changedAt).toBeGreaterThanOrEqual(700);
      // A real move of the figures brings the slot along at once.
      pool.set({ cpu: 2_000, largestSlots: [{ cluster: 'east', node: 'east-node-2', cpu: 2_000, memory: 2 ** 33 }] });
      const seen = await waitFor('the new figure on the Node', async () => {
        const n = await node();
        return n.status.allocatable['cpu'] === '2' ? n : undefined;
      }, 5_000, 50);
      expect((JSON.parse(seen.metadata.annotations['tidepool.dev/largest-slot']!) as Array<{ node: string }>)[0]!.node).toBe('east-node-2');
    } finally {
      await nc.stop();
    }
  });
});
