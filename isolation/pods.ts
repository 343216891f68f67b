// The pods on this node, as the agent needs them: projected, integer units.
import type { TidepoolQos } from '../api/index.js';
import type { KubeQosClass } from '../kube/index.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface ContainerInfo {
  name: string;
  /** Runtime container ID without the "containerd://" prefix; null until the runtime reports it. */
  id: string | null;
  requests: { cpuMilli: number; memoryBytes: number };
}

export interface PodInfo {
  uid: string;
  namespace: string;
  name: string;
  phase: PodPhase;
  qosClass: KubeQosClass;
  tidepoolQos: TidepoolQos;
  priority: number;
  /** Summed effective requests; batch-* are the extended resources offline pods ask for. */
  requests: { cpuMilli: number; memoryBytes: number; batchCpuMilli: number; batchMemoryBytes: number };
  /** Summed limits; null = unlimited (some container has none). */
  limits: { cpuMilli: number | null; memoryBytes: number | null; batchCpuMilli: number | null; batchMemoryBytes: number | null };
  containers: ContainerInfo[];
  createdAtMs: number;
}

/** Where the agent learns which pods run on its node. */
export interface PodSource {
  /** The current pods bound to this node. */
  pods(): readonly PodInfo[];
  /** True once the first full list has arrived. */
  synced(): boolean;
  /** Called after any change; returns an unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** An in-memory PodSource: for tests, benchmarks and static setups. */
export class StaticPodSource implements PodSource {
  private current: PodInfo[];
  private readonly listeners = new Set<() => void>();

  constructor(pods: readonly PodInfo[] = []) {
    this.current = [...pods];
  }

  pods(): readonly PodInfo[] {
    return this.current;
  }

  synced(): boolean {
    return true;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(pods: readonly PodInfo[]): void {
    this.current = [...pods];
    for (const l of this.listeners) l();
  }
}

export function podKey(p: Pick<PodInfo, 'namespace' | 'name'>): string {
  return `${p.namespace}/${p.name}`;
}
