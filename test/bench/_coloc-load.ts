// The users' side of `bench colocation`'s throughput phase, the same for the burst and its ceiling:
// POST the offline pods (the webhook-mutated body, _coloc-workload.ts), `concurrency` creates in
// flight, while a watch on the namespace notes when each is first seen bound. Whoever binds them —
// Tidepool's scheduler in the burst, the plain binder (_coloc-binder.ts) in the ceiling — runs in
// its own process. Throughput is pods / (first create sent → last pod seen bound); latency per pod
// is its create sent → seen bound.
import { performance } from 'node:perf_hooks';
import type { KubeClient, RawWatchEvent } from '../../kube/index.js';
import { offlinePod } from './_coloc-workload.js';

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
 * A watch on one namespace's pods that notes when each is first seen bound, and to which node
 * (performance.now() of the event's arrival).
 */
export class BoundWatch {
  readonly boundAt = new Map<string, number>();
  readonly nodeOf = new Map<string, string>();
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

  static async open(client: KubeClient, namespace: string): Promise<BoundWatch> {
    const list = await client.requestJson<{ metadata: { resourceVersion: string } }>({ path: `/api/v1/namespaces/${namespace}/pods`, query: { limit: 1 } });
    return new BoundWatch(client, namespace, list.metadata.resourceVersion);
  }

  private async loop(from: string): Promise<void> {
    let rv = from;
    while (!this.abort.signal.aborted) {
      try {
        await this.client.watch({
          path: `/api/v1/namespaces/${this.namespace}/pods`,
          query: { resourceVersion: rv, allowWatchBookmarks: true },
          signal: this.abort.signal,
          onEvent: (ev: RawWatchEvent) => {
            const at = performance.now();
            const pod = ev.object as { metadata?: { name?: string; resourceVersion?: string }; spec?: { nodeName?: string } };
            if (pod.metadata?.resourceVersion) rv = pod.metadata.resourceVersion;
            if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
            const name = pod.metadata?.name;
            const node = pod.spec?.nodeName;
            if (!name || !node || this.boundAt.has(name)) return;
            this.boundAt.set(name, at);
            this.nodeOf.set(name, node);
            this.wake();
          },
        });
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.error = err;
        for (const w of this.waiters) w.resolve();
        return;
      }
    }
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (this.boundAt.size >= w.n ? w.resolve() : still.push(w));
    this.waiters = still;
  }

  /** Resolves once `n` pods were seen bound; rejects after `timeoutMs` or when the watch fails. */
  async waitFor(n: number, timeoutMs: number): Promise<void> {
    if (this.boundAt.size < n) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push({ n, resolve });
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
    }
    if (this.error !== undefined) throw new Error(`watch on pods in ${this.namespace} failed: ${(this.error as Error).message}`);
    if (this.boundAt.size < n) throw new Error(`only ${this.boundAt.size} of ${n} pods in ${this.namespace} were bound after ${Math.round(timeoutMs / 1000)} s`);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

export interface PhaseResult {
  pods: number;
  /** First create sent → last pod seen bound. */
  seconds: number;
  /** First create sent → last create answered. */
  createSeconds: number;
  /** Create sent → seen bound, per pod, ms (ascending). */
  latenciesMs: number[];
  /** Node each pod was bound to. */
  nodeOf: ReadonlyMap<string, string>;
}

export interface PhaseOptions {
  /** The users' client: creates the pods. */
  creator: KubeClient;
  /** Extra labels on the pods. */
  labels?: Readonly<Record<string, string>>;
  namespace: string;
  names: readonly string[];
  concurrency: number;
  timeoutMs: number;
}

function summarize(names: readonly string[], sentAt: ReadonlyMap<string, number>, watch: BoundWatch, t0: number, createsDone: number): PhaseResult {
  let last = t0;
  const latencies: number[] = [];
  for (const n of names) {
    const b = watch.boundAt.get(n)!;
    if (b > last) last = b;
    latencies.push(b - sentAt.get(n)!);
  }
  latencies.sort((a, b) => a - b);
  return { pods: names.length, seconds: (last - t0) / 1000, createSeconds: (createsDone - t0) / 1000, latenciesMs: latencies, nodeOf: new Map(watch.nodeOf) };
}

/** Creates `names` and waits until every one is seen bound (by whoever binds in that namespace). */
export async function createAndWaitBound(o: PhaseOptions): Promise<PhaseResult> {
  const watch = await BoundWatch.open(o.creator, o.namespace);
  try {
    const sentAt = new Map<string, number>();
    const t0 = performance.now();
    await pool(o.names.length, o.concurrency, async (i) => {
      const name = o.names[i]!;
      sentAt.set(name, performance.now());
      await o.creator.request({ method: 'POST', path: `/api/v1/namespaces/${o.namespace}/pods`, body: offlinePod(name, o.labels) });
    });
    const createsDone = performance.now();
    await watch.waitFor(o.names.length, o.timeoutMs);
    return summarize(o.names, sentAt, watch, t0, createsDone);
  } finally {
    await watch.close();
  }
}
