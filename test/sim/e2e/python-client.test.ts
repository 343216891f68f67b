// The official Python client (Debian's python3-kubernetes, what Spark and Airflow users
// script with) against the sim, unmodified, as a new user would use it: paginated lists,
// watches from a resourceVersion (it sends watch=True and allowWatchBookmarks=True, Python's
// spelling of a boolean), patches both ways, optimistic concurrency, logs and eviction.
// Each script in ./python prints one JSON document; the assertions are on what it saw.

import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPythonScript, startPythonScript } from '../../helpers/python-client.js';
import { podManifest, startTestSim, waitFor, type TestSim } from './helpers.js';

const SCRIPTS = join(import.meta.dirname, 'python');
const script = (name: string): string => join(SCRIPTS, name);

let t: TestSim;
let core: CoreV1Api;
let kubeconfig: string;

/** A pod no scheduler picks up: it stays Pending and unchanged, so its watch events are only the test's own writes. */
const unscheduled = (name: string, namespace: string): Record<string, unknown> => {
  const pod = podManifest(name, { namespace });
  return { ...pod, spec: { ...(pod['spec'] as Record<string, unknown>), schedulerName: 'manual' } };
};

async function createNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
}

async function runningPod(name: string, namespace: string): Promise<void> {
  await core.createNamespacedPod({ namespace, body: podManifest(name, { namespace }) });
  await waitFor(`pod ${namespace}/${name} running`, async () => (await core.readNamespacedPod({ name, namespace })).status?.phase === 'Running');
}

async function currentRv(namespace: string): Promise<string> {
  return (await core.listNamespacedPod({ namespace })).metadata!.resourceVersion!;
}

interface WatchOutput {
  events: Array<{ type: string; name: string; resourceVersion: string; labels: Record<string, string> }>;
  bookmarks?: string[];
  resourceVersion?: string;
  error?: { status: number; reason: string; message: string };
}

