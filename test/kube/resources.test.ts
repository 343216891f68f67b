import { describe, it, expect } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { QuantityError } from '../../kube/quantity.js';
import {
  addResources,
  containerRequests,
  fits,
  formatResourceList,
  maxResources,
  parseResourceList,
  podLimits,
  podRequests,
  qosClass,
  subtractResources,
  type ContainerLike,
  type PodLike,
} from '../../kube/resources.js';

function container(
  name: string,
  requests?: Record<string, string>,
  limits?: Record<string, string>,
  restartPolicy?: string,
): ContainerLike {
  return { name, resources: { ...(requests && { requests }), ...(limits && { limits }) }, ...(restartPolicy && { restartPolicy }) };
}

function pod(spec: PodLike['spec'], labels?: Record<string, string>): PodLike {
  return { metadata: { name: 'p', namespace: 'ns', ...(labels && { labels }) }, spec };
}

const guaranteed = (cpu: string, memory: string) => container('app', { cpu, memory }, { cpu, memory });

describe('parseResourceList / formatResourceList', () => {
  it('turns cpu into millicores and everything else into whole units, rounding up', () => {
    expect(
      parseResourceList({ cpu: '1.5', memory: '1Gi', pods: '110', 'kubernetes.io/batch-cpu': '2500', 'example.com/gpu': '500m' }),
    ).toEqual({ cpu: 1500, memory: 1073741824, pods: 110, 'kubernetes.io/batch-cpu': 2500, 'example.com/gpu': 1 });
  });

  it('says where a malformed quantity was found', () => {
    const bad = pod({ containers: [container('app', { cpu: '10x' })] });
    expect(() => podRequests(bad)).toThrow(QuantityError);
    expect(() => podRequests(bad)).toThrow(/"10x".*pod ns\/p container app requests, resource cpu/);
  });

  it('formats amounts back into canonical wire quantities', () => {
    expect(
      formatResourceList({ cpu: 2500, memory: 2 * 2 ** 30, 'ephemeral-storage': 1_000_000_000, pods: 110, 'kubernetes.io/batch-memory': 2 ** 20 }),
    ).toEqual({ cpu: '2500m', memory: '2Gi', 'ephemeral-storage': '1000000000', pods: '110', 'kubernetes.io/batch-memory': '1Mi' });
    // Extended resources named like memory are bytes too; other extended resources are counts.
    expect(formatResourceList({ 'example.com/gpu-memory': 2 ** 30, 'example.com/gpu': 2 })).toEqual({ 'example.com/gpu-memory': '1Gi', 'example.com/gpu': '2' });
  });
});

describe('podRequests', () => {
  it('sums the app containers', () => {
    const p = pod({ containers: [container('a', { cpu: '100m', memory: '64Mi' }), container('b', { cpu: '250m' })] });
    expect(podRequests(p)).toEqual({ cpu: 350, memory: 64 * 2 ** 20 });
  });

  it('takes a container request from its limit when only the limit is set (API defaulting)', () => {
    expect(containerRequests(container('a', { memory: '1Gi' }, { cpu: '2', memory: '2Gi' }))).toEqual({
      cpu: 2000,
      memory: 2 ** 30,
    });
    expect(podRequests(pod({ containers: [container('a', undefined, { cpu: '1' })] }))).toEqual({ cpu: 1000 });
  });

  it('counts only the largest plain init container, since they run one at a time', () => {
    const p = pod({
      initContainers: [container('migrate', { cpu: '2', memory: '128Mi' }), container('warm', { cpu: '500m', memory: '1Gi' })],
      containers: [container('app', { cpu: '1', memory: '256Mi' })],
    });
    expect(podRequests(p)).toEqual({ cpu: 2000, memory: 2 ** 30 });
  });

  it('adds restartable sidecars to the app containers and to every init container started after them', () => {
    const p = pod({
      initContainers: [
        container('init-before', { cpu: '3' }), // runs alone: 3
        container('proxy', { cpu: '500m' }, undefined, 'Always'), // sidecar from here on
        container('init-after', { cpu: '2800m' }), // runs beside the proxy: 3.3
      ],
      containers: [container('app', { cpu: '1' })], // 1 + 0.5 proxy = 1.5
    });
    expect(podRequests(p)).toEqual({ cpu: 3300 });
  });

  it('lets app containers plus sidecars win when they exceed every init container', () => {
    const p = pod({
      initContainers: [container('log', { memory: '100Mi' }, undefined, 'Always'), container('init', { memory: '150Mi' })],
      containers: [container('app', { memory: '200Mi' })],
    });
    expect(podRequests(p)).toEqual({ memory: 300 * 2 ** 20 });
  });

  it('adds the pod overhead', () => {
    const p = pod({ containers: [container('a', { cpu: '100m' })], overhead: { cpu: '250m', memory: '120Mi' } });
    expect(podRequests(p)).toEqual({ cpu: 350, memory: 120 * 2 ** 20 });
  });

  it('uses pod-level resources instead of the container sum for the resources they name', () => {
    const p = pod({
      resources: { requests: { cpu: '2' }, limits: { memory: '1Gi' } },
      containers: [container('a', { cpu: '100m', memory: '10Mi', 'ephemeral-storage': '1Gi' })],
      overhead: { cpu: '100m' },
    });
    expect(podRequests(p)).toEqual({ cpu: 2100, memory: 2 ** 30, 'ephemeral-storage': 2 ** 30 });
  });

  it('is empty for a pod without containers or spec', () => {
    expect(podRequests({})).toEqual({});
  });

  it('accepts @kubernetes/client-node objects', () => {
    const v1: V1Pod = { metadata: { name: 'x' }, spec: { containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }] } };
    expect(podRequests(v1)).toEqual({ cpu: 1000 });
  });
});

