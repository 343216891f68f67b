// List and watch query options over raw HTTPS, spelled as different clients spell them:
// booleans read as kube-apiserver reads them, the watch-list (`sendInitialEvents`) with its
// closing bookmark and kube's 422s, and `pretty`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessFor, expectStatus, raw, startTestSim, type ClusterAccess, type TestSim } from './helpers.js';

let t: TestSim;
let access: ClusterAccess;

const NS = '/api/v1/namespaces/default/configmaps';

beforeAll(async () => {
  // Periodic bookmarks (5 s) never come within these one-second watches: every BOOKMARK seen is the watch-list's.
  t = await startTestSim({ clusters: ['host'], nodes: 0, scheduler: false, bookmarkIntervalMs: 5_000 });
  access = accessFor(t.sim.kubeconfig, 'host');
  for (const name of ['cm-a', 'cm-b']) {
    const r = await raw(access, 'POST', NS, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }) });
    expect(r.status).toBe(201);
  }
});
afterAll(async () => {
  await t?.stop();
});

interface WatchEvent {
  type: string;
  object: { kind: string; metadata: { name?: string; resourceVersion: string; annotations?: Record<string, string> } };
}

/** A watch that the server ends after one second (timeoutSeconds=1): all the events it sent. */
async function watchOneSecond(query: string): Promise<WatchEvent[]> {
  const r = await raw(access, 'GET', `${NS}?${query}&timeoutSeconds=1`);
  expect(r.status, r.body).toBe(200);
  return r.body
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as WatchEvent);
}

async function listRv(): Promise<string> {
  const r = await raw(access, 'GET', NS);
  return (r.json!['metadata'] as { resourceVersion: string }).resourceVersion;
}

describe('watch=', () => {
  it('is a watch for True, 1, t, yes and even an empty value', async () => {
    const spellings = ['True', '1', 't', 'yes', ''];
    const watches = await Promise.all(spellings.map((w) => watchOneSecond(`watch=${w}`)));
    for (const events of watches) expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'cm-a'], ['ADDED', 'cm-b']]);
  });

  it('is a plain list for false, False, FALSE and 0', async () => {
    for (const w of ['false', 'False', 'FALSE', '0']) {
      const r = await raw(access, 'GET', `${NS}?watch=${w}`);
      expect(r.json?.['kind'], w).toBe('ConfigMapList');
    }
  });
});

describe('sendInitialEvents (watch-list)', () => {
  it('sends the current state, then a BOOKMARK marking its end at the resourceVersion it was taken at', async () => {
    const rv = await listRv();
    const events = await watchOneSecond('watch=True&sendInitialEvents=True&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=True');
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'cm-a'], ['ADDED', 'cm-b'], ['BOOKMARK', undefined]]);
    expect(events[2]!.object).toEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { resourceVersion: rv, annotations: { 'k8s.io/initial-events-end': 'true' } },
    });
  });

  it('without initial events starts now, or replays from a given resourceVersion', async () => {
    expect(await watchOneSecond('watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan')).toEqual([]);
    const rv = await listRv();
    await raw(access, 'POST', NS, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-later' } }) });
    const replay = await watchOneSecond(`watch=1&sendInitialEvents=0&resourceVersionMatch=NotOlderThan&resourceVersion=${rv}`);
    expect(replay.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'cm-later']]);
    await raw(access, 'DELETE', `${NS}/cm-later`);
  });

  it('is refused with kube\'s 422 wording when the options do not fit together', async () => {
    const cases: Array<[string, string]> = [
      ['watch=true&sendInitialEvents=true', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'],
      ['watch=true&resourceVersionMatch=NotOlderThan', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'],
      [
        'watch=true&sendInitialEvents=true&resourceVersionMatch=Exact',
        'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
      ],
      ['sendInitialEvents=false', 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'],
    ];
    for (const [query, message] of cases) {
      const s = expectStatus(await raw(access, 'GET', `${NS}?${query}`), 422, 'Invalid');
      expect(s['message'], query).toBe(message);
      expect(s['details']).toMatchObject({ group: 'meta.k8s.io', kind: 'ListOptions' });
    }
  });

  it('answers a resourceVersion the sim has not reached with 504 Too large resource version', async () => {
    const s = expectStatus(await raw(access, 'GET', `${NS}?watch=1&sendInitialEvents=1&resourceVersionMatch=NotOlderThan&resourceVersion=999999999`), 504, 'Timeout');
    expect(s['message']).toBe('Too large resource version');
  });
});

describe('pretty=', () => {
  it('indents the answer for a value Go parses as true, and leaves it compact otherwise', async () => {
    const pretty = await raw(access, 'GET', `${NS}/cm-a?pretty=True`);
    expect(pretty.body.startsWith('{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n  "metadata": {\n    "name": "cm-a",\n')).toBe(true);
    for (const p of ['false', 'yes']) {
      const r = await raw(access, 'GET', `${NS}/cm-a?pretty=${p}`);
      expect(r.body.startsWith('{"apiVersion":"v1","kind":"ConfigMap"'), p).toBe(true);
    }
    const list = await raw(access, 'GET', `${NS}?pretty=1`);
    expect(list.body).toContain('\n  "items": [\n');
  });
});
