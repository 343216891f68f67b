// Pods for `bench kube`: shaped like real Deployment replicas after the kubelet started them.

export const NAMESPACES = 50;
export const NODES = 500;

/** A pod shaped like a real Deployment replica after the kubelet has started it (~4 KB of JSON). */
export function realisticPod(i: number) {
  const ns = `team-${i % NAMESPACES}`;
  const app = `svc-${i % 997}`;
  const hash = (i % 7919).toString(16).padStart(8, '0');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${app}-${hash}-${i.toString(36)}`,
      namespace: ns,
      labels: { app, 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': `${app}-prod`, 'pod-template-hash': hash, version: 'v1.42.0', team: ns },
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9090',
        'kubectl.kubernetes.io/restartedAt': '2026-11-20T10:00:00Z',
        'checksum/config': 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-${hash}`, uid: `00000000-0000-4000-8000-${hash}0000`, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      nodeName: `node-${i % NODES}`,
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: 'app',
          image: `registry.example.com/${ns}/${app}:v1.42.0`,
          args: ['--port=8080', '--metrics-port=9090', '--log-level=info'],
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
          ],
          env: [
            { name: 'APP_NAME', value: app },
            { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
            { name: 'JAVA_OPTS', value: '-Xms512m -Xmx1g -XX:+UseG1GC' },
          ],
          resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
          livenessProbe: { httpGet: { path: '/livez', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
          volumeMounts: [
            { name: 'config', mountPath: '/etc/app', readOnly: true },
            { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
          ],
          imagePullPolicy: 'IfNotPresent',
        },
        {
          name: 'sidecar-proxy',
          image: 'registry.example.com/mesh/proxy:1.20.3',
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: `${app}-config`, defaultMode: 420 } },
        { name: 'kube-api-access', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } },
      ],
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
  };
}

export function podStatus(i: number) {
  const t = '2026-11-20T10:00:05Z';
  return {
    phase: 'Running',
    qosClass: 'Burstable',
    hostIP: `10.0.${(i % NODES) >> 8}.${(i % NODES) & 255}`,
    podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
    startTime: t,
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t })),
    containerStatuses: ['app', 'sidecar-proxy'].map((name) => ({
      name,
      ready: true,
      started: true,
      restartCount: 0,
      image: `registry.example.com/${name}:v1`,
      imageID: `registry.example.com/${name}@sha256:4f8c1e2d9b3a5c7e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6`,
      containerID: `containerd://${i.toString(16).padStart(12, '0')}9b3a5c7e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6`,
      state: { running: { startedAt: t } },
    })),
  };
}
