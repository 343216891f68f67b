/**
 * The ColocationPolicy as the scheduler's filters read it: the batch room's PolicySource (one
 * policy in effect, validated, last good generation kept) with the per-node answer memoized.
 * forNode() builds a fresh object per call, and the load filter asks once per (pod, node) —
 * over a million times a second at full speed. The answer is kept on the NodeInfo, valid while
 * the node's labels object (replaced, never mutated, when a node changes) and the policy
 * generation stay the same.
 */
import type { NodeColocation, PolicySource } from '../batch/index.js';
import type { NodeInfo } from './node-info.js';
import type { NodeTable } from './node-table.js';

export type { PolicySource } from '../batch/index.js';
export { staticPolicySource } from '../batch/index.js';

export class NodeSettings {
  private generation = 0;
  /** One object per (policy, pool) in this generation, so thousands of nodes share a handful. */
  private interned = new Map<string, NodeColocation>();
  private readonly unsubscribe: () => void;

  constructor(private readonly source: PolicySource) {
    this.unsubscribe = source.onChange(() => {
      this.generation++;
      this.interned = new Map();
    });
  }

  /** The settings in effect for the node, memoized on its NodeInfo. */
  for(info: NodeInfo): NodeColocation {
    const labels = info.labels;
    if (info.colocationLabels === labels && info.colocationGeneration === this.generation) return info.colocation!;
    const fresh = this.source.forNode(labels);
    const key = `${fresh.policy ?? ''}\u0000${fresh.pool ?? ''}`;
    let value = this.interned.get(key);
    if (!value) this.interned.set(key, (value = fresh));
    info.colocation = value;
    info.colocationLabels = labels;
    info.colocationGeneration = this.generation;
    return value;
  }

  /**
   * How old a load sample of the node at `row` may be and still count, in ms. for()'s answer is
   * copied into the table's policy columns once per policy generation (no NodeInfo read after
   * that); the row's other policy columns are current after this call too.
   */
  staleAfterMsAt(table: NodeTable, row: number): number {
    if (table.colocationGeneration[row] !== this.generation) {
      const value = this.for(table.nodes[row]!);
      table.colocationGeneration[row] = this.generation;
      table.staleAfterMs[row] = value.staleAfterSeconds * 1000;
      table.offlineCpuPercent[row] = value.thresholds.offlineLoadPercent.cpu;
      table.offlineMemoryPercent[row] = value.thresholds.offlineLoadPercent.memory;
    }
    return table.staleAfterMs[row]!;
  }

  close(): void {
    this.unsubscribe();
  }
}
