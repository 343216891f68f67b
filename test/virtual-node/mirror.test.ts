// buildMirror: the allowlist, the deterministic name, what never crosses, and refusals.
import { describe, expect, it } from 'vitest';
import { buildMirror, mirrorName, referencesOf, type PodJson } from '../../virtual-node/index.js';

const hostPod = (over: { spec?: Record<string, unknown>; metadata?: PodJson['metadata'] } = {}): PodJson => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'spark-exec-1',
    namespace: 'analytics',
    uid: '11111111-2222-3333-4444-555555555555',
    resourceVersion: '42',
    labels: { 'spark-role': 'executor' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'data' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'driver', controller: true }],
    ...over.metadata,
  },
  spec: {
    nodeName: 'tidepool',
    schedulerName: 'default-scheduler',
    priority: 0,
    serviceAccountName: 'spark',
    tolerations: [
      { key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    readinessGates: [{ conditionType: 'host.example/ready' }],
    volumes: [
      { name: 'kube-api-access-abcde', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }, { configMap: { name: 'kube-root-ca.crt' } }] } },
      { name: 'conf', configMap: { name: 'spark-conf' } },
      { name: 'scratch', emptyDir: {} },
    ],
    containers: [
      {
        name: 'executor',
        image: 'spark:3.5',
        env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
        envFrom: [{ configMapRef: { name: 'env-cm' } }],
        volumeMounts: [
          { name: 'kube-api-access-abcde', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
          { name: 'conf', mountPath: '/opt/spark/conf' },
        ],
        resources: { requests: { cpu: '1', memory: '2Gi' } },
      },
    ],
    imagePullSecrets: [{ name: 'registry' }],
    ...over.spec,
  },
  status: { phase: 'Pending' },
});

const opts = { hostCluster: 'host', nodeName: 'tidepool', allowHostNetwork: false };

describe('buildMirror', () => {
  it('keeps the workload and drops what belongs to the host cluster', () => {
    const r = buildMirror(hostPod(), opts);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = r.pod;
    expect(m.metadata?.name).toBe(mirrorName('host', hostPod()));
    expect(m.metadata?.namespace).toBe('analytics');
    expect(m.metadata).not.toHaveProperty('ownerReferences');
    expect(m.metadata).not.toHaveProperty('uid');
    expect(m.metadata).not.toHaveProperty('resourceVersion');
    expect(m).not.toHaveProperty('status');
    expect(m.metadata?.labels).toEqual({ 'spark-role': 'executor', 'tidepool.dev/managed-by': 'tidepool', 'tidepool.dev/origin-cluster': 'host' });
    expect(m.metadata?.annotations).toEqual({
      team: 'data',
      'tidepool.dev/origin-cluster': 'host',
      'tidepool.dev/origin-namespace': 'analytics',
      'tidepool.dev/origin-name': 'spark-exec-1',
      'tidepool.dev/origin-uid': '11111111-2222-3333-4444-555555555555',
    });
    const spec = m.spec!;
    for (const k of ['nodeName', 'schedulerName', 'priority', 'readinessGates']) expect(spec).not.toHaveProperty(k);
    expect(spec['tolerations']).toEqual([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
    expect(spec['volumes']).toEqual([{ name: 'conf', configMap: { name: 'spark-conf' } }, { name: 'scratch', emptyDir: {} }]);
    const c = (spec['containers'] as Array<Record<string, unknown>>)[0]!;
    expect(c['volumeMounts']).toEqual([{ name: 'conf', mountPath: '/opt/spark/conf' }]);
    expect(spec['automountServiceAccountToken']).toBe(false);
    expect(spec['serviceAccountName']).toBe('spark');
    expect(r.refs).toEqual({ configMaps: ['env-cm', 'spark-conf'], secrets: ['db', 'registry'], serviceAccount: 'spark' });
  });

  it('names the mirror deterministically: same pod, same name; a new pod under an old name, a new name', () => {
    expect(mirrorName('host', hostPod())).toBe(mirrorName('host', hostPod()));
    expect(mirrorName('host', hostPod({ metadata: { name: 'spark-exec-1', namespace: 'analytics', uid: 'other' } }))).not.toBe(mirrorName('host', hostPod()));
    expect(mirrorName('host2', hostPod())).not.toBe(mirrorName('host', hostPod()));
    const long = mirrorName('host', hostPod({ metadata: { name: 'x'.repeat(200), namespace: 'a', uid: 'u' } }));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('hostNetwork crosses only where the member allows it', () => {
    const pod = hostPod({ spec: { hostNetwork: true } });
    const refused = buildMirror(pod, opts);
    expect(refused).toMatchObject({ ok: false, reason: 'HostNetworkNotAllowed' });
    const allowed = buildMirror(pod, { ...opts, allowHostNetwork: true });
    expect(allowed.ok && allowed.pod.spec?.['hostNetwork']).toBe(true);
    expect(allowed.ok && allowed.pod.spec?.['dnsPolicy']).toBe('ClusterFirstWithHostNet');
  });

  it('refuses volumes that cannot exist in another cluster, and hostPID', () => {
    expect(buildMirror(hostPod({ spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'd' } }] } }), opts)).toMatchObject({ ok: false, reason: 'UnsupportedVolume' });
    expect(buildMirror(hostPod({ spec: { hostPID: true } }), opts)).toMatchObject({ ok: false, reason: 'UnsupportedSpec' });
  });

  it('keeps priorityClassName only where the member has the class', () => {
    const pod = hostPod({ spec: { priorityClassName: 'tidepool-offline' } });
    const without = buildMirror(pod, opts);
    expect(without.ok && without.pod.spec?.['priorityClassName']).toBeFalsy();
    expect(without.ok && without.dropped[0]).toMatch(/priorityClassName tidepool-offline/);
    const withIt = buildMirror(pod, { ...opts, memberPriorityClasses: new Set(['tidepool-offline']) });
    expect(withIt.ok && withIt.pod.spec?.['priorityClassName']).toBe('tidepool-offline');
  });

  it('gives a pod that mounts a token the host identity: Secret at the standard path, host API address', () => {
    const r = buildMirror(hostPod(), { ...opts, hostApi: { secretName: 'x-host-token', host: '10.0.0.1', port: 6443 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = (r.pod.spec!['containers'] as Array<Record<string, unknown>>)[0]!;
    expect(c['volumeMounts']).toContainEqual({ name: 'tidepool-host-api', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
    expect(c['env']).toContainEqual({ name: 'KUBERNETES_SERVICE_HOST', value: '10.0.0.1' });
    expect(c['env']).toContainEqual({ name: 'KUBERNETES_SERVICE_PORT', value: '6443' });
    expect(referencesOf(r.pod.spec!).secrets).toContain('x-host-token');
  });

  it('says why a malformed pod cannot cross', () => {
    expect(buildMirror({ metadata: { name: 'a', uid: 'u' }, spec: {} }, opts)).toMatchObject({ ok: false, reason: 'InvalidPod' });
    expect(buildMirror({ metadata: { name: 'a' }, spec: { containers: [{ name: 'c' }] } }, opts)).toMatchObject({ ok: false, reason: 'InvalidPod' });
  });
});