describe('podLimits', () => {
  it('follows the same init/sidecar rules, and adds overhead only where a limit exists', () => {
    const p = pod({
      initContainers: [container('init', undefined, { cpu: '4' }), container('proxy', undefined, { cpu: '1', memory: '100Mi' }, 'Always')],
      containers: [container('app', undefined, { cpu: '2' })],
      overhead: { cpu: '100m', 'ephemeral-storage': '1Gi' },
    });
    expect(podLimits(p)).toEqual({ cpu: 4100, memory: 100 * 2 ** 20 });
  });

  it('leaves out resources no container limits', () => {
    expect(podLimits(pod({ containers: [container('a', { cpu: '1', memory: '1Gi' })] }))).toEqual({});
  });
});

describe('qosClass', () => {
  it('BestEffort when nothing requests or limits cpu or memory', () => {
    expect(qosClass(pod({ containers: [container('a'), container('b', { 'ephemeral-storage': '1Gi' })] }))).toBe('BestEffort');
  });

  it('Guaranteed when every container limits cpu and memory and requests equal limits', () => {
    expect(qosClass(pod({ containers: [guaranteed('1', '1Gi'), guaranteed('500m', '100Mi')] }))).toBe('Guaranteed');
  });

  it('Guaranteed when only limits are given, since requests default to them', () => {
    expect(qosClass(pod({ containers: [container('a', undefined, { cpu: '1', memory: '1Gi' })] }))).toBe('Guaranteed');
  });

  it('counts init containers too', () => {
    const p = pod({ initContainers: [container('init', { cpu: '100m' })], containers: [guaranteed('1', '1Gi')] });
    expect(qosClass(p)).toBe('Burstable');
  });

  it.each([
    ['requests below limits', container('a', { cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })],
    ['a missing memory limit', container('a', { cpu: '1' }, { cpu: '1' })],
    ['requests only', container('a', { cpu: '1', memory: '1Gi' })],
    ['an explicit zero request under a limit', container('a', { cpu: '0', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })],
  ])('Burstable with %s', (_why, c) => {
    expect(qosClass(pod({ containers: [c] }))).toBe('Burstable');
  });

  it('trusts status.qosClass when set', () => {
    expect(qosClass({ ...pod({ containers: [container('a')] }), status: { qosClass: 'Guaranteed' } })).toBe('Guaranteed');
  });

  it('uses pod-level resources when they name cpu or memory', () => {
    const p = pod({
      resources: { limits: { cpu: '2', memory: '2Gi' } },
      containers: [container('a', { cpu: '100m' }), container('b')],
    });
    expect(qosClass(p)).toBe('Guaranteed');
  });
});

describe('resource arithmetic', () => {
  it('adds, subtracts and takes maxima over the union of names without mutating inputs', () => {
    const a = Object.freeze({ cpu: 1000, memory: 10 });
    const b = Object.freeze({ cpu: 250, pods: 1 });
    expect(addResources(a, b)).toEqual({ cpu: 1250, memory: 10, pods: 1 });
    expect(subtractResources(a, b)).toEqual({ cpu: 750, memory: 10, pods: -1 });
    expect(maxResources(a, { cpu: 2000, memory: 5 })).toEqual({ cpu: 2000, memory: 10 });
    expect(a).toEqual({ cpu: 1000, memory: 10 });
  });

  it('fits lists every resource that is short, treating a missing free entry as none free', () => {
    const free = { cpu: 1000, memory: 2 ** 30 };
    expect(fits({ cpu: 1000, memory: 2 ** 30 }, free)).toEqual([]);
    expect(fits({ cpu: 1001, memory: 2 ** 31, 'kubernetes.io/batch-cpu': 1, pods: 0 }, free)).toEqual([
      'cpu',
      'memory',
      'kubernetes.io/batch-cpu',
    ]);
  });
});
