/**
 * The ColocationPolicy as the scheduler's filters read it: the batch room's PolicySource (one
 * policy in effect, validated, last good generation kept) with the per-node answer memoized.
 * forNode() builds a fresh object per call, and the load filter asks once per (pod, node) —
 * over a million times a second at full speed. Node label objects are replaced, never mutated,
 * when a node changes, so they key the memo; a policy change clears it.
 */
import type { NodeColocation, PolicySource } from '../batch/index.js';

export type { PolicySource } from '../batch/index.js';
export { staticPolicySource } from '../batch/index.js';

export class NodeSettings {
  private memo = new WeakMap<object, NodeColocation>();
  private readonly unsubscribe: () => void;

  constructor(private readonly source: PolicySource) {
    this.unsubscribe = source.onChange(() => {
      this.memo = new WeakMap();
    });
  }

  for(nodeLabels: Readonly<Record<string, string>>): NodeColocation {
    let hit = this.memo.get(nodeLabels);
    if (!hit) {
      hit = this.source.forNode(nodeLabels);
      this.memo.set(nodeLabels, hit);
    }
    return hit;
  }

  close(): void {
    this.unsubscribe();
  }
}
