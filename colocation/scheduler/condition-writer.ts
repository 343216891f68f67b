/**
 * Writes the PodScheduled=False condition kube-scheduler puts on an unschedulable pod (what
 * `kubectl describe pod` and `kubectl get pod -o yaml` show), as a strategic merge patch of
 * pods/status: conditions merge by type, so the pod's other conditions stay.
 *
 * A burst of unschedulable pods must not become a burst of API writes: a message already
 * written is not written again, only the latest message per pod waits, a pod's condition is
 * rewritten with only its counts changed at most once per `minRewriteMs` (the message names node
 * counts, which move on most retries: rewriting each would cost more writes than the bindings;
 * a new reason is written at once), and at most `concurrency` patches are on the wire. Failures are logged at debug and forgotten (the next
 * attempt writes again); a pod that is gone is simply skipped by the API's 404.
 */
import type { KubeClient, Logger } from '../../kube/index.js';

export function podScheduledPatch(message: string, nowMs: number): object {
  return {
    status: {
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message,
          lastProbeTime: null,
          lastTransitionTime: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      ],
    },
  };
}

/** A message with its numbers blanked: "0/12 nodes are available: 3 Insufficient cpu" → "#/# nodes ... # Insufficient cpu". */
function shapeOf(message: string): string {
  return message.replace(/\d+/g, '#');
}

interface Pending {
  namespace: string;
  name: string;
  message: string;
}

export class ConditionWriter {
  private readonly written = new Map<string, { message: string; at: number }>();
  private readonly pending = new Map<string, Pending>();
  /** Messages that changed too soon after the last write, and the timer that brings them back. */
  private readonly deferred = new Map<string, { p: Pending; timer: NodeJS.Timeout }>();
  private active = 0;
  private closed = false;

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly concurrency = 2,
    private readonly minRewriteMs = 30_000,
  ) {}

  /** Asks for the condition to say `message` (no-op when it already does). */
  unschedulable(key: string, namespace: string, name: string, message: string): void {
    const last = this.written.get(key);
    if (this.closed || last?.message === message) return;
    const p = { namespace, name, message };
    // A new reason is written at once; the same reasons with other counts wait their turn.
    const sameShape = last !== undefined && shapeOf(last.message) === shapeOf(message);
    const wait = sameShape ? last.at + this.minRewriteMs - this.now() : 0;
    if (wait > 0) {
      // Keep only the latest; it is written when the pause is over (if still unscheduled).
      const d = this.deferred.get(key);
      if (d) d.p = p;
      else {
        const timer = setTimeout(() => {
          const entry = this.deferred.get(key);
          this.deferred.delete(key);
          if (entry && !this.closed) {
            this.pending.set(key, entry.p);
            this.pump();
          }
        }, wait);
        timer.unref();
        this.deferred.set(key, { p, timer });
      }
      return;
    }
    this.pending.set(key, p);
    this.pump();
  }

  /** The pod was bound or deleted: nothing more to say about it. */
  forget(key: string): void {
    this.written.delete(key);
    this.pending.delete(key);
    const d = this.deferred.get(key);
    if (d) clearTimeout(d.timer);
    this.deferred.delete(key);
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
    for (const d of this.deferred.values()) clearTimeout(d.timer);
    this.deferred.clear();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.pending.size > 0) {
      const [key, p] = this.pending.entries().next().value as [string, Pending];
      this.pending.delete(key);
      this.active++;
      void this.write(key, p).finally(() => {
        this.active--;
        if (!this.closed) this.pump();
      });
    }
  }

  private async write(key: string, p: Pending): Promise<void> {
    try {
      await this.client.request({
        method: 'PATCH',
        path: `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}/status`,
        body: podScheduledPatch(p.message, this.now()),
        contentType: 'application/strategic-merge-patch+json',
      });
      this.written.set(key, { message: p.message, at: this.now() });
    } catch (err) {
      this.logger.debug({ err, pod: key }, 'could not write the PodScheduled condition');
    }
  }
}
