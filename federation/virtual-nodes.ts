/**
 * The virtual nodes as the host cluster has them, for the console: read from the host's Node
 * objects (label type=virtual-kubelet), never inferred from the member list, so the page shows
 * a node only once it is registered and shows it NotReady when it is.
 *
 * The page asks every few seconds and several pages may be open: answers are kept for
 * `maxAgeMs` and concurrent asks share one LIST, so the host sees at most one request per
 * `maxAgeMs` whatever the number of viewers.
 */
import { BATCH_CPU, BATCH_MEMORY, MEMBER_CLUSTER_LABEL, TIDEPOOL_VIRTUAL_NODE_LABEL, VIRTUAL_NODE_TYPE_LABEL, VIRTUAL_NODE_TYPE_VALUE } from '../api/index.js';
import { toMilli, toUnits, tryParseQuantity, type KubeClient } from '../kube/index.js';

/** One virtual node; cpu in millicores, memory in bytes. */
export interface VirtualNodeView {
  name: string;
  ready: boolean;
  /** The Ready condition's reason and message (which members are ready, or why none is). */
  reason: string;
  message: string;
  /** A per-cluster node: the member it stands for; null for a node over the whole pool. */
  memberCluster: string | null;
  /** Registered by Tidepool (tidepool.dev/virtual-node), not by another virtual-kubelet. */
  tidepool: boolean;
  allocatable: { cpu: number; memory: number; pods: number; batchCpu: number; batchMemory: number };
  /** The Ready condition's lastHeartbeatTime, as the node wrote it. */
  lastHeartbeatTime: string | null;
}

/** What GET /api/v1/virtual-nodes answers. */
export interface VirtualNodesDocument {
  /** false: this server was started without a host cluster, so no virtual node can be known. */
  connected: boolean;
  nodes: VirtualNodeView[];
  /** Why the list is missing or stale: the host's error. */
  error?: string;
}

interface NodeJson {
  metadata?: { name?: string; labels?: Record<string, string> };
  status?: {
    allocatable?: Record<string, string>;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string; lastHeartbeatTime?: string }>;
  };
}

function amount(v: string | undefined, milli: boolean): number {
  const q = v === undefined ? undefined : tryParseQuantity(v);
  return q ? (milli ? toMilli(q) : toUnits(q)) : 0;
}

/** Projects a host Node onto what the console shows. */
export function virtualNodeView(n: NodeJson): VirtualNodeView {
  const labels = n.metadata?.labels ?? {};
  const alloc = n.status?.allocatable ?? {};
  const ready = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return {
    name: n.metadata?.name ?? '',
    ready: ready?.status === 'True',
    reason: ready?.reason ?? '',
    message: ready?.message ?? (ready ? '' : 'the node has not reported a Ready condition'),
    memberCluster: labels[MEMBER_CLUSTER_LABEL] ?? null,
    tidepool: labels[TIDEPOOL_VIRTUAL_NODE_LABEL] === 'true',
    allocatable: {
      cpu: amount(alloc['cpu'], true),
      memory: amount(alloc['memory'], false),
      pods: amount(alloc['pods'], false),
      batchCpu: amount(alloc[BATCH_CPU], false),
      batchMemory: amount(alloc[BATCH_MEMORY], false),
    },
    lastHeartbeatTime: ready?.lastHeartbeatTime ?? null,
  };
}

export interface VirtualNodeReaderOptions {
  host: KubeClient;
  /** How long an answer is reused. Default 2 s. */
  maxAgeMs?: number;
  /** Deadline of one LIST. Default 5 s. */
  timeoutMs?: number;
  now?: () => number;
}

/** Reads the host cluster's virtual nodes, at most once per maxAgeMs. */
export class VirtualNodeReader {
  private cached: { at: number; doc: VirtualNodesDocument } | undefined;
  private inFlight: Promise<VirtualNodesDocument> | undefined;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly o: VirtualNodeReaderOptions) {
    this.maxAgeMs = o.maxAgeMs ?? 2_000;
    this.timeoutMs = o.timeoutMs ?? 5_000;
    this.now = o.now ?? Date.now;
  }

  read(): Promise<VirtualNodesDocument> {
    if (this.cached && this.now() - this.cached.at < this.maxAgeMs) return Promise.resolve(this.cached.doc);
    this.inFlight ??= this.list().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async list(): Promise<VirtualNodesDocument> {
    let doc: VirtualNodesDocument;
    try {
      const list = await this.o.host.requestJson<{ items?: NodeJson[] }>({
        path: '/api/v1/nodes',
        query: { labelSelector: `${VIRTUAL_NODE_TYPE_LABEL}=${VIRTUAL_NODE_TYPE_VALUE}`, limit: 500 },
        timeoutMs: this.timeoutMs,
        retry: false,
      });
      const nodes = (list.items ?? []).map(virtualNodeView).sort((a, b) => a.name.localeCompare(b.name));
      doc = { connected: true, nodes };
    } catch (err) {
      // The last list is still the best picture; say that it may be stale and why.
      doc = { connected: true, nodes: this.cached?.doc.nodes ?? [], error: `cannot list the host cluster's nodes: ${(err as Error).message}` };
    }
    this.cached = { at: this.now(), doc };
    return doc;
  }
}
