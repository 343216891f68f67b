// The load of `bench virtual-node`: the burst of pods onto the virtual node, the watch that sees
// them Running in the host, and the ceiling — the same API work done by a plain client.
//
// The ceiling does, per pod, exactly the writes one pod needs end to end on the happy path:
//   1. POST the pod to the host (the burst's pod body, already bound to a node no kubelet serves,
//      so no scheduler, kubelet or virtual node acts on it);
//   2. POST its mirror to a member (round-robin; the body buildMirror makes for it, unbound, so
//      the member's scheduler binds it and its kubelet starts it, as for a real mirror; labelled
//      with another origin cluster, so the virtual node does not take it for one of its own);
//   3. PATCH the host pod's status to Running (the body the virtual node writes: hostStatusFrom
//      of a running mirror's status), once.
// Step 1 is the burst's creator (the user's client in this process, `concurrency` creates in
// flight); steps 2–3 are done, as each create answers, by a writer standing in for the virtual
// node: a process of its own (_vn-writer.ts, so a shared machine gives it the share it gives the
// virtual node) with its own host and member clients, `concurrency` pods in flight (enough that
// the API, not the writer, is the limit). Every client has the same QPS/burst as the virtual
// node's. The window ends when the host watch has seen every pod Running and every member copy is
// Running (the sims' scheduler and kubelet work is in the window, as it is in the burst's).
import { performance } from 'node:perf_hooks';
import type { KubeClient, RawWatchEvent } from '../../kube/index.js';
import type { CreatedPod } from './_vn-writer.js';

type Obj = Record<string, unknown>;

/** A pod that targets the virtual node as users write it: nodeSelector + toleration. */
export function burstPod(name: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'burst', 'bench.tidepool.dev/run': 'virtual-node' } },
    spec: {
      nodeSelector: { type: 'virtual-kubelet' },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [
        {
          name: 'main',
          image: 'registry.example.com/batch/worker:v3.1.4',
          args: ['--queue=jobs', '--concurrency=4'],
          env: [{ name: 'MODE', value: 'burst' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
        },
      ],
      restartPolicy: 'Always',
    },
  };
}

