// How the sim frames a watch stream: the events of one event-loop turn leave as one HTTP chunk
// (so a client handles a burst in one read, as from a loaded kube-apiserver), in order, and an
// event on its own still leaves at once.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessFor, raw, startTestSim, waitFor, type ClusterAccess, type TestSim } from './helpers.js';

let t: TestSim;
let access: ClusterAccess;

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host'], nodes: 0, scheduler: false });
  access = accessFor(t.sim.kubeconfig, 'host');
});
afterAll(async () => {
  await t?.stop();
});

/** Opens a raw watch and records, for each 'data' chunk the client receives, the names of the objects in it. */
function watchChunks(path: string): { chunks: string[][]; close(): void } {
  const chunks: string[][] = [];
  let pending = '';
  const url = new URL(path, access.server);
  const req = request(url, { headers: { Authorization: `Bearer ${access.token}` }, ca: access.ca, agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (text: string) => {
      const lines = (pending + text).split('\n');
      pending = lines.pop()!;
      chunks.push(lines.filter(Boolean).map((l) => (JSON.parse(l) as { object: { metadata: { name: string } } }).object.metadata.name));
    });
  });
  req.on('error', () => undefined); // closed by the test
  req.end();
  return { chunks, close: () => req.destroy() };
}

describe('watch framing', () => {
  it('sends the events of one turn as one chunk, in order, and a lone event at once', async () => {
    const cluster = t.sim.cluster('host');
    const cms = cluster.registry.lookup('', 'v1', 'configmaps')!;
    const list = await raw(access, 'GET', '/api/v1/namespaces/default/configmaps');
    const rv = (list.json!['metadata'] as { resourceVersion: string }).resourceVersion;
    const before = cluster.watches.size;
    const w = watchChunks(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
    try {
      await waitFor('the watch to be registered', () => cluster.watches.size > before);
      const names = ['burst-0', 'burst-1', 'burst-2', 'burst-3', 'burst-4'];
      for (const name of names) cluster.api.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });
      await waitFor('the burst', () => w.chunks.flat().length >= names.length);
      expect(w.chunks.filter((c) => c.length > 0)).toEqual([names]);

      cluster.api.create(cms, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'alone' } });
      await waitFor('the lone event', () => w.chunks.flat().includes('alone'));
      expect(w.chunks.filter((c) => c.length > 0)).toEqual([names, ['alone']]);
    } finally {
      w.close();
    }
  });
});
