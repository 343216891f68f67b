import { describe, expect, it } from 'vitest';
import { Indexer, indexBy } from '../../kube/indexer.js';

interface Pod {
  namespace: string;
  node: string;
  labels?: Record<string, string>;
}

const entry = (obj: Pod, rv: string) => ({ obj, rv, uid: 'u' });

describe('Indexer', () => {
  it('keeps an updated object under its index values, and moves it when they change', () => {
    const ix = new Indexer<Pod>({ node: indexBy.node, namespace: indexBy.namespace, tiers: (p) => (p.labels?.['tiers'] ?? '').split(',').filter(Boolean) });
    ix.set('a/p', entry({ namespace: 'a', node: 'n1', labels: { tiers: 'web,db' } }, '1'));
    ix.set('a/q', entry({ namespace: 'a', node: 'n1' }, '1'));
    // Same index values: still filed, and the lookup returns the new object.
    ix.set('a/p', entry({ namespace: 'a', node: 'n1', labels: { tiers: 'web,db' } }, '2'));
    expect(ix.indexKeys('node', 'n1').sort()).toEqual(['a/p', 'a/q']);
    expect(ix.byIndex('tiers', 'db').map((p) => p.labels?.['tiers'])).toEqual(['web,db']);
    // Moved to another node, out of one tier, and unscheduled (no node: in no node value).
    ix.set('a/p', entry({ namespace: 'a', node: 'n2', labels: { tiers: 'web' } }, '3'));
    expect(ix.indexKeys('node', 'n1')).toEqual(['a/q']);
    expect(ix.indexKeys('node', 'n2')).toEqual(['a/p']);
    expect(ix.indexKeys('tiers', 'db')).toEqual([]);
    expect(ix.indexValues('tiers')).toEqual(['web']);
    ix.set('a/p', entry({ namespace: 'a', node: '', labels: { tiers: 'web' } }, '4'));
    expect(ix.indexValues('node')).toEqual(['n1']);
    ix.delete('a/q');
    expect(ix.indexValues('node')).toEqual([]);
    expect(ix.indexKeys('namespace', 'a')).toEqual(['a/p']);
  });

  it('files objects cached before an index is added', () => {
    const ix = new Indexer<Pod>();
    ix.set('b/x', entry({ namespace: 'b', node: 'n9' }, '1'));
    ix.addIndex('node', indexBy.node);
    expect(ix.indexKeys('node', 'n9')).toEqual(['b/x']);
  });
});
