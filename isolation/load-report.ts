// The node-load report the agent streams to the scheduler (high-frequency data
// that stays out of etcd). Mirrors proto/loadreport.proto's NodeLoad.
import type { LoadClass, LoadSample } from './load-sampler.js';

export interface ClassLoad {
  qos: LoadClass;
  cpuMilli: number;
  memoryBytes: number;
  pods: number;
}

export interface NodeLoadReport {
  nodeName: string;
  timestampMs: number;
  /** Span the CPU figures were measured over. */
  windowMs: number;
  capacity: { cpuMilli: number; memoryBytes: number };
  usage: { cpuMilli: number; memoryBytes: number };
  classes: ClassLoad[];
  /** CPU offline pods may use now, and how many CPUs their cpuset has. */
  offlineBudgetMilli: number;
  offlineCpus: number;
}

export function toLoadReport(nodeName: string, s: LoadSample, offlineBudgetMilli: number, offlineCpus: number): NodeLoadReport {
  return {
    nodeName,
    timestampMs: s.atMs,
    windowMs: s.windowMs,
    capacity: { cpuMilli: s.node.cpuCapacityMilli, memoryBytes: s.node.memoryTotalBytes },
    usage: { cpuMilli: s.node.cpuMilli, memoryBytes: s.node.memoryBytes },
    classes: (Object.entries(s.byClass) as [LoadClass, LoadSample['byClass'][LoadClass]][]).map(([qos, u]) => ({
      qos,
      cpuMilli: u.cpuMilli,
      memoryBytes: u.memoryBytes,
      pods: u.pods,
    })),
    offlineBudgetMilli,
    offlineCpus,
  };
}
