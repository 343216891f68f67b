/**
 * Room held for a starving offline pod. Aging puts an offline pod that has waited
 * offlineMaxWaitMs first in the queue, which bounds its wait once a node has room for it. A
 * large pod can still wait for ever: each time a few cores free on a node, the smaller pods
 * queued behind it fit there and it does not, so the room it needs never gathers in one place
 * (the utilization trace showed the largest pods waiting longest).
 *
 * So when an aged offline pod fails for lack of resources, the scheduler holds a node for it:
 * the node that passes every other filter and is closest to fitting it. The pod's requests are
 * held there as gang room is (NodeInfo.reserve, under holdKey(pod)), so other pods use
 * that node only beyond the held amount, and the room gathers as its pods finish. The hold ends
 * when the pod's binding is written (on any node; a failed binding keeps it), when the pod is
 * deleted, bound by someone else or finished, when the node goes away or stops taking pods, or
 * after `ttlMs` (batch capacity may shrink under it; that pod's next hold is on another node). One hold at a time,
 * as Volcano's reservation elects one starving job: holds take room from everyone else. A gang
 * member's hold is its own, apart from its gang's room (both are free to it).
 */
import type { SchedulerCache } from './cache.js';
import type { NodeInfo } from './node-info.js';
import type { SchedPod } from './types.js';

/** The key a starvation hold for pod `key` is filed under in the cache (beside gang keys, never one). */
export function holdKey(key: string): string {
  return `starving/${key}`;
}

export interface Hold {
  readonly pod: string;
  readonly node: string;
  readonly since: number;
}

export class StarvationHolds {
  private current: Hold | undefined;
  /** The last hold its TTL ended: that pod does not get that node again at once. */
  private expired: Hold | undefined;

  constructor(
    private readonly cache: SchedulerCache,
    readonly ttlMs: number,
  ) {}

  /** The hold in force, if any. */
  get hold(): Hold | undefined {
    return this.current;
  }

  /** May `pod` have a hold now? (Offline, and no hold in force.) */
  eligible(pod: SchedPod): boolean {
    return this.current === undefined && pod.qos === 'offline';
  }

  /** Holds `pod`'s requests on `node`. */
  place(pod: SchedPod, node: string, now: number): Hold {
    this.release(this.current?.pod ?? '');
    const amounts = { ...pod.requests };
    delete amounts['pods'];
    this.cache.reserve(holdKey(pod.key), node, amounts);
    this.current = { pod: pod.key, node, since: now };
    return this.current;
  }

  /** Ends the hold of pod `key`, if it has one. True when there was one. */
  release(key: string): boolean {
    const h = this.current;
    if (!h || h.pod !== key) return false;
    this.cache.unreserve(holdKey(h.pod), h.node);
    this.current = undefined;
    return true;
  }

  /** Ends a hold older than the TTL; returns it. */
  expire(now: number): Hold | undefined {
    const h = this.current;
    if (!h || now - h.since < this.ttlMs) return undefined;
    this.release(h.pod);
    this.expired = h;
    return h;
  }

  /** Did `pod`'s last hold on `node` end by its TTL? (Its next hold goes elsewhere.) */
  gaveUpOn(pod: string, node: string): boolean {
    return this.expired?.pod === pod && this.expired.node === node;
  }
}

/**
 * The node closest to fitting `pod` among `nodes` that `passesOthers` (every filter but the
 * resource fit) and could hold it at all (allocatable and pod slots enough): the smallest sum
 * of shortfalls relative to the request, then the most free room. undefined when none could.
 */
export function closestToFitting(pod: SchedPod, nodes: readonly NodeInfo[], passesOthers: (n: NodeInfo) => boolean): NodeInfo | undefined {
  let best: NodeInfo | undefined;
  let bestShort = Infinity;
  let bestFree = -Infinity;
  const wanted = Object.entries(pod.requests).filter(([r, v]) => r !== 'pods' && v > 0);
  for (const n of nodes) {
    const summary = n.node;
    if (!summary || n.maxPods < 1) continue;
    // A node out of pod slots is short of one more thing (the hold keeps no slot).
    let short = n.podCount + 1 > n.maxPods ? 1 : 0;
    let free = 0;
    let possible = true;
    for (const [r, v] of wanted) {
      if ((summary.allocatable[r] ?? 0) < v) {
        possible = false;
        break;
      }
      const f = n.free(r);
      short += Math.max(0, v - f) / v;
      free += Math.max(0, f) / v;
    }
    if (!possible || !(short < bestShort || (short === bestShort && free > bestFree))) continue;
    if (!passesOthers(n)) continue;
    best = n;
    bestShort = short;
    bestFree = free;
  }
  return best;
}