describe('the Python client against the sim', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    // Evicted pods stay Terminating for 2 s, long enough to read one back.
    t = await startTestSim({ clusters: ['host'], nodes: 2, startDelayMs: 100, terminationDelayMs: 2_000, bookmarkIntervalMs: 200 });
    kubeconfig = t.sim.kubeconfigPath!;
    const kc = new KubeConfig();
    kc.loadFromString(t.sim.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('lists pods page by page, every page from one snapshot, into typed models', async () => {
    await createNamespace('py-list');
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const n of names) await runningPod(n, 'py-list');

    const out = (await runPythonScript(script('list_pods.py'), kubeconfig, ['py-list', '2'])) as {
      resourceVersion: string;
      pages: Array<{ names: string[]; remainingItemCount: number | null; resourceVersion: string }>;
      pods: Array<{ name: string; phase: string; nodeName: string; containers: string[] }>;
    };

    expect(out.pages.map((p) => p.names)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(out.pages.map((p) => p.remainingItemCount)).toEqual([3, 1, null]);
    expect(new Set(out.pages.map((p) => p.resourceVersion))).toEqual(new Set([out.resourceVersion]));
    expect(out.pods.map((p) => [p.name, p.phase, p.containers])).toEqual(names.map((n) => [n, 'Running', ['app']]));
    expect(out.pods.every((p) => /^host-node-\d$/.test(p.nodeName))).toBe(true);
  });

  it('watches from a resourceVersion: replays what happened since, then delivers live events', async () => {
    const ns = 'py-watch';
    await createNamespace(ns);
    const from = await currentRv(ns);
    // Before the watch: replayed from `from`.
    await core.createNamespacedPod({ namespace: ns, body: unscheduled('w-1', ns) });
    await core.patchNamespacedPod(
      { name: 'w-1', namespace: ns, body: [{ op: 'add', path: '/metadata/labels', value: { stage: 'two' } }] },
    );

    const watches = t.sim.cluster('host').watches;
    const before = watches.size;
    const run = startPythonScript(script('watch_pods.py'), kubeconfig, [ns, from, '4', '20']);
    // Only once the sim holds the watch open do the next writes happen: they arrive live.
    await waitFor('the Python watch to be open', () => watches.size > before, 15_000);
    await core.createNamespacedPod({ namespace: ns, body: unscheduled('w-2', ns) });
    await core.deleteNamespacedPod({ name: 'w-1', namespace: ns, gracePeriodSeconds: 0 });

    const out = (await run.result) as WatchOutput;
    expect(out.error).toBeUndefined();
    expect(out.events.map((e) => [e.type, e.name])).toEqual([
      ['ADDED', 'w-1'],
      ['MODIFIED', 'w-1'],
      ['ADDED', 'w-2'],
      ['DELETED', 'w-1'],
    ]);
    expect(out.events[1]!.labels).toEqual({ stage: 'two' });
    const rvs = out.events.map((e) => Number(e.resourceVersion));
    expect(rvs.every((rv, i) => rv > Number(from) && (i === 0 || rv > rvs[i - 1]!))).toBe(true);
  });

  it('gets BOOKMARKs on an idle watch that asked with allowWatchBookmarks=True, until timeoutSeconds ends it', async () => {
    const ns = 'py-bookmarks';
    await createNamespace(ns);
    const from = await currentRv(ns);

    const out = (await runPythonScript(script('watch_pods.py'), kubeconfig, [ns, from, '1', '1'])) as WatchOutput;

    expect(out.error).toBeUndefined();
    expect(out.events).toEqual([]);
    expect(out.bookmarks!.length).toBeGreaterThan(0);
    expect(out.bookmarks!.every((rv) => Number(rv) >= Number(from))).toBe(true);
  });

  it('gets 410 Gone, as an ApiException, when it watches from a resourceVersion the sim no longer has', async () => {
    const ns = 'py-expired';
    await createNamespace(ns);
    const from = await currentRv(ns);
    await core.createNamespacedPod({ namespace: ns, body: unscheduled('x', ns) });
    t.sim.cluster('host').compact();

    const out = (await runPythonScript(script('watch_pods.py'), kubeconfig, [ns, from, '1', '5'])) as WatchOutput;

    expect(out.events).toEqual([]);
    expect(out.error?.status).toBe(410);
    expect(out.error?.reason).toMatch(/too old resource version/);
  });

  it('patches a pod as a strategic merge patch and as a JSON patch; a stale replace is a 409 Conflict', async () => {
    const ns = 'py-patch';
    await createNamespace(ns);
    await core.createNamespacedPod({ namespace: ns, body: unscheduled('p', ns) });

    const out = (await runPythonScript(script('patch_pod.py'), kubeconfig, [ns, 'p'])) as {
      resourceVersions: string[];
      labels: Record<string, string>;
      annotations: Record<string, string>;
      conflict: { status: number; reason: string; message: string } | null;
    };

    expect(out.labels).toEqual({ 'patched-by': 'python' });
    expect(out.annotations).toEqual({ team: 'spark' });
    const rvs = out.resourceVersions.map(Number);
    expect(rvs[1]!).toBeGreaterThan(rvs[0]!);
    expect(rvs[2]!).toBeGreaterThan(rvs[1]!);
    expect(out.conflict).toEqual({
      status: 409,
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on pods "p": the object has been modified; please apply your changes to the latest version and try again',
    });
    const stored = await core.readNamespacedPod({ name: 'p', namespace: ns });
    expect(stored.metadata!.labels).toEqual({ 'patched-by': 'python' });
  });

  it('reads logs with timestamps=True and tail_lines; previous=True is the kubelet\'s 400 for a container that never restarted', async () => {
    const ns = 'py-logs';
    await createNamespace(ns);
    await runningPod('l', ns);
    // Two lines exist once the pod has run a second (one line a second).
    await new Promise((r) => setTimeout(r, 1_100));

    const out = (await runPythonScript(script('pod_logs.py'), kubeconfig, [ns, 'l'])) as {
      lines: string[];
      previous: { status: number; reason: string; message: string } | null;
    };

    expect(out.lines).toHaveLength(2);
    for (const line of out.lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z app py-logs\/l line \d+: /);
    expect(out.previous).toEqual({ status: 400, reason: 'BadRequest', message: 'previous terminated container "app" in pod "l" not found' });
  });

  it('evicts a pod through policy/v1 Eviction: it terminates, then is gone; a missing pod is a 404', async () => {
    const ns = 'py-evict';
    await createNamespace(ns);
    await runningPod('victim', ns);

    const out = (await runPythonScript(script('evict_pod.py'), kubeconfig, [ns, 'victim'])) as {
      after: { deletionTimestamp?: string | null };
      missing: { status: number; reason: string; message: string } | null;
    };

    expect(out.after.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(out.missing).toEqual({ status: 404, reason: 'NotFound', message: 'pods "no-such-pod" not found' });
    await waitFor('the evicted pod to be gone', async () => (await core.listNamespacedPod({ namespace: ns })).items.length === 0);
  });
});
