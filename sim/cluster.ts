// One simulated Kubernetes cluster: storage, the API over HTTPS, simulated kubelets,
// the default scheduler, the namespace and service-account controllers, authentication
// (admin token, ServiceAccount tokens it signs) and RBAC authorization, and fault
// injection (latency, errors, outage, dropped watches, compaction).

import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ClusterApi } from './api.js';
import {
  aggregateClusterRoles,
  bootstrapPolicy,
  createClusterAuth,
  createSigningKey,
  grantToken,
  installAuthRoutes,
  startClusterRoleAggregation,
  type ClusterAuth,
  type TokenRequestSpec,
} from './auth/index.js';
import { ApiError } from './errors.js';
import { mergeFaults, NO_FAULTS, type FaultSettings } from './faults.js';
import { podSubresources } from './http/pod-logs.js';
import { buildServer, type ServerHandle } from './http/server.js';
import { WatchRegistry } from './http/watch.js';
import { installKindHooks, reconcileTerminatingNamespaces } from './kinds.js';
import { DEFAULT_FLEET_OPTIONS, NodeFleet, type FleetOptions, type NodeShape } from './kubelet.js';
import type { KubeconfigCluster } from './kubeconfig.js';
import type { KubeObject } from './object.js';
import { ResourceRegistry } from './resources.js';
import { SimScheduler } from './scheduler.js';
import { Store } from './store.js';
import { systemClock, type Clock } from './time.js';
import type { CertificateAuthority } from '../kube/index.js';
import { AdmissionWebhooks } from './webhooks/index.js';

export interface ClusterOptions {
  name: string;
  ca: CertificateAuthority;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  token?: string;
  nodes?: number;
  nodeShape?: NodeShape;
  /** Zones assigned round-robin to nodes (topology.kubernetes.io/zone). */
  zones?: string[];
  region?: string;
  scheduler?: boolean;
  fleet?: Partial<Omit<FleetOptions, 'clusterName' | 'clock'>>;
  eventWindow?: number;
  bookmarkIntervalMs?: number;
  clock?: Clock;
}

