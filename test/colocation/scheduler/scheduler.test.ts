// The scheduling and binding cycles through the Scheduler's public event handlers, with a
// recording binder and a manual clock (the sim tests cover the same with a real API server).
import { describe, expect, it } from 'vitest';
import { projectSchedPod } from '../../../colocation/scheduler/pod-info.js';
import { drain, harness, node, pod, rawPod, settle, type Harness } from './fixtures.js';

const GiB = 2 ** 30;
const BATCH_CPU = 'kubernetes.io/batch-cpu';

function nodes(h: Harness, n: number, o: Parameters<typeof node>[1] = {}, prefix = 'n'): void {
  for (let i = 0; i < n; i++) h.scheduler.onNodeAdd(node(`${prefix}${i}`, o));
}

function boundCount(h: Harness): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of h.binder.bound.values()) out.set(n, (out.get(n) ?? 0) + 1);
  return out;
}

describe('scheduler: placing pods', () => {
  it('binds pending pods of its own scheduler name and leaves others alone', async () => {
    const h = harness();
    nodes(h, 2);
    h.scheduler.onPodAdd(pod('mine', { cpu: '1' }));
    h.scheduler.onPodAdd(pod('theirs', { cpu: '1', schedulerName: 'default-scheduler' }));
    await drain(h);
    expect([...h.binder.bound.keys()]).toEqual(['default/mine']);
    const ev = h.events.of('default/mine', 'Scheduled')[0]!;
    expect(ev.message).toMatch(/^Successfully assigned default\/mine to n[01]$/);
    h.scheduler.close();
  });

  it('spreads a burst evenly: each placement counts on its node at once (assume), before any binding is confirmed', async () => {
    const h = harness();
    nodes(h, 3, { cpu: '16', memory: '64Gi' });
    for (let i = 0; i < 30; i++) h.scheduler.onPodAdd(pod(`p${i}`, { cpu: '1', memory: '2Gi' }));
    await drain(h);
    expect([...boundCount(h).values()]).toEqual([10, 10, 10]);
    h.scheduler.close();
  });

  it('never overbooks a node while bindings are in flight, and says why the rest wait', async () => {
    const h = harness();
    nodes(h, 1, { cpu: '4', memory: '16Gi' });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const bind = h.binder.bind.bind(h.binder);
    h.binder.bind = async (...args) => {
      await gate;
      return bind(...args);
    };
    for (let i = 0; i < 6; i++) h.scheduler.onPodAdd(pod(`p${i}`, { cpu: '1' }));
    await drain(h);
    expect(h.scheduler.bindingsInFlight).toBe(4);
    release();
    await settle();
    expect(h.binder.bound.size).toBe(4);
    const failed = h.events.events.filter((e) => e.reason === 'FailedScheduling');
    expect(failed.map((e) => e.message)).toEqual(['0/1 nodes are available: 1 Insufficient cpu.', '0/1 nodes are available: 1 Insufficient cpu.']);
    h.scheduler.close();
  });

  it("explains an unschedulable pod in kube-scheduler's words, reasons counted over every node", async () => {
    const h = harness();
    nodes(h, 3, { extra: { [BATCH_CPU]: '1000' } }, 'batch-');
    nodes(h, 9, { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }, 'db-');
    h.scheduler.onPodAdd(pod('exec', { requests: { [BATCH_CPU]: '2000' } }));
    await drain(h);
    expect(h.events.of('default/exec', 'FailedScheduling')[0]?.message).toBe(
      '0/12 nodes are available: 3 Insufficient kubernetes.io/batch-cpu, 9 node(s) had untolerated taint {dedicated: db}.',
    );
    h.scheduler.close();
  });

  it('tries an unschedulable pod again when a node that can take it arrives', async () => {
    const h = harness();
    nodes(h, 1, { cpu: '1' });
    h.scheduler.onPodAdd(pod('big', { cpu: '4' }));
    await drain(h);
    expect(h.binder.bound.size).toBe(0);
    h.scheduler.onNodeAdd(node('large', { cpu: '8' }));
    h.clock.advance(1_000);
    await drain(h);
    expect(h.binder.bound.get('default/big')).toBe('large');
    h.scheduler.close();
  });

  it('hands online pods out before offline ones', async () => {
    const h = harness();
    nodes(h, 1, { cpu: '4', extra: { [BATCH_CPU]: '4000' } });
    const order: string[] = [];
    const bind = h.binder.bind.bind(h.binder);
    h.binder.bind = async (s, p, n) => {
      order.push(p.name);
      return bind(s, p, n);
    };
    h.scheduler.onPodAdd(pod('exec-1', { labels: { 'spark-role': 'executor' }, requests: { [BATCH_CPU]: '1000' } }));
    h.scheduler.onPodAdd(pod('web-1', { cpu: '1' }));
    h.scheduler.onPodAdd(pod('exec-2', { labels: { 'spark-role': 'executor' }, requests: { [BATCH_CPU]: '1000' } }));
    h.scheduler.onPodAdd(pod('web-2', { cpu: '1' }));
    await drain(h);
    expect(order).toEqual(['web-1', 'web-2', 'exec-1', 'exec-2']);
    h.scheduler.close();
  });

  it('keeps offline pods off nodes above the load threshold, and places them once the load drops', async () => {
    const h = harness();
    nodes(h, 2, { cpu: '10', memory: '100Gi' });
    h.load.set('n0', 9_000, 10 * GiB, h.clock.now());
    h.load.set('n1', 7_000, 10 * GiB, h.clock.now());
    h.scheduler.onPodAdd(pod('exec', { labels: { 'spark-role': 'executor' }, cpu: '1' }));
    h.scheduler.onPodAdd(pod('web', { cpu: '1' }));
    await drain(h);
    expect(h.binder.bound.get('default/web')).toBeDefined();
    expect(h.binder.bound.has('default/exec')).toBe(false);
    expect(h.events.of('default/exec', 'FailedScheduling')[0]?.message).toBe('0/2 nodes are available: 2 node(s) had cpu usage at or above the offline load threshold.');
    h.load.set('n1', 2_000, 10 * GiB, h.clock.now());
    h.clock.advance(1_000);
    await drain(h);
    expect(h.binder.bound.get('default/exec')).toBe('n1');
    h.scheduler.close();
  });
});

