import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { EventRecorder, type EventObj, type EventPatch, type EventSink } from '../../kube/event-recorder.js';
import { silentLogger } from '../../kube/logger.js';

/** An in-memory Events API: stores what is created, applies patches, 404s on unknown names. */
class MemorySink implements EventSink {
  readonly events = new Map<string, EventObj>();
  readonly calls: string[] = [];
  failNext: unknown[] = [];

  async create(namespace: string, event: EventObj): Promise<EventObj> {
    this.calls.push(`create ${namespace}/${event.metadata.name}`);
    const err = this.failNext.shift();
    if (err) throw err;
    const key = `${namespace}/${event.metadata.name}`;
    if (this.events.has(key)) throw Object.assign(new Error('already exists'), { code: 409 });
    const stored = structuredClone(event);
    this.events.set(key, stored);
    return stored;
  }

  async patch(namespace: string, name: string, patch: EventPatch): Promise<EventObj> {
    this.calls.push(`patch ${namespace}/${name} count=${patch.count}`);
    const err = this.failNext.shift();
    if (err) throw err;
    const stored = this.events.get(`${namespace}/${name}`);
    if (!stored) throw Object.assign(new Error('not found'), { code: 404 });
    Object.assign(stored, patch);
    return stored;
  }

  list(): EventObj[] {
    return [...this.events.values()];
  }
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1', resourceVersion: '7' } };
const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'tidepool', uid: 'n-1' } };

