/**
 * Per-pod scheduling-cycle state, passed explicitly to every plugin (kube-scheduler's
 * CycleState): what a pre-filter computed once for the pod, read by its filter on each node.
 * Keys are typed objects, so a plugin can only read what it (or a named peer) wrote, as the
 * type it was written with.
 */
export interface StateKey<T> {
  readonly name: string;
  /** Carries T for the type checker only. */
  readonly __type?: T;
}

export function stateKey<T>(name: string): StateKey<T> {
  return { name };
}

export class CycleState {
  private readonly data = new Map<StateKey<unknown>, unknown>();
  /** Plugins whose pre-filter answered Skip: their filter does not run this cycle. */
  readonly skipFilter = new Set<string>();
  /** Plugins whose pre-score answered Skip: their score does not run this cycle. */
  readonly skipScore = new Set<string>();

  write<T>(key: StateKey<T>, value: T): void {
    this.data.set(key as StateKey<unknown>, value);
  }

  read<T>(key: StateKey<T>): T | undefined {
    return this.data.get(key as StateKey<unknown>) as T | undefined;
  }
}