describe('scheduler: failures', () => {
  it('parks a malformed pod with an Event and keeps scheduling the others', async () => {
    const h = harness();
    nodes(h, 1);
    const bad = rawPod('bad', { cpu: '1' });
    ((bad['spec'] as { containers: Array<{ resources: { requests: Record<string, string> } }> }).containers[0]!.resources.requests)['memory'] = 'lots';
    h.scheduler.onPodAdd(projectSchedPod(bad));
    h.scheduler.onPodAdd(pod('good', { cpu: '1' }));
    await drain(h);
    expect(h.binder.bound.has('default/good')).toBe(true);
    const ev = h.events.of('default/bad', 'FailedScheduling');
    expect(ev).toHaveLength(1);
    expect(ev[0]!.type).toBe('Warning');
    expect(ev[0]!.message).toMatch(/^pod cannot be scheduled as written: invalid quantity "lots"/);
    // Cluster events do not bring it back; a corrected pod is scheduled.
    h.scheduler.onNodeAdd(node('another'));
    h.clock.advance(5_000);
    await drain(h);
    expect(h.events.of('default/bad', 'FailedScheduling')).toHaveLength(1);
    h.scheduler.onPodUpdate(projectSchedPod(bad), pod('bad', { cpu: '1' }));
    h.clock.advance(5_000);
    await drain(h);
    expect(h.binder.bound.has('default/bad')).toBe(true);
    h.scheduler.close();
  });

  it('forgets the assumption when a binding is refused, frees the room, and tries again after backoff', async () => {
    const h = harness();
    nodes(h, 1, { cpu: '2' });
    let refuse = true;
    h.binder.fail = () => (refuse ? 'Operation cannot be fulfilled on pods/binding "p": conflict' : undefined);
    h.scheduler.onPodAdd(pod('p', { cpu: '2' }));
    await drain(h);
    expect(h.binder.bound.size).toBe(0);
    expect(h.scheduler.cache.node('n0')!.requested['cpu'] ?? 0).toBe(0);
    refuse = false;
    h.clock.advance(999);
    await drain(h);
    expect(h.binder.bound.size).toBe(0);
    h.clock.advance(1);
    await drain(h);
    expect(h.binder.bound.get('default/p')).toBe('n0');
    h.scheduler.close();
  });

  it('counts a pod once when the informer confirms the binding it assumed', async () => {
    const h = harness();
    nodes(h, 1, { cpu: '4' });
    h.scheduler.onPodAdd(pod('p', { cpu: '1' }));
    await drain(h);
    expect(h.scheduler.cache.node('n0')!.requested['cpu']).toBe(1000);
    h.scheduler.onPodUpdate(pod('p', { cpu: '1' }), pod('p', { cpu: '1', nodeName: 'n0', phase: 'Running' }));
    expect(h.scheduler.cache.node('n0')!.requested['cpu']).toBe(1000);
    expect(h.scheduler.cache.isAssumed('default/p')).toBe(false);
    h.scheduler.onPodUpdate(pod('p', { cpu: '1', nodeName: 'n0', phase: 'Running' }), pod('p', { cpu: '1', nodeName: 'n0', phase: 'Succeeded' }));
    expect(h.scheduler.cache.node('n0')!.requested['cpu'] ?? 0).toBe(0);
    h.scheduler.close();
  });

  it('drops a bound assumption the informer never confirms after the TTL', async () => {
    const h = harness({ settings: { assumeTtlMs: 10_000 } });
    nodes(h, 1, { cpu: '4' });
    h.scheduler.onPodAdd(pod('ghost', { cpu: '1' }));
    await drain(h);
    expect(h.scheduler.cache.node('n0')!.requested['cpu']).toBe(1000);
    h.clock.advance(15_000);
    expect(h.scheduler.cache.node('n0')!.requested['cpu'] ?? 0).toBe(0);
    h.scheduler.close();
  });

  it('counts attempts and bound pods in its metrics', async () => {
    const h = harness();
    nodes(h, 1, { cpu: '1' });
    h.scheduler.onPodAdd(pod('a', { cpu: '1' }));
    h.scheduler.onPodAdd(pod('b', { cpu: '1', labels: { 'spark-role': 'executor' } }));
    await drain(h);
    const text = await h.registry.metrics();
    expect(text).toMatch(/tidepool_scheduler_pods_scheduled_total\{class="online"\} 1/);
    expect(text).toMatch(/tidepool_scheduler_schedule_attempts_total\{result="unschedulable"\} 1/);
    expect(text).toMatch(/tidepool_scheduler_queue_pods\{queue="unschedulable",class="offline"\} 1/);
    expect(text).toMatch(/tidepool_scheduler_e2e_scheduling_duration_seconds_count\{class="online"\} 1/);
    h.scheduler.close();
  });
});
