// The pods bound to this node, from the Kubernetes API, through kube/'s informer
// (paginated LIST + WATCH with `fieldSelector=spec.nodeName=<node>`, resumed by
// resourceVersion, relist on 410, backoff). Each pod is projected to PodInfo at
// once; full objects are not kept. A pod whose input is bad (malformed quantity,
// unknown QoS label) is reported once per distinct problem, and when it cannot be
// read at all the agent keeps its last good view of it: nothing is lost.
import type { V1Pod } from '@kubernetes/client-node';
import { createInformer, isDNS1123Subdomain, silentLogger, type Informer, type KubeClient, type Logger, type RawObject } from '../kube/index.js';
import { checkPod, toPodInfo } from './pod-projection.js';
import type { PodInfo, PodSource } from './pods.js';

/** What the Event about a pod needs (a reference, not the object). */
export interface PodRef {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; uid: string };
}

export interface PodProblem {
  pod: PodRef;
  reason: string;
  message: string;
}

export interface KubePodSourceOptions {
  client: KubeClient;
  nodeName: string;
  log?: Logger;
  /** Bad input on a pod: reported, e.g. as a Warning Event. */
  onProblem?: (p: PodProblem) => void;
  watchTimeoutSeconds?: number;
}

/** The informer's cached form: the projection (or null) and what was wrong. */
interface Projected {
  ref: PodRef;
  info: PodInfo | null;
  problems: { reason: string; message: string }[];
}

/** Node names are DNS-1123 subdomains, as the API server checks them. */
export function isValidNodeName(name: string): boolean {
  return isDNS1123Subdomain(name).length === 0;
}

function project(raw: RawObject): Projected {
  const pod = raw as unknown as V1Pod;
  const ref: PodRef = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default', uid: pod.metadata?.uid ?? '' },
  };
  const problems = checkPod(pod);
  let info: PodInfo | null = null;
  try {
    info = toPodInfo(pod);
  } catch (err) {
    problems.push({ reason: 'InvalidResources', message: `${(err as Error).message}; the isolation agent keeps its last good view of this pod` });
  }
  return { ref, info, problems };
}

export class KubePodSource implements PodSource {
  private readonly informer: Informer<Projected>;
  private readonly log: Logger;
  /** uid -> last good projection (survives an update that cannot be read). */
  private readonly byUid = new Map<string, PodInfo>();
  private readonly reported = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private removeHandlers: (() => void) | null = null;

  constructor(private readonly o: KubePodSourceOptions) {
    if (!isValidNodeName(o.nodeName)) throw new Error(`node name "${o.nodeName}" is not a valid Kubernetes node name`);
    this.log = o.log ?? silentLogger;
    this.informer = createInformer<Projected>({
      client: o.client,
      resource: { version: 'v1', resource: 'pods' },
      fieldSelector: `spec.nodeName=${o.nodeName}`,
      project,
      name: `isolation-agent/pods@${o.nodeName}`,
      logger: this.log,
      ...(o.watchTimeoutSeconds === undefined ? {} : { watchTimeoutSeconds: o.watchTimeoutSeconds }),
    });
  }

  pods(): readonly PodInfo[] {
    return [...this.byUid.values()];
  }

  synced(): boolean {
    return this.informer.hasSynced();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.removeHandlers !== null) return;
    this.removeHandlers = this.informer.addHandlers({
      onAdd: (p) => this.upsert(p),
      onUpdate: (_old, p) => this.upsert(p),
      onDelete: (p) => {
        this.reported.delete(p.ref.metadata.uid);
        if (this.byUid.delete(p.ref.metadata.uid)) this.notify();
      },
    });
    this.informer.start();
  }

  /** True once the first LIST is in; false when the signal or timeout came first. */
  waitForSync(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<boolean> {
    return this.informer.waitForSync(options);
  }

  async stop(): Promise<void> {
    this.removeHandlers?.();
    this.removeHandlers = null;
    await this.informer.stop();
  }

  private upsert(p: Projected): void {
    const uid = p.ref.metadata.uid;
    this.report(p);
    if (p.info === null) return;
    this.byUid.set(uid, p.info);
    this.notify();
  }

  private report(p: Projected): void {
    const uid = p.ref.metadata.uid;
    const key = p.problems.map((x) => `${x.reason}:${x.message}`).join('|');
    if (key === '') {
      this.reported.delete(uid);
      return;
    }
    if (this.reported.get(uid) === key) return;
    this.reported.set(uid, key);
    for (const x of p.problems) {
      this.log.warn({ pod: `${p.ref.metadata.namespace}/${p.ref.metadata.name}`, reason: x.reason, message: x.message }, 'bad pod input');
      this.o.onProblem?.({ pod: p.ref, ...x });
    }
  }

  private notify(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'pod listener failed');
      }
    }
  }
}
