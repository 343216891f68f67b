import { describe, expect, it } from 'vitest';
import { SchedulerCache } from '../../../../colocation/scheduler/cache.js';
import { CycleState } from '../../../../colocation/scheduler/framework/cycle-state.js';
import { interPodAntiAffinity } from '../../../../colocation/scheduler/plugins/inter-pod-anti-affinity.js';
import { node, pod, stateFor } from '../fixtures.js';

const OWN = "node(s) didn't match pod anti-affinity rules";
const EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules";

function antiAffinity(topologyKey: string, matchLabels: Record<string, string>, namespaces?: string[]) {
  return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey, labelSelector: { matchLabels }, ...(namespaces ? { namespaces } : {}) }] } };
}

function cluster(): SchedulerCache {
  const cache = new SchedulerCache();
  cache.upsertNode(node('n1', { labels: { zone: 'a' } }));
  cache.upsertNode(node('n2', { labels: { zone: 'a' } }));
  cache.upsertNode(node('n3', { labels: { zone: 'b' } }));
  return cache;
}

describe('InterPodAntiAffinity', () => {
  it('keeps a pod off the host that already runs a pod its hostname anti-affinity matches', () => {
    const cache = cluster();
    cache.upsertPod(pod('web-1', { labels: { app: 'web' }, nodeName: 'n1' }));
    const plugin = interPodAntiAffinity(cache);
    const p = pod('web-2', { labels: { app: 'web' }, affinity: antiAffinity('kubernetes.io/hostname', { app: 'web' }) });
    const s = stateFor(plugin, p);
    expect(plugin.filter(s, p, cache.node('n1')!)?.reasons).toEqual([OWN]);
    expect(plugin.filter(s, p, cache.node('n2')!)).toBeUndefined();
  });

  it('applies a zone topology to every node of the zone', () => {
    const cache = cluster();
    cache.upsertPod(pod('db-1', { labels: { app: 'db' }, nodeName: 'n1' }));
    const plugin = interPodAntiAffinity(cache);
    const p = pod('db-2', { labels: { app: 'db' }, affinity: antiAffinity('zone', { app: 'db' }) });
    const s = stateFor(plugin, p);
    expect(plugin.filter(s, p, cache.node('n2')!)?.reasons).toEqual([OWN]);
    expect(plugin.filter(s, p, cache.node('n3')!)).toBeUndefined();
  });

  it("honours existing pods' anti-affinity against the newcomer (the symmetric rule)", () => {
    const cache = cluster();
    cache.upsertPod(pod('loner', { labels: { app: 'loner' }, nodeName: 'n2', affinity: antiAffinity('kubernetes.io/hostname', { team: 'noisy' }) }));
    const plugin = interPodAntiAffinity(cache);
    const p = pod('noisy', { labels: { team: 'noisy' } });
    const s = stateFor(plugin, p);
    expect(plugin.filter(s, p, cache.node('n2')!)?.reasons).toEqual([EXISTING]);
    expect(plugin.filter(s, p, cache.node('n1')!)).toBeUndefined();
  });

  it("looks only in the term's namespaces (the pod's own by default)", () => {
    const cache = cluster();
    cache.upsertPod(pod('web-1', { namespace: 'other', labels: { app: 'web' }, nodeName: 'n1' }));
    const plugin = interPodAntiAffinity(cache);
    const p = pod('web-2', { labels: { app: 'web' }, affinity: antiAffinity('kubernetes.io/hostname', { app: 'web' }) });
    expect(plugin.filter(stateFor(plugin, p), p, cache.node('n1')!)).toBeUndefined();
    const q = pod('web-3', { labels: { app: 'web' }, affinity: antiAffinity('kubernetes.io/hostname', { app: 'web' }, ['other']) });
    expect(plugin.filter(stateFor(plugin, q), q, cache.node('n1')!)?.reasons).toEqual([OWN]);
  });

  it('is skipped when no pod anywhere has anti-affinity', () => {
    const cache = cluster();
    cache.upsertPod(pod('a', { nodeName: 'n1' }));
    expect(interPodAntiAffinity(cache).preFilter(new CycleState(), pod('p'))?.code).toBe('Skip');
  });
});