export const DEFAULT_NODE_SHAPE: NodeShape = { cpu: '16', memory: '64Gi', pods: 110 };

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export class SimCluster {
  readonly name: string;
  readonly store: Store;
  readonly registry: ResourceRegistry;
  readonly api: ClusterApi;
  readonly fleet: NodeFleet;
  readonly scheduler: SimScheduler;
  readonly watches: WatchRegistry;
  /** The stored MutatingWebhookConfigurations, called on client writes. */
  readonly webhooks: AdmissionWebhooks;
  readonly token: string;
  /** Authentication (admin and ServiceAccount tokens) and RBAC of this cluster's API. */
  readonly auth: ClusterAuth;
  private readonly server: ServerHandle;
  private stopAggregation: (() => void) | undefined;
  private faultSettings: FaultSettings = NO_FAULTS;
  private port = 0;
  private readonly host: string;
  private down = false;
  private nsTimer: NodeJS.Timeout | undefined;
  private readonly caPem: string;

  constructor(private readonly opts: ClusterOptions) {
    this.name = opts.name;
    this.host = opts.host ?? '127.0.0.1';
    this.token = opts.token ?? randomBytes(24).toString('base64url');
    const clock = opts.clock ?? systemClock;
    this.store = new Store({ ...(opts.eventWindow ? { eventWindow: opts.eventWindow } : {}) });
    this.registry = new ResourceRegistry();
    this.api = new ClusterApi(this.store, this.registry, clock);
    installKindHooks(this.api);
    this.fleet = new NodeFleet(this.api, { ...DEFAULT_FLEET_OPTIONS, ...opts.fleet, clusterName: opts.name, clock });
    this.scheduler = new SimScheduler(this.api);
    if (opts.scheduler === false) this.scheduler.setEnabled(false);
    this.watches = new WatchRegistry(opts.bookmarkIntervalMs);
    this.webhooks = new AdmissionWebhooks(this.api);
    this.caPem = opts.ca.cert;
    const serving = opts.ca.issue({ commonName: `${opts.name}-apiserver`, usage: 'server', dnsNames: ['localhost'], ipAddresses: [this.host] });
    const kubeletClient = opts.ca.issue({ commonName: 'kube-apiserver-kubelet-client', organization: ['system:masters'], usage: 'client' });
    this.auth = createClusterAuth(this.api, this.token);
    const serverAddress = (): string => `${this.host}:${this.port}`;
    this.server = buildServer({
      ctx: {
        api: this.api,
        watches: this.watches,
        pods: podSubresources(this.api, this.fleet, kubeletClient),
        metrics: (rt, ns, name) => (rt.resource === 'nodes' ? this.fleet.nodeMetrics(name) : this.fleet.podMetrics(ns, name)),
        webhooks: this.webhooks,
      },
      tls: serving,
      auth: this.auth.requests,
      faults: () => this.faultSettings,
      serverAddress,
    });
    installAuthRoutes(this.server.app, { api: this.api, auth: this.auth.requests, serverAddress });
    this.bootstrap();
  }

  /** Objects every cluster starts with: system namespaces, default ServiceAccounts, priority classes. */
  private bootstrap(): void {
    const nsRt = this.registry.lookup('', 'v1', 'namespaces')!;
    const saRt = this.registry.lookup('', 'v1', 'serviceaccounts')!;
    // The ServiceAccount controller: every new namespace gets a "default" ServiceAccount.
    this.store.subscribe('/namespaces', (ev) => {
      if (ev.type === 'DELETED') return;
      if (ev.type === 'ADDED') {
        setImmediate(() => {
          try {
            this.api.create(saRt, ev.object.name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
          } catch (e) {
            if (!(e instanceof ApiError)) throw e;
          }
        });
      }
      if ((JSON.parse(ev.object.json) as KubeObject).metadata.deletionTimestamp) this.kickNamespaceController();
    });
    for (const ns of SYSTEM_NAMESPACES) this.api.create(nsRt, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    bootstrapPolicy(this.api);
    aggregateClusterRoles(this.api);
    const pcRt = this.registry.lookup('scheduling.k8s.io', 'v1', 'priorityclasses')!;
    for (const [name, value] of [
      ['system-node-critical', 2000001000],
      ['system-cluster-critical', 2000000000],
    ] as const) {
      this.api.create(pcRt, '', {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name },
        value,
        globalDefault: false,
        preemptionPolicy: 'PreemptLowerPriority',
        description: 'Used for system critical pods that must not be moved from their current node.',
      });
    }
    const shape = this.opts.nodeShape ?? DEFAULT_NODE_SHAPE;
    const zones = this.opts.zones ?? [];
    for (let i = 0; i < (this.opts.nodes ?? 0); i++) {
      const zone = zones.length ? zones[i % zones.length] : undefined;
      this.fleet.addNode(`${this.name}-node-${i}`, {
        ...shape,
        labels: {
          ...shape.labels,
          ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}),
          ...(this.opts.region ? { 'topology.kubernetes.io/region': this.opts.region } : {}),
        },
      });
    }
  }

  private kickNamespaceController(): void {
    if (this.nsTimer) return;
    const tick = (): void => {
      reconcileTerminatingNamespaces(this.api);
      const anyLeft = [...this.store.values('/namespaces')].some((o) => (JSON.parse(o.json) as KubeObject).metadata.deletionTimestamp);
      this.nsTimer = anyLeft ? setTimeout(tick, 200) : undefined;
    };
    this.nsTimer = setTimeout(tick, 50);
  }

  async start(): Promise<void> {
    // The ServiceAccount token key is made off the event loop while the server starts listening.
    const key = createSigningKey();
    await this.listen(this.opts.port ?? 0);
    this.auth.tokens.useKey(await key);
    this.stopAggregation = startClusterRoleAggregation(this.api);
    this.fleet.start();
    this.scheduler.start();
  }

  private async listen(port: number): Promise<void> {
    await this.server.app.listen({ host: this.host, port });
    this.port = (this.server.app.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `https://${this.host}:${this.port}`;
  }

  get listening(): boolean {
    return !this.down;
  }

  kubeconfigEntry(): KubeconfigCluster {
    return { name: this.name, server: this.url, caPem: this.caPem, token: this.token };
  }

  /**
   * A ServiceAccount token, as `POST .../serviceaccounts/{name}/token` would return it
   * (same checks: the ServiceAccount and any bound object must exist). For tests that need
   * a non-admin caller. Needs a started cluster (the signing key is made by start()).
   */
  issueToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec = {}): string {
    return grantToken(this.api, this.auth.tokens, namespace, serviceAccount, spec).token;
  }

  // ------------------------------------------------------------ faults

  faults(): FaultSettings {
    return { ...this.faultSettings };
  }

  /** Changes latency / error-rate settings; throws FaultError on a bad value. */
  setFaults(patch: Partial<FaultSettings> | Record<string, unknown>): FaultSettings {
    this.faultSettings = mergeFaults(this.faultSettings, patch as Record<string, unknown>);
    return this.faults();
  }

  clearFaults(): void {
    this.faultSettings = NO_FAULTS;
  }

  /** Ends every open watch stream; clients must reconnect. Returns how many were open. */
  dropWatches(): number {
    return this.watches.dropAll();
  }

  /** Forgets watch history: resuming from any older resourceVersion now gets 410 Gone. */
  compact(): void {
    this.store.compact();
  }

  /**
   * Full outage: the listener closes and open connections are cut, so clients see
   * "connection refused". `outage(false)` listens again on the same port. The cluster's
   * state (and its kubelets) carry on meanwhile, as a real control plane's etcd would.
   */
  async outage(on: boolean): Promise<void> {
    if (on === this.down) return;
    if (on) {
      this.down = true;
      this.watches.dropAll();
      const closed = new Promise<void>((resolve) => this.server.app.server.close(() => resolve()));
      for (const s of this.server.sockets) s.destroy();
      await closed;
    } else {
      await new Promise<void>((resolve, reject) => {
        const srv = this.server.app.server;
        srv.once('error', reject);
        srv.listen(this.port, this.host, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      this.down = false;
    }
  }

  async stop(): Promise<void> {
    this.stopAggregation?.();
    this.scheduler.stop();
    this.fleet.stop();
    if (this.nsTimer) clearTimeout(this.nsTimer);
    this.webhooks.close();
    this.watches.dropAll();
    if (this.down) {
      this.down = false;
      return;
    }
    for (const s of this.server.sockets) s.destroy();
    await this.server.app.close();
  }
}
