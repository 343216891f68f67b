// The store's watch window is kept per kind, as kube-apiserver's watch cache is per
// resource: a busy kind (Lease renewals of thousands of nodes) must not push another
// kind's history out, or informers of that kind would relist on every reconnect.
import { describe, expect, it } from 'vitest';
import { Store } from '../../sim/store.js';
import type { KubeObject } from '../../sim/object.js';

const noFields = (): Record<string, string> => ({});
const obj = (name: string, namespace = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'X', metadata: { name, namespace } });

function store(window: number): Store {
  const s = new Store({ eventWindow: window });
  s.defineCollection('/pods', noFields);
  s.defineCollection('/leases', noFields);
  return s;
}

describe('Store watch window', () => {
  it('keeps a quiet kind resumable while a busy kind overflows its own window', () => {
    const s = store(16);
    const first = s.put('/pods', obj('p0')).rv;
    for (let i = 1; i < 5; i++) s.put('/pods', obj(`p${i}`));
    for (let i = 0; i < 200; i++) s.put('/leases', obj(`node-${i % 7}`, 'kube-node-lease'));
    const pods = s.eventsSince('/pods', first);
    expect(pods?.map((e) => e.object.name)).toEqual(['p1', 'p2', 'p3', 'p4']);
    // The Leases' own history from the start is gone: 410 for a watch from there.
    expect(s.eventsSince('/leases', first)).toBeUndefined();
    expect(s.oldestWatchableRv('/leases')).toBeGreaterThan(first);
    expect(s.oldestWatchableRv('/pods')).toBe(0);
    // The last 16 Lease events are still there, oldest first.
    const recent = s.eventsSince('/leases', s.oldestWatchableRv('/leases'));
    expect(recent).toHaveLength(16);
    expect(recent!.map((e) => e.rv)).toEqual([...recent!.map((e) => e.rv)].sort((a, b) => a - b));
    expect(recent![15]!.rv).toBe(s.currentRv());
  });

  it('compact() makes every kind answer 410 for older resourceVersions, and records on from there', () => {
    const s = store(16);
    const before = s.put('/pods', obj('a')).rv;
    s.put('/leases', obj('n', 'kube-node-lease'));
    s.compact();
    expect(s.eventsSince('/pods', before)).toBeUndefined();
    expect(s.eventsSince('/leases', before)).toBeUndefined();
    const at = s.currentRv();
    s.put('/pods', obj('b'));
    expect(s.eventsSince('/pods', at)?.map((e) => e.object.name)).toEqual(['b']);
    expect(s.eventsSince('/leases', at)).toEqual([]);
  });
});

describe('Store.decode', () => {
  it('gives what a parse of the stored JSON gives, as a private copy, for recent writes and old ones', () => {
    const s = store(64);
    const written: KubeObject = { ...obj('p'), spec: { list: [1, undefined, { a: undefined, b: 'x' }] }, status: { gone: undefined } } as KubeObject;
    const stored = s.put('/pods', written);
    const copy = s.decode('/pods', stored);
    expect(copy).toEqual(JSON.parse(stored.json));
    expect(JSON.stringify(copy)).toBe(stored.json);
    expect(Object.keys(copy['status'] as object)).toEqual([]);
    // The copy is the caller's: changing it changes neither the store nor the next copy.
    (copy['spec'] as { list: unknown[] }).list.push('mine');
    expect(s.decode('/pods', stored)).toEqual(JSON.parse(stored.json));
    // A superseded version decodes from its own JSON, not from the newer write.
    const next = s.put('/pods', { ...obj('p'), spec: { v: 2 } });
    expect(s.decode('/pods', stored)).toEqual(JSON.parse(stored.json));
    expect(s.decode('/pods', next)).toEqual({ ...obj('p'), metadata: { name: 'p', namespace: 'default', resourceVersion: String(next.rv) }, spec: { v: 2 } });
  });

  it('keeps a bounded number of decoded objects per kind', () => {
    const s = store(64);
    const first = s.put('/pods', obj('p0'));
    for (let i = 1; i < 2000; i++) s.put('/pods', obj(`p${i}`));
    // Long evicted from the decoded set, still decoded correctly from its JSON.
    expect(s.decode('/pods', first)).toEqual(JSON.parse(first.json));
  });
});
