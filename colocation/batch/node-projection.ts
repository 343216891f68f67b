/**
 * What the batch controller keeps of a Node: its labels (policy pools), allocatable cpu and
 * memory, whether it is a virtual node (whose batch figures federation publishes, not us), and
 * the batch figures it shows now with the time they were written (from the breakdown
 * annotation), which is what the publish rules compare against.
 */
import { BATCH_BREAKDOWN_ANNOTATION, BATCH_CPU, BATCH_MEMORY, isVirtualNodeLabels } from '../../api/index.js';
import { parseResourceList, type FieldSchema, type RawObject } from '../../kube/index.js';
import type { CpuMemory } from './formula.js';
import type { PublishedBatch } from './publish-rules.js';

export interface BatchNode {
  name: string;
  labels: Readonly<Record<string, string>>;
  allocatable: CpuMemory;
  virtual: boolean;
  /** The batch figures in status.allocatable; undefined when the node has none. */
  published: PublishedBatch | undefined;
}

export const BATCH_NODE_FIELDS: FieldSchema = {
  metadata: { name: true, uid: true, resourceVersion: true, labels: true, annotations: true },
  status: { allocatable: true },
};

export function projectBatchNode(raw: RawObject): BatchNode {
  const meta = (raw.metadata ?? {}) as { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  const name = meta.name ?? '';
  const status = (raw['status'] ?? {}) as { allocatable?: Record<string, string> };
  const alloc = parseResourceList(status.allocatable, `node ${name} status.allocatable`);
  const labels = meta.labels ?? {};
  const batchCpu = alloc[BATCH_CPU];
  const batchMemory = alloc[BATCH_MEMORY];
  return {
    name,
    labels,
    allocatable: { cpu: alloc['cpu'] ?? 0, memory: alloc['memory'] ?? 0 },
    virtual: isVirtualNodeLabels(labels),
    published: batchCpu === undefined || batchMemory === undefined ? undefined : withAnnotation(batchCpu, batchMemory, meta.annotations?.[BATCH_BREAKDOWN_ANNOTATION]),
  };
}

/**
 * The published figures and when they were written, read from the breakdown annotation. An
 * annotation that is missing, unreadable or about other figures (its write failed after the
 * status write) leaves the figures unexplained, with a write time of 0 (long ago).
 */
function withAnnotation(cpu: number, memory: number, annotation: string | undefined): PublishedBatch {
  if (annotation !== undefined) {
    try {
      const b = JSON.parse(annotation) as { publishedAt?: string; result?: { cpu?: number; memory?: number } };
      const at = Date.parse(b.publishedAt ?? '');
      if (Number.isFinite(at) && b.result?.cpu === cpu && b.result.memory === memory) return { cpu, memory, at, explained: true };
    } catch {
      // unreadable: unexplained
    }
  }
  return { cpu, memory, at: 0, explained: false };
}

/** Did anything the controller reads change? (Status writes by kubelets must not cost a reconcile.) */
export function batchNodeChanged(a: BatchNode, b: BatchNode): boolean {
  return (
    a.allocatable.cpu !== b.allocatable.cpu ||
    a.allocatable.memory !== b.allocatable.memory ||
    a.published?.cpu !== b.published?.cpu ||
    a.published?.memory !== b.published?.memory ||
    a.published?.at !== b.published?.at ||
    a.published?.explained !== b.published?.explained ||
    JSON.stringify(a.labels) !== JSON.stringify(b.labels)
  );
}
