// A virtual node's kubelet API on a real sim: a host cluster where host pods are bound to the
// virtual node "vn", a member cluster where their mirrors run on simulated nodes, and an
// in-memory KubeletBackend joining the two as the pod controller would.

import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { Registry } from 'prom-client';
import { createCertificateAuthority, KubeClient, type CertificateAuthority, type CertificateKeyPair, type KubeClientOptions, type RawObject, type RequestEvent } from '../../../kube/index.js';
import type { KubeletBackend, MirrorLocation } from '../../../virtual-node/kubelet-backend.js';
import { startKubeletApi, type KubeletApi, type KubeletApiOptions } from '../../../virtual-node/kubelet-api/index.js';
import { accessFor, readResponse, startTestSim, type RawResponse, type TestSim } from '../../sim/e2e/helpers.js';
import { waitFor } from '../../helpers/wait.js';

export const NODE = 'vn';

/** The pod controller's view, kept by hand: host pods by key, and where their mirrors are. */
export class MemoryBackend implements KubeletBackend {
  readonly pods = new Map<string, RawObject>();
  readonly mirrors = new Map<string, MirrorLocation>();
  nodes: string[] = [NODE];

  nodeNames(): string[] {
    return this.nodes;
  }
  mirrorOf(namespace: string, name: string): MirrorLocation | undefined {
    return this.mirrors.get(`${namespace}/${name}`);
  }
  hasPod(namespace: string, name: string): boolean {
    return this.pods.has(`${namespace}/${name}`);
  }
  hostPods(): RawObject[] {
    return [...this.pods.values()];
  }
}

export function clientFor(t: TestSim, context: string, onRequest?: KubeClientOptions['onRequest']): KubeClient {
  return new KubeClient({ config: { kind: 'inline', text: t.sim.kubeconfig, context }, cluster: context, qps: 1000, burst: 1000, timeoutMs: 5_000, maxAttempts: 1, ...(onRequest ? { onRequest } : {}) });
}

export function podBody(name: string, extra: { nodeName?: string; containers?: string[]; schedulerName?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
      ...(extra.schedulerName ? { schedulerName: extra.schedulerName } : {}),
      containers: (extra.containers ?? ['app']).map((c) => ({ name: c, image: 'nginx:1.27', resources: { requests: { cpu: '200m', memory: '128Mi' } } })),
    },
  };
}

export interface Fixture {
  t: TestSim;
  host: KubeClient;
  /** Every request the host client sent (TokenReviews and SubjectAccessReviews among them). */
  hostRequests: RequestEvent[];
  member: KubeClient;
  backend: MemoryBackend;
  /** Signs client certificates the kubelet API accepts (besides the sim's own kubelet-client certificate). */
  clientCa: CertificateAuthority;
  /** The sim's CA: it signs the API servers' certificates and the apiserver's kubelet-client certificate. */
  simCa: string;
  registry: Registry;
  api: KubeletApi;
  /**
   * Host pod default/<name> bound to the virtual node, with a mirror `<name>-mirror` in the
   * member: running on a simulated node, or bound to `memberNode` (a Node registered with
   * registerNode, whose stand-in kubelet runs it).
   */
  addPlacedPod(name: string, opts?: { containers?: string[]; memberNode?: string }): Promise<RawObject>;
  /** Host pod default/<name> bound to the virtual node, not placed anywhere yet. */
  addUnplacedPod(name: string): Promise<RawObject>;
  get(path: string, opts?: CallOptions): Promise<RawResponse>;
  /** Opens a request and resolves at the response headers, body unread. */
  open(path: string, opts?: CallOptions): Promise<IncomingMessage>;
  stop(): Promise<void>;
}

