/**
 * Room held for a gang's workers after its leader is placed — the cure for the Spark deadlock.
 * Drivers are created first and their executors only once the driver runs; if drivers could
 * take the room freely, ten drivers would fill a cluster that has room for three apps and every
 * executor would stay Pending forever. So a leader is placed only together with slots for its
 * minimum workers; the slots count against every other pod (NodeInfo.free) but are free room
 * for the gang's own members, and each worker placed uses one up. Unused slots go back when the
 * reservation times out, the leader leaves, or the gang is complete.
 */
import type { Clock, ResourceAmounts, TimerHandle } from '../../../kube/index.js';
import type { SchedulerCache } from '../cache.js';

export interface Slot {
  readonly node: string;
  readonly amounts: Readonly<ResourceAmounts>;
}

interface Reservation {
  readonly gang: string;
  readonly leader: string;
  readonly slots: Slot[];
  readonly expiresAt: number;
  timer: TimerHandle;
}

export interface ReservationSummary {
  gang: string;
  leader: string;
  slots: Slot[];
  expiresAt: number;
}

export class ReservationBook {
  private readonly byGang = new Map<string, Reservation>();

  constructor(
    private readonly cache: SchedulerCache,
    private readonly clock: Clock,
    /** Told when room went back (so pods waiting for room can be tried again). */
    private readonly onReleased: (gang: string, why: 'expired' | 'released') => void,
  ) {}

  has(gang: string): boolean {
    return this.byGang.has(gang);
  }

  /** Slots still held for `gang` on `node`. */
  slotsOn(gang: string, node: string): number {
    let n = 0;
    for (const s of this.byGang.get(gang)?.slots ?? []) if (s.node === node) n++;
    return n;
  }

  /** Holds `slots` (already reserved in the cache by the caller's placement) until `timeoutMs`. */
  adopt(gang: string, leader: string, slots: Slot[], timeoutMs: number): void {
    this.release(gang, false);
    const expiresAt = this.clock.now() + timeoutMs;
    const timer = this.clock.setTimeout(() => {
      if (this.byGang.get(gang)?.expiresAt !== expiresAt) return;
      this.release(gang, false);
      this.onReleased(gang, 'expired');
    }, timeoutMs);
    this.byGang.set(gang, { gang, leader, slots: [...slots], expiresAt, timer });
  }

  /** A worker placed on `node` uses a slot (one there if any, else any): the gang needs one less. */
  consume(gang: string, node: string): Slot | undefined {
    const r = this.byGang.get(gang);
    if (!r || r.slots.length === 0) return undefined;
    let i = r.slots.findIndex((s) => s.node === node);
    if (i < 0) i = 0;
    const [slot] = r.slots.splice(i, 1);
    this.cache.unreserve(gang, slot!.node, slot!.amounts);
    if (r.slots.length === 0) {
      this.clock.clearTimeout(r.timer);
      this.byGang.delete(gang);
    }
    return slot;
  }

  /** The worker's placement was undone: its slot is held again if the reservation still runs. */
  restore(gang: string, slot: Slot): void {
    const r = this.byGang.get(gang);
    if (!r) return;
    r.slots.push(slot);
    this.cache.reserve(gang, slot.node, slot.amounts);
  }

  /** Gives every slot of `gang` back. */
  release(gang: string, notify = true): void {
    const r = this.byGang.get(gang);
    if (!r) return;
    this.byGang.delete(gang);
    this.clock.clearTimeout(r.timer);
    for (const s of r.slots) this.cache.unreserve(gang, s.node, s.amounts);
    if (notify && r.slots.length > 0) this.onReleased(gang, 'released');
  }

  /** The reservation a leader holds, if any. */
  ofLeader(leaderKey: string): string | undefined {
    for (const r of this.byGang.values()) if (r.leader === leaderKey) return r.gang;
    return undefined;
  }

  list(): ReservationSummary[] {
    return [...this.byGang.values()].map((r) => ({ gang: r.gang, leader: r.leader, slots: [...r.slots], expiresAt: r.expiresAt }));
  }

  /** Shutdown: stops the timers (the cache goes away with the scheduler). */
  close(): void {
    for (const r of this.byGang.values()) this.clock.clearTimeout(r.timer);
    this.byGang.clear();
  }
}