describe('EventRecorder', () => {
  let sink: MemorySink;
  let t0: number;
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-03-01T12:00:00Z'));
    t0 = Date.now();
    sink = new MemorySink();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('creates a core/v1 Event about the object, named like kube does', async () => {
    const rec = new EventRecorder({ sink, component: 'tidepool-scheduler', host: 'sched-1' });
    rec.record(pod, 'Warning', 'FailedScheduling', 'no member cluster has 4 CPUs free');
    await rec.flush();
    const [event] = sink.list();
    expect(event).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { namespace: 'shop' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web-0', namespace: 'shop', uid: 'u-1', resourceVersion: '7' },
      type: 'Warning',
      reason: 'FailedScheduling',
      message: 'no member cluster has 4 CPUs free',
      source: { component: 'tidepool-scheduler', host: 'sched-1' },
      reportingComponent: 'tidepool-scheduler',
      reportingInstance: 'sched-1',
      count: 1,
    });
    expect(event!.metadata.name).toMatch(/^web-0\.[0-9a-f]+$/);
    expect(BigInt(`0x${event!.metadata.name!.split('.')[1]}`) / 1_000_000n).toBe(BigInt(t0));
    expect(event!.firstTimestamp).toEqual(new Date(t0));
    expect(rec.stats.created).toBe(1);
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const rec = new EventRecorder({ sink, component: 'tidepool-virtual-node' });
    rec.record(node, 'Normal', 'NodeReady', 'virtual node is ready');
    await rec.flush();
    expect(sink.calls).toEqual([expect.stringMatching(/^create default\/tidepool\./)]);
  });

  it('accepts an ObjectReference as the subject', async () => {
    const rec = new EventRecorder({ sink, component: 'c' });
    rec.record({ kind: 'Pod', name: 'p', namespace: 'ns', fieldPath: 'spec.containers{app}' }, 'Normal', 'Pulled', 'ok');
    await rec.flush();
    expect(sink.list()[0]!.involvedObject).toEqual({ kind: 'Pod', name: 'p', namespace: 'ns', fieldPath: 'spec.containers{app}' });
  });

  it('turns a repeat into a PATCH of count and lastTimestamp, even when recorded back to back', async () => {
    const rec = new EventRecorder({ sink, component: 'c' });
    rec.record(pod, 'Warning', 'BackOff', 'restarting');
    rec.record(pod, 'Warning', 'BackOff', 'restarting');
    await vi.advanceTimersByTimeAsync(30_000);
    rec.record({ ...pod, metadata: { ...pod.metadata, resourceVersion: '8' } }, 'Warning', 'BackOff', 'restarting');
    await rec.flush();
    expect(sink.list()).toHaveLength(1);
    const [event] = sink.list();
    expect(event!.count).toBe(3);
    expect(event!.lastTimestamp).toEqual(new Date(t0 + 30_000));
    expect(event!.firstTimestamp).toEqual(new Date(t0));
    expect(rec.stats).toMatchObject({ created: 1, patched: 2 });
  });

  it('keeps different messages, reasons, types and objects apart', async () => {
    const rec = new EventRecorder({ sink, component: 'c' });
    rec.record(pod, 'Warning', 'BackOff', 'a');
    rec.record(pod, 'Warning', 'BackOff', 'b');
    rec.record(pod, 'Warning', 'Other', 'a');
    rec.record(pod, 'Normal', 'BackOff', 'a');
    rec.record({ ...pod, metadata: { ...pod.metadata, name: 'web-1', uid: 'u-2' } }, 'Warning', 'BackOff', 'a');
    await rec.flush();
    expect(sink.list()).toHaveLength(5);
  });

  it('starts a new event when the repeat comes after the window', async () => {
    const rec = new EventRecorder({ sink, component: 'c', aggregateWindowMs: 60_000 });
    rec.record(pod, 'Normal', 'Synced', 'ok');
    await rec.flush();
    await vi.advanceTimersByTimeAsync(60_001);
    rec.record(pod, 'Normal', 'Synced', 'ok');
    await rec.flush();
    expect(sink.list()).toHaveLength(2);
  });

  it('creates a new event when the old one has expired on the server (patch 404)', async () => {
    const rec = new EventRecorder({ sink, component: 'c' });
    rec.record(pod, 'Normal', 'Synced', 'ok');
    await rec.flush();
    sink.events.clear(); // the API server's event TTL removed it
    rec.record(pod, 'Normal', 'Synced', 'ok');
    await rec.flush();
    expect(sink.list()).toHaveLength(1);
    expect(sink.calls.map((c) => c.split(' ')[0])).toEqual(['create', 'patch', 'create']);
    expect(rec.stats).toMatchObject({ created: 2, patched: 0, failed: 0 });
  });

  it('drops events past the per-object burst and lets one more through per refill interval', async () => {
    const rec = new EventRecorder({ sink, component: 'c', burst: 25, refillIntervalMs: 300_000 });
    for (let i = 0; i < 30; i++) rec.record(pod, 'Warning', 'Failed', `attempt ${i}`);
    rec.record(node, 'Normal', 'Other', 'another object has its own bucket');
    await rec.flush();
    expect(sink.list()).toHaveLength(26);
    expect(rec.stats.dropped_spam).toBe(5);
    await vi.advanceTimersByTimeAsync(300_000);
    rec.record(pod, 'Warning', 'Failed', 'later');
    rec.record(pod, 'Warning', 'Failed', 'too soon');
    await rec.flush();
    expect(sink.list().map((e) => e.message)).toContain('later');
    expect(sink.list().map((e) => e.message)).not.toContain('too soon');
    expect(rec.stats.dropped_spam).toBe(6);
  });

  it('never throws into the caller: bad subjects and sink failures are logged and counted', async () => {
    const warnings: string[] = [];
    const registry = new Registry();
    const rec = new EventRecorder({
      sink,
      component: 'c',
      maxAttempts: 1,
      registry,
      logger: { ...silentLogger, warn: (_obj, msg) => warnings.push(msg ?? '') },
    });
    sink.failNext.push(Object.assign(new Error('forbidden'), { code: 403 }));
    expect(() => rec.record(pod, 'Warning', 'X', 'y')).not.toThrow();
    expect(() => rec.record({ metadata: { name: 'no-kind' } }, 'Normal', 'X', 'y')).not.toThrow();
    expect(() => rec.record(null as never, 'Normal', 'X', 'y')).not.toThrow();
    expect(() => rec.record(pod, 'Info' as never, 'X', 'y')).not.toThrow();
    await rec.flush();
    expect(rec.stats).toMatchObject({ failed: 1, invalid: 3, created: 0 });
    expect(warnings).toContain('could not write Kubernetes event');
    expect(await registry.metrics()).toContain('tidepool_events_total{outcome="invalid"} 3');
  });

  it('retries a transient failure in the background', async () => {
    const rec = new EventRecorder({ sink, component: 'c', retryInitialMs: 100 });
    sink.failNext.push(Object.assign(new Error('unavailable'), { code: 503 }));
    rec.record(pod, 'Normal', 'Synced', 'ok');
    await vi.advanceTimersByTimeAsync(1000);
    await rec.flush();
    expect(sink.list()).toHaveLength(1);
    expect(rec.stats).toMatchObject({ created: 1, failed: 0 });
  });

  it('drops new events when too many wait to be written', async () => {
    let release!: () => void;
    const slow: EventSink = {
      create: (_ns, e) => new Promise((resolve) => (release = () => resolve(e))),
      patch: () => Promise.reject(new Error('unused')),
    };
    const rec = new EventRecorder({ sink: slow, component: 'c', maxPending: 2, burst: 100 });
    for (let i = 0; i < 5; i++) rec.record(pod, 'Normal', 'R', `m${i}`);
    // One is being written, two wait, two are dropped.
    expect(rec.stats.dropped_queue_full).toBe(2);
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(0);
      release();
    }
    await rec.flush();
    expect(rec.stats.created).toBe(3);
  });

  it('cuts very long messages', async () => {
    const rec = new EventRecorder({ sink, component: 'c' });
    rec.record(pod, 'Warning', 'Crash', 'x'.repeat(5000));
    await rec.flush();
    expect(sink.list()[0]!.message).toHaveLength(1024);
  });

  it('ignores events after close, once pending ones are written', async () => {
    const rec = new EventRecorder({ sink, component: 'c' });
    rec.record(pod, 'Normal', 'A', 'before');
    await rec.close();
    rec.record(pod, 'Normal', 'B', 'after');
    await rec.flush();
    expect(sink.list().map((e) => e.reason)).toEqual(['A']);
  });
});
