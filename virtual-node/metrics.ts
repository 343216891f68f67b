/**
 * The virtual node's own metrics (tidepool_virtual_node_*), on a Registry the process owns.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface VirtualNodeMetrics {
  registry: Registry;
  mirrorCreates: Counter<'cluster'>;
  mirrorDeletes: Counter;
  mirrorsSeen: Counter;
  mirrorsLost: Counter<'reason'>;
  orphansCollected: Counter;
  placementFailures: Counter;
  statusWrites: Counter;
  nodeStatusWrites: Counter<'node'>;
  leaseRenewals: Counter<'node'>;
  leader: Gauge;
  reconcileSeconds: Histogram;
}

export function virtualNodeMetrics(registry: Registry = new Registry()): VirtualNodeMetrics {
  const r = [registry];
  return {
    registry,
    mirrorCreates: new Counter({ name: 'tidepool_virtual_node_mirror_creates_total', help: 'Mirror pods created in member clusters', labelNames: ['cluster'], registers: r }),
    mirrorDeletes: new Counter({ name: 'tidepool_virtual_node_mirror_deletes_total', help: 'Mirror pods deleted in member clusters', registers: r }),
    mirrorsSeen: new Counter({ name: 'tidepool_virtual_node_mirrors_running_total', help: 'Mirrors whose status was first seen by the pod controller', registers: r }),
    mirrorsLost: new Counter({ name: 'tidepool_virtual_node_mirrors_lost_total', help: 'Host pods failed because their mirror was deleted or evicted in the member', labelNames: ['reason'], registers: r }),
    orphansCollected: new Counter({ name: 'tidepool_virtual_node_orphan_mirrors_collected_total', help: 'Mirrors deleted because their host pod is gone', registers: r }),
    placementFailures: new Counter({ name: 'tidepool_virtual_node_placement_failures_total', help: 'Placement attempts no member cluster could take', registers: r }),
    statusWrites: new Counter({ name: 'tidepool_virtual_node_pod_status_writes_total', help: 'Host pods/status writes', registers: r }),
    nodeStatusWrites: new Counter({ name: 'tidepool_virtual_node_node_status_writes_total', help: 'Node status writes', labelNames: ['node'], registers: r }),
    leaseRenewals: new Counter({ name: 'tidepool_virtual_node_lease_renewals_total', help: 'Node Lease renewals in kube-node-lease', labelNames: ['node'], registers: r }),
    leader: new Gauge({ name: 'tidepool_virtual_node_leader', help: '1 while this replica is the leader (the only one that writes)', registers: r }),
    reconcileSeconds: new Histogram({ name: 'tidepool_virtual_node_pod_reconcile_seconds', help: 'Time of one pod reconcile pass', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: r }),
  };
}
