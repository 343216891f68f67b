/**
 * Writes the PodScheduled=False condition kube-scheduler puts on an unschedulable pod (what
 * `kubectl describe pod` and `kubectl get pod -o yaml` show), as a strategic merge patch of
 * pods/status: conditions merge by type, so the pod's other conditions stay.
 *
 * A burst of unschedulable pods must not become a burst of API writes: a message already
 * written is not written again, only the latest message per pod waits, and at most
 * `concurrency` patches are on the wire. Failures are logged at debug and forgotten (the next
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

interface Pending {
  namespace: string;
  name: string;
  message: string;
}

export class ConditionWriter {
  private readonly written = new Map<string, string>();
  private readonly pending = new Map<string, Pending>();
  private active = 0;
  private closed = false;

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly concurrency = 2,
  ) {}

  /** Asks for the condition to say `message` (no-op when it already does). */
  unschedulable(key: string, namespace: string, name: string, message: string): void {
    if (this.closed || this.written.get(key) === message) return;
    this.pending.set(key, { namespace, name, message });
    this.pump();
  }

  /** The pod was bound or deleted: nothing more to say about it. */
  forget(key: string): void {
    this.written.delete(key);
    this.pending.delete(key);
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
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
      this.written.set(key, p.message);
    } catch (err) {
      this.logger.debug({ err, pod: key }, 'could not write the PodScheduled condition');
    }
  }
}
