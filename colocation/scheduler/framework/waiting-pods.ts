/**
 * Pods held at permit: assumed on a node (their room counted), binding not started. A permit
 * plugin that answered Wait later allows or rejects them (a gang that became complete, or one
 * that timed out); each wait also has its own timeout, after which the pod is rejected.
 */
import { systemClock, type Clock, type TimerHandle } from '../../../kube/index.js';
import type { SchedPod } from '../types.js';
import { unschedulable, type Status } from './status.js';

export class WaitingPod {
  private readonly pending = new Map<string, TimerHandle>();
  private settle!: (s: Status | undefined) => void;
  private done = false;
  /** Resolves undefined once every waiting plugin allowed, or with the rejection. */
  readonly result: Promise<Status | undefined>;

  constructor(
    readonly pod: SchedPod,
    readonly node: string,
    waits: ReadonlyArray<{ plugin: string; timeoutMs: number }>,
    private readonly clock: Clock,
    private readonly onSettled: (w: WaitingPod) => void,
  ) {
    this.result = new Promise((resolve) => (this.settle = resolve));
    for (const w of waits) {
      this.pending.set(
        w.plugin,
        clock.setTimeout(() => this.reject('', `rejected due to timeout after waiting ${Math.round(w.timeoutMs / 100) / 10}s at plugin ${w.plugin}`), w.timeoutMs),
      );
    }
    if (this.pending.size === 0) this.finish(undefined);
  }

  /** Plugins still to allow it. */
  get waitingOn(): string[] {
    return [...this.pending.keys()];
  }

  allow(plugin: string): void {
    const t = this.pending.get(plugin);
    if (t === undefined || this.done) return;
    this.clock.clearTimeout(t);
    this.pending.delete(plugin);
    if (this.pending.size === 0) this.finish(undefined);
  }

  /** `plugin` names who rejected, for the message; '' for the framework itself. */
  reject(plugin: string, message: string): void {
    if (this.done) return;
    this.finish(unschedulable(plugin ? `${message} (${plugin})` : message));
  }

  private finish(status: Status | undefined): void {
    if (this.done) return;
    this.done = true;
    for (const t of this.pending.values()) this.clock.clearTimeout(t);
    this.pending.clear();
    this.onSettled(this);
    this.settle(status);
  }
}

export class WaitingPods {
  private readonly pods = new Map<string, WaitingPod>();

  constructor(private readonly clock: Clock = systemClock) {}

  add(pod: SchedPod, node: string, waits: ReadonlyArray<{ plugin: string; timeoutMs: number }>): WaitingPod {
    this.pods.get(pod.key)?.reject('', 'replaced by a newer attempt');
    const w = new WaitingPod(pod, node, waits, this.clock, (done) => {
      if (this.pods.get(done.pod.key) === done) this.pods.delete(done.pod.key);
    });
    if (w.waitingOn.length > 0) this.pods.set(pod.key, w);
    return w;
  }

  get(key: string): WaitingPod | undefined {
    return this.pods.get(key);
  }

  values(): IterableIterator<WaitingPod> {
    return this.pods.values();
  }

  get size(): number {
    return this.pods.size;
  }

  /** Rejects every waiting pod (shutdown): their assumptions are dropped by the binding cycle. */
  rejectAll(message: string): void {
    for (const w of [...this.pods.values()]) w.reject('', message);
  }
}
