/**
 * Fair share across tenant queues (stride scheduling): each tenant has a heap of its pods and a
 * "pass"; the tenant with the lowest pass is served next and its pass grows by 1/weight. A
 * tenant that was idle rejoins at the current virtual time, so it gets its share from now on
 * but cannot cash in credit for the time it had nothing queued. Two backlogged tenants of equal
 * weight therefore alternate, whatever their backlog sizes: one tenant's thousand pods do not
 * delay another's one pod by a thousand turns.
 *
 * Entries are removed lazily (marked dead, skipped when they reach the top), so removal of a
 * pod that is deleted while it waits is O(1).
 */
import type { QueuedPod } from '../framework/interfaces.js';
import { Heap } from './heap.js';

export interface QueueEntry {
  readonly qp: QueuedPod;
  live: boolean;
}

class TenantLane {
  pass = 0;
  live = 0;
  inReady = false;
  readonly heap: Heap<QueueEntry>;

  constructor(
    readonly name: string,
    readonly weight: number,
    readonly order: number,
    less: (a: QueuedPod, b: QueuedPod) => boolean,
  ) {
    this.heap = new Heap<QueueEntry>((a, b) => less(a.qp, b.qp));
  }
}

export class FairShareQueue {
  private readonly lanes = new Map<string, TenantLane>();
  private readonly ready = new Heap<TenantLane>((a, b) => a.pass < b.pass || (a.pass === b.pass && a.order < b.order));
  private vtime = 0;
  private laneSeq = 0;
  private count = 0;

  constructor(
    private readonly less: (a: QueuedPod, b: QueuedPod) => boolean,
    private readonly weightOf: (tenant: string) => number,
  ) {}

  get size(): number {
    return this.count;
  }

  push(entry: QueueEntry): void {
    const tenant = entry.qp.tenant;
    let lane = this.lanes.get(tenant);
    if (!lane) {
      lane = new TenantLane(tenant, Math.max(1e-6, this.weightOf(tenant)), this.laneSeq++, this.less);
      lane.pass = this.vtime;
      this.lanes.set(tenant, lane);
    }
    lane.heap.push(entry);
    lane.live++;
    this.count++;
    if (!lane.inReady) {
      lane.pass = Math.max(lane.pass, this.vtime);
      lane.inReady = true;
      this.ready.push(lane);
    }
  }

  /** Marks an entry of this queue removed. */
  remove(entry: QueueEntry): void {
    if (!entry.live) return;
    entry.live = false;
    const lane = this.lanes.get(entry.qp.tenant);
    if (lane) lane.live--;
    this.count--;
  }

  /** The next pod by fair share, then by `less` within the tenant. */
  pop(): QueueEntry | undefined {
    for (let lane = this.ready.pop(); lane; lane = this.ready.pop()) {
      lane.inReady = false;
      while (lane.heap.size > 0 && !lane.heap.peek()!.live) lane.heap.pop();
      const entry = lane.heap.pop();
      if (!entry) {
        // Empty: forget the lane once it holds no unused debt, so tenants that come and go do not pile up.
        if (lane.pass <= this.vtime) this.lanes.delete(lane.name);
        continue;
      }
      entry.live = false;
      lane.live--;
      this.count--;
      this.vtime = lane.pass;
      lane.pass += 1 / lane.weight;
      if (lane.live > 0) {
        lane.inReady = true;
        this.ready.push(lane);
      }
      return entry;
    }
    return undefined;
  }

  /** Pods waiting per tenant (for status pages and tests). */
  tenants(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, lane] of this.lanes) if (lane.live > 0) out.set(name, lane.live);
    return out;
  }
}
