/**
 * One node as the scheduler sees it: the Node (projected), the pods that hold room on it (bound
 * and assumed), their summed requests, and room held for gangs. Filters read it many thousand
 * times a second, so the sums are kept up to date on each change instead of recounted.
 */
import type { NodeSummary, ResourceAmounts } from '../../kube/index.js';
import type { SchedPod } from './types.js';

/** kube-scheduler's default when a node does not state its pod capacity. */
const DEFAULT_MAX_PODS = 110;

export class NodeInfo {
  /** undefined while pods are known on a node the informer has not shown (or no longer shows). */
  node: NodeSummary | undefined;
  readonly requested: ResourceAmounts = {};
  podCount = 0;
  readonly pods = new Map<string, SchedPod>();
  /** Pods here with required anti-affinity terms (the symmetric anti-affinity check looks at these). */
  antiAffinityPods = 0;
  /** Room held for gangs' members: gang key -> amounts. */
  readonly reserved = new Map<string, ResourceAmounts>();
  readonly reservedTotal: ResourceAmounts = {};
  /** Bumped on each change, so callers can tell whether what they computed is still current. */
  generation = 0;

  constructor(readonly name: string) {}

  get maxPods(): number {
    return this.node?.allocatable['pods'] ?? DEFAULT_MAX_PODS;
  }

  /** allocatable − requested − room held for gangs other than `gang`, for one resource. */
  free(resource: string, gang?: string): number {
    const n = this.node;
    if (!n) return 0;
    let free = (n.allocatable[resource] ?? 0) - (this.requested[resource] ?? 0) - (this.reservedTotal[resource] ?? 0);
    if (gang !== undefined) free += this.reserved.get(gang)?.[resource] ?? 0;
    return free;
  }

  addPod(pod: SchedPod): void {
    this.pods.set(pod.key, pod);
    add(this.requested, pod.requests, 1);
    this.podCount++;
    if (pod.antiAffinity.length > 0) this.antiAffinityPods++;
    this.generation++;
  }

  removePod(key: string): SchedPod | undefined {
    const pod = this.pods.get(key);
    if (!pod) return undefined;
    this.pods.delete(key);
    add(this.requested, pod.requests, -1);
    this.podCount--;
    if (pod.antiAffinity.length > 0) this.antiAffinityPods--;
    this.generation++;
    return pod;
  }

  reserve(gang: string, amounts: Readonly<ResourceAmounts>): void {
    const r = this.reserved.get(gang) ?? {};
    add(r, amounts, 1);
    this.reserved.set(gang, r);
    add(this.reservedTotal, amounts, 1);
    this.generation++;
  }

  /** Gives back up to `amounts` of gang's room here (never more than it holds). */
  unreserve(gang: string, amounts?: Readonly<ResourceAmounts>): void {
    const r = this.reserved.get(gang);
    if (!r) return;
    const give = amounts ? clampTo(amounts, r) : { ...r };
    add(r, give, -1);
    add(this.reservedTotal, give, -1);
    if (amounts === undefined || Object.values(r).every((v) => v <= 0)) this.reserved.delete(gang);
    this.generation++;
  }

  /** Nothing left here: no node object, no pods, no reservations. */
  isEmpty(): boolean {
    return this.node === undefined && this.pods.size === 0 && this.reserved.size === 0;
  }
}

function add(into: ResourceAmounts, amounts: Readonly<ResourceAmounts>, sign: 1 | -1): void {
  for (const k in amounts) {
    const v = (into[k] ?? 0) + sign * amounts[k]!;
    if (v === 0) delete into[k];
    else into[k] = v;
  }
}

function clampTo(want: Readonly<ResourceAmounts>, have: Readonly<ResourceAmounts>): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const k in want) out[k] = Math.max(0, Math.min(want[k]!, have[k] ?? 0));
  return out;
}