/** A running mirror's status as the simulated kubelet writes it (what the virtual node copies back). */
export function runningStatus(i: number, startedAt: string): Obj {
  return {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: startedAt })),
    podIP: `10.64.${(i >> 8) & 255}.${i & 255}`,
    podIPs: [{ ip: `10.64.${(i >> 8) & 255}.${i & 255}` }],
    startTime: startedAt,
    containerStatuses: [
      {
        name: 'main',
        ready: true,
        started: true,
        restartCount: 0,
        image: 'registry.example.com/batch/worker:v3.1.4',
        imageID: 'registry.example.com/batch/worker@sha256:4f8c1e2d9b3a5c7e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6',
        containerID: `containerd://${i.toString(16).padStart(12, '0')}9b3a5c7e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3`,
        state: { running: { startedAt } },
      },
    ],
  };
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` running; the first failure rejects. */
export async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < n) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  if (failed !== undefined) throw failed;
}

/**
 * A watch on the host's pods in one namespace that notes when each pod is first seen Running
 * (performance.now() of the event's arrival). Resumes from the last resourceVersion if the
 * server ends the stream.
 */
export class RunningWatch {
  readonly runningAt = new Map<string, number>();
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private error: unknown;

  private constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    rv: string,
  ) {
    this.done = this.loop(rv);
  }

  static async open(client: KubeClient, namespace: string): Promise<RunningWatch> {
    const list = await client.requestJson<{ metadata: { resourceVersion: string } }>({ path: `/api/v1/namespaces/${namespace}/pods`, query: { limit: 1 } });
    return new RunningWatch(client, namespace, list.metadata.resourceVersion);
  }

  private async loop(from: string): Promise<void> {
    let rv = from;
    while (!this.abort.signal.aborted) {
      try {
        await this.client.watch({
          path: `/api/v1/namespaces/${this.namespace}/pods`,
          query: { resourceVersion: rv, allowWatchBookmarks: true },
          signal: this.abort.signal,
          onEvent: (ev: RawWatchEvent) => this.onEvent(ev, (v) => (rv = v)),
        });
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.error = err;
        for (const w of this.waiters) w.resolve();
        return;
      }
    }
  }

  private onEvent(ev: RawWatchEvent, setRv: (rv: string) => void): void {
    const at = performance.now();
    const pod = ev.object as { metadata?: { name?: string; resourceVersion?: string }; status?: { phase?: string } };
    if (pod.metadata?.resourceVersion) setRv(pod.metadata.resourceVersion);
    if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
    const name = pod.metadata?.name;
    if (name && pod.status?.phase === 'Running' && !this.runningAt.has(name)) {
      this.runningAt.set(name, at);
      if (this.waiters.length) {
        const still: typeof this.waiters = [];
        for (const w of this.waiters) (this.runningAt.size >= w.n ? w.resolve() : still.push(w));
        this.waiters = still;
      }
    }
  }

  /** Resolves once `n` pods were seen Running; rejects after `timeoutMs` or when the watch fails. */
  async waitFor(n: number, timeoutMs: number): Promise<void> {
    if (this.runningAt.size < n) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push({ n, resolve });
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
    }
    if (this.error !== undefined) throw new Error(`watch on host pods in ${this.namespace} failed: ${(this.error as Error).message}`);
    if (this.runningAt.size < n) throw new Error(`only ${this.runningAt.size} of ${n} pods in ${this.namespace} were Running in the host after ${Math.round(timeoutMs / 1000)} s`);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

export interface BurstResult {
  /** performance.now() right before each create was sent, by pod name. */
  sentAt: Map<string, number>;
  firstSent: number;
  createsDone: number;
}

/** POSTs `names` to the host with at most `concurrency` creates in flight. */
export async function createPods(host: KubeClient, namespace: string, names: readonly string[], concurrency: number): Promise<BurstResult> {
  const sentAt = new Map<string, number>();
  const firstSent = performance.now();
  await pool(names.length, concurrency, async (i) => {
    const name = names[i]!;
    sentAt.set(name, performance.now());
    await host.request({ method: 'POST', path: `/api/v1/namespaces/${namespace}/pods`, body: burstPod(name) });
  });
  return { sentAt, firstSent, createsDone: performance.now() };
}

export interface CeilingOptions {
  /** The user's client: creates the pods (as in the burst). */
  host: KubeClient;
  /** The virtual node's stand-in, in a process of its own (_vn-writer.ts). */
  writer: { write(namespace: string, items: Array<{ i: number; pod: CreatedPod }>): Promise<void>; drain(): Promise<void> };
  namespace: string;
  names: readonly string[];
  concurrency: number;
  /** The node the host pods are bound to: no kubelet serves it. */
  parkingNode: string;
  /** Pods Running in `namespace` across the members (the sims count them); a namespace per run. */
  memberRunning: () => Promise<number>;
  timeoutMs: number;
}

export interface CeilingResult {
  pods: number;
  seconds: number;
  /** From the first create to: every create answered; every pod's three writes answered; the host watch's last Running. */
  createsSeconds: number;
  writesSeconds: number;
  hostRunningSeconds: number;
  /** Create sent → host watch saw Running, per pod (ms). */
  latencies: number[];
}

/** The ceiling (see the top of this file) over `names`. */
export async function runCeiling(o: CeilingOptions): Promise<CeilingResult> {
  const watch = await RunningWatch.open(o.host, o.namespace);
  const sentAt = new Map<string, number>();
  try {
    const t0 = performance.now();
    // Each created pod goes to the writer at once (batched per event-loop turn: one IPC message
    // for the creates that answered together), so creates and writes overlap as in the burst.
    let batch: Array<{ i: number; pod: CreatedPod }> = [];
    const handedOver: Array<Promise<void>> = [];
    const flush = (): void => {
      const items = batch;
      batch = [];
      handedOver.push(o.writer.write(o.namespace, items));
    };
    await pool(o.names.length, o.concurrency, async (i) => {
      const name = o.names[i]!;
      sentAt.set(name, performance.now());
      const body = burstPod(name);
      (body['spec'] as Obj)['nodeName'] = o.parkingNode;
      const pod = await o.host.requestJson<CreatedPod>({ method: 'POST', path: `/api/v1/namespaces/${o.namespace}/pods`, body });
      if (batch.length === 0) setImmediate(flush);
      batch.push({ i, pod });
    });
    if (batch.length > 0) flush();
    const createsDone = performance.now();
    await Promise.all(handedOver);
    await o.writer.drain();
    const writesDone = performance.now();
    await watch.waitFor(o.names.length, o.timeoutMs);
    const hostRunning = Math.max(...watch.runningAt.values());
    let end = hostRunning;
    // The member copies Running too: the members' scheduler and kubelets did their part (polled
    // every 50 ms; when they are late, the window ends at the poll that found them all).
    const deadline = performance.now() + o.timeoutMs;
    for (let first = true; ; first = false) {
      const askedAt = performance.now();
      const n = await o.memberRunning();
      if (n >= o.names.length) {
        if (!first) end = Math.max(end, askedAt);
        break;
      }
      if (askedAt > deadline) throw new Error(`ceiling: only ${n} of ${o.names.length} member pods Running after ${Math.round(o.timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const latencies = o.names.map((n) => watch.runningAt.get(n)! - sentAt.get(n)!);
    return { pods: o.names.length, seconds: (end - t0) / 1000, createsSeconds: (createsDone - t0) / 1000, writesSeconds: (writesDone - t0) / 1000, hostRunningSeconds: (hostRunning - t0) / 1000, latencies };
  } finally {
    await watch.close();
  }
}
