// The PodScheduled=False writer: a new reason is written at once, the same reasons with other node
// counts at most once per pause, and the latest message wins.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeClient } from '../../../kube/index.js';
import { silentLogger } from '../../../kube/index.js';
import { ConditionWriter } from '../../../colocation/scheduler/condition-writer.js';

afterEach(() => {
  vi.useRealTimers();
});

function recorder(): { client: KubeClient; messages: string[] } {
  const messages: string[] = [];
  // Only request() is used by the writer: a stand-in records what it would send.
  const client = {
    request: async (o: { body: { status: { conditions: Array<{ message: string }> } } }) => {
      messages.push(o.body.status.conditions[0]!.message);
      return { status: 200, headers: {}, body: '{}' };
    },
  } as unknown as KubeClient;
  return { client, messages };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('ConditionWriter', () => {
  it('rewrites a changed count only after the pause, a changed reason at once', async () => {
    vi.useFakeTimers();
    const { client, messages } = recorder();
    const w = new ConditionWriter(client, silentLogger, () => Date.now(), 2, 30_000);
    w.unschedulable('ns/p', 'ns', 'p', '0/12 nodes are available: 12 Insufficient cpu.');
    await settle();
    // Same reasons, other counts: waits for the pause; the latest such message is the one written.
    w.unschedulable('ns/p', 'ns', 'p', '0/12 nodes are available: 11 Insufficient cpu.');
    w.unschedulable('ns/p', 'ns', 'p', '0/12 nodes are available: 10 Insufficient cpu.');
    await settle();
    expect(messages).toEqual(['0/12 nodes are available: 12 Insufficient cpu.']);
    await vi.advanceTimersByTimeAsync(30_000);
    await settle();
    expect(messages).toEqual(['0/12 nodes are available: 12 Insufficient cpu.', '0/12 nodes are available: 10 Insufficient cpu.']);
    // A new reason is written at once.
    w.unschedulable('ns/p', 'ns', 'p', '0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable.');
    await settle();
    expect(messages.at(-1)).toBe('0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable.');
    expect(messages).toHaveLength(3);
    w.close();
  });

  it('forgets a pod that was bound: nothing deferred is written', async () => {
    vi.useFakeTimers();
    const { client, messages } = recorder();
    const w = new ConditionWriter(client, silentLogger, () => Date.now(), 2, 30_000);
    w.unschedulable('ns/p', 'ns', 'p', '0/2 nodes are available: 2 Insufficient cpu.');
    await settle();
    w.unschedulable('ns/p', 'ns', 'p', '0/2 nodes are available: 1 Insufficient cpu.');
    w.forget('ns/p');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(messages).toEqual(['0/2 nodes are available: 2 Insufficient cpu.']);
    w.close();
  });
});