export async function startFixture(opts: Partial<KubeletApiOptions> = {}): Promise<Fixture> {
  const t = await startTestSim({ clusters: ['host', 'member'], nodes: 1, hostNodes: 0, startDelayMs: 20 });
  const registry = new Registry();
  const hostRequests: RequestEvent[] = [];
  const host = clientFor(t, 'host', (e) => hostRequests.push(e));
  const member = clientFor(t, 'member');
  const backend = new MemoryBackend();
  const clientCa = createCertificateAuthority('test-client-ca');
  const simCa = accessFor(t.sim.kubeconfig, 'host').ca;
  let api: KubeletApi;
  try {
    api = await startKubeletApi({ backend, host, listen: { host: '127.0.0.1', port: 0 }, clientCaPem: clientCa.cert + simCa, registry, ...opts });
  } catch (e) {
    await t.stop();
    throw e;
  }

  const createHostPod = async (name: string): Promise<RawObject> => {
    const res = await host.requestJson<RawObject>({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: podBody(name, { nodeName: NODE, schedulerName: 'none' }) });
    backend.pods.set(`default/${name}`, res);
    return res;
  };

  const fixture: Fixture = {
    t,
    host,
    hostRequests,
    member,
    backend,
    clientCa,
    simCa,
    registry,
    api,
    async addPlacedPod(name, o = {}) {
      const containers = o.containers ?? ['app'];
      const mirrorName = `${name}-mirror`;
      const placement = o.memberNode ? { nodeName: o.memberNode, schedulerName: 'none' } : {};
      await member.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: podBody(mirrorName, { containers, ...placement }) });
      if (!o.memberNode) {
        await waitFor(`mirror ${mirrorName} running`, async () => {
          const p = await member.requestJson<{ status?: { phase?: string } }>({ path: `/api/v1/namespaces/default/pods/${mirrorName}` });
          return p.status?.phase === 'Running';
        });
      }
      const pod = await host.requestJson<RawObject>({
        method: 'POST',
        path: '/api/v1/namespaces/default/pods',
        body: podBody(name, { nodeName: NODE, schedulerName: 'none', containers }),
      });
      backend.pods.set(`default/${name}`, pod);
      backend.mirrors.set(`default/${name}`, { cluster: 'member', client: member, namespace: 'default', name: mirrorName });
      return pod;
    },
    addUnplacedPod: createHostPod,
    get: (path, o = {}) => requestTo(api, path, o),
    open: (path, o = {}) => openTo(api, path, o),
    async stop() {
      await api.close();
      host.close();
      member.close();
      await t.stop();
    },
  };
  return fixture;
}

export interface CallOptions {
  cert?: CertificateKeyPair;
  token?: string;
  method?: string;
  signal?: AbortSignal;
}

function requestOptions(api: KubeletApi, path: string, o: CallOptions): RequestOptions {
  return {
    host: '127.0.0.1',
    port: api.port,
    path,
    method: o.method ?? 'GET',
    ca: api.certPem,
    agent: false,
    timeout: 10_000,
    ...(o.cert ? { cert: o.cert.cert, key: o.cert.key } : {}),
    headers: o.token ? { Authorization: `Bearer ${o.token}` } : {},
    ...(o.signal ? { signal: o.signal } : {}),
  };
}

/** One request to a kubelet API, trusting its serving certificate; the whole answer. */
export function requestTo(api: KubeletApi, path: string, o: CallOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(requestOptions(api, path, o), (res) => readResponse(res).then(resolve, reject));
    req.on('timeout', () => req.destroy(new Error(`${o.method ?? 'GET'} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** One request to a kubelet API, resolved at the response headers with the body unread. */
export function openTo(api: KubeletApi, path: string, o: CallOptions = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(requestOptions(api, path, o), resolve);
    req.on('timeout', () => req.destroy(new Error(`${o.method ?? 'GET'} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Registers a Node as a kubelet does (the Node, then its status) with its kubelet endpoint at
 * 127.0.0.1:`port`, so the cluster proxies logs and exec of its pods there.
 */
export async function registerNode(client: KubeClient, name: string, port: number): Promise<void> {
  await client.request({ method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name } } });
  await client.request({
    method: 'PUT',
    path: `/api/v1/nodes/${name}/status`,
    body: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    },
  });
}

/** A ClusterRole with `verbs` on the core `resources` (e.g. nodes/proxy), bound to one subject on the host. */
export async function grant(host: KubeClient, name: string, subject: { kind: 'User' | 'Group' | 'ServiceAccount'; name: string; namespace?: string }, resources: string[], verbs = ['get']): Promise<void> {
  await host.request({
    method: 'POST',
    path: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: [{ apiGroups: [''], resources, verbs }] },
  });
  await host.request({
    method: 'POST',
    path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ ...subject, ...(subject.kind === 'ServiceAccount' ? {} : { apiGroup: 'rbac.authorization.k8s.io' }) }],
    },
  });
}

/** The value of one series of a prom-client registry (0 when absent). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const data = await m.get();
  const hit = data.values.find((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want));
  return hit?.value ?? 0;
}
