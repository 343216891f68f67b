/**
 * Per-pod scheduling-cycle state, passed explicitly to every plugin (kube-scheduler's
 * CycleState): what a pre-filter computed once for the pod, read by its filter on each node.
 * Keys are typed objects, so a plugin can only read what it (or a named peer) wrote, as the
 * type it was written with. Each key has a slot number: filters read their state once per
 * node, hundreds of thousands of times a second, and an array index is cheaper than a hash.
 */
export interface StateKey<T> {
  readonly name: string;
  readonly slot: number;
  /** Carries T for the type checker only. */
  readonly __type?: T;
}

let slots = 0;

export function stateKey<T>(name: string): StateKey<T> {
  return { name, slot: slots++ };
}

export class CycleState {
  private readonly data: unknown[] = [];
  /** Plugins whose pre-filter answered Skip: their filter does not run this cycle. */
  readonly skipFilter = new Set<string>();
  /** Plugins whose pre-score answered Skip: their score does not run this cycle. */
  readonly skipScore = new Set<string>();

  /** `now`: the clock at the start of the cycle, so every node is judged at the same instant. */
  constructor(readonly now: number = Date.now()) {}

  write<T>(key: StateKey<T>, value: T): void {
    this.data[key.slot] = value;
  }

  read<T>(key: StateKey<T>): T | undefined {
    return this.data[key.slot] as T | undefined;
  }
}
