// A watcher that falls far behind a burst of writes (its reader paused while the writes
// go on) must be caught up or cleanly terminated — the stream ended, or a 410 Expired
// ERROR event — as kube-apiserver closes a watch whose buffered events overflow. It must
// never go silent with the connection left open.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessFor, podManifest, raw, sleep, startTestSim, waitFor, type ClusterAccess, type TestSim } from './helpers.js';
import type { KubeObject } from '../../../sim/object.js';

interface SlowWatch {
  /** Events parsed so far, in order: type and the object's resourceVersion (or the Status reason for ERROR). */
  readonly events: Array<{ type: string; rv: string; reason?: string; code?: number }>;
  /** Set when the response ended ('end') or the connection closed. */
  readonly done: { ended: boolean; closed: boolean; error?: Error };
  resume(): void;
  close(): void;
}

/** A raw watch whose reader starts paused: nothing is read until `resume()`. */
function slowWatch(access: ClusterAccess, path: string): SlowWatch {
  const events: SlowWatch['events'] = [];
  const done: SlowWatch['done'] = { ended: false, closed: false };
  let pending = '';
  let resumed = false;
  let response: import('node:http').IncomingMessage | undefined;
  const url = new URL(path, access.server);
  const req = request(url, { headers: { Authorization: `Bearer ${access.token}` }, ca: access.ca, agent: false }, (res) => {
    response = res;
    if (!resumed) res.pause();
    res.setEncoding('utf8');
    res.on('data', (text: string) => {
      const lines = (pending + text).split('\n');
      pending = lines.pop()!;
      for (const l of lines) {
        if (!l) continue;
        const e = JSON.parse(l) as { type: string; object: { metadata?: { resourceVersion?: string }; reason?: string; code?: number } };
        events.push({ type: e.type, rv: e.object.metadata?.resourceVersion ?? '', ...(e.type === 'ERROR' ? { reason: e.object.reason, code: e.object.code } : {}) });
      }
    });
    res.on('end', () => (done.ended = true));
    res.on('close', () => (done.closed = true));
    res.on('error', (e) => (done.error = e));
  });
  req.on('error', (e) => {
    done.error = e;
    done.closed = true;
  });
  req.end();
  return {
    events,
    done,
    resume() {
      resumed = true;
      response?.resume();
    },
    close: () => req.destroy(),
  };
}

/** Held back for a watcher whose socket is full before it is cut off (sim/http/watch.ts MAX_HELD_BYTES). */
const HELD_LIMIT = 64 * 1024 * 1024;
const FAT_BYTES = 200 * 1024;

/**
 * Opens a watch with a paused reader, pushes ~120 MB of pod updates (a fat pod, so a few
 * hundred writes suffice) a batch per turn without waiting for it, then resumes the reader.
 */
async function fallBehind(t: TestSim, name: string): Promise<{ w: SlowWatch; rv0: number; lastRv: number; before: number }> {
  const access = accessFor(t.sim.kubeconfig, 'host');
  const cluster = t.sim.cluster('host');
  const pods = cluster.registry.lookup('', 'v1', 'pods')!;
  const created = await raw(access, 'POST', '/api/v1/namespaces/default/pods', { body: JSON.stringify(podManifest(name, { annotations: { pad: 'x'.repeat(FAT_BYTES) } })) });
  expect(created.status).toBe(201);
  const rv0 = Number((created.json!['metadata'] as { resourceVersion: string }).resourceVersion);
  const before = cluster.watches.size;
  const w = slowWatch(access, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv0}&fieldSelector=metadata.name%3D${name}`);
  await waitFor('the watch to be registered', () => cluster.watches.size > before);
  const updates = Math.ceil((2 * HELD_LIMIT) / FAT_BYTES);
  let lastRv = 0;
  for (let i = 0; i < updates; i++) {
    lastRv = cluster.api.mutate(pods, 'default', name, (o: KubeObject) => {
      o.metadata.labels = { n: String(i) };
    }).object.rv;
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  await sleep(100);
  w.resume();
  await waitFor('the watch to end', () => w.done.ended || w.done.closed, 30_000);
  return { w, rv0, lastRv, before };
}

/** The MODIFIED events received are exactly the updates after rv0, in order, with no gap. */
function expectContiguous(w: SlowWatch, rv0: number): number[] {
  const rvs = w.events.filter((e) => e.type === 'MODIFIED').map((e) => Number(e.rv));
  expect(rvs.length).toBeGreaterThan(0);
  expect(rvs).toEqual(rvs.map((_, i) => rv0 + 1 + i));
  return rvs;
}

describe('watch backpressure, history gone (small event window)', () => {
  let t: TestSim;
  beforeAll(async () => {
    t = await startTestSim({ clusters: ['host'], nodes: 0, scheduler: false, eventWindow: 100 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('ends a watch that falls too far behind with a 410 Expired ERROR, promptly, not after tens of MB of stale events', async () => {
    const { w, rv0, before } = await fallBehind(t, 'fat');
    try {
      expect(w.done.error).toBeUndefined();
      expect(w.done.ended).toBe(true);
      const last = w.events.at(-1)!;
      expect(last).toMatchObject({ type: 'ERROR', code: 410, reason: 'Expired' });
      const rvs = expectContiguous(w, rv0);
      // Only what sat in socket buffers when the watcher was cut off reached the client,
      // not a backlog the size of the cut-off (which a stalled client might never drain).
      expect(rvs.length * FAT_BYTES).toBeLessThan(HELD_LIMIT / 4);
      expect(t.sim.cluster('host').watches.size).toBe(before);
    } finally {
      w.close();
    }
  }, 60_000);
});

describe('watch backpressure, history kept (default event window)', () => {
  let t: TestSim;
  beforeAll(async () => {
    t = await startTestSim({ clusters: ['host'], nodes: 0, scheduler: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('ends the watch cleanly, and a re-watch from the last event received catches up', async () => {
    const { w, rv0, lastRv, before } = await fallBehind(t, 'fat');
    try {
      expect(w.done.error).toBeUndefined();
      expect(w.done.ended).toBe(true);
      expect(w.events.some((e) => e.type === 'ERROR')).toBe(false);
      const rvs = expectContiguous(w, rv0);
      expect(rvs.at(-1)!).toBeLessThan(lastRv);
      expect(rvs.length * FAT_BYTES).toBeLessThan(HELD_LIMIT / 4);
      expect(t.sim.cluster('host').watches.size).toBe(before);

      const again = slowWatch(accessFor(t.sim.kubeconfig, 'host'), `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rvs.at(-1)!}&fieldSelector=metadata.name%3Dfat`);
      again.resume();
      try {
        await waitFor('the re-watch to catch up', () => again.events.some((e) => Number(e.rv) === lastRv), 30_000);
        expectContiguous(again, rvs.at(-1)!);
      } finally {
        again.close();
      }
    } finally {
      w.close();
    }
  }, 60_000);
});
