// Node and per-QoS usage from cumulative counters: CPU as deltas between two
// samples (cpuacct.usage / cpu.stat, /proc/stat), memory as working sets.
import type { NodeReader, PodCgroup } from './node-reader.js';
import type { TidepoolQos } from '../api/index.js';

export type LoadClass = TidepoolQos | 'system';
export const LOAD_CLASSES: readonly LoadClass[] = ['online', 'online-exclusive', 'offline', 'system'];

export interface Usage {
  cpuMilli: number;
  memoryBytes: number;
}

export interface LoadSample {
  atMs: number;
  /** Time since the previous sample; 0 on the first (CPU figures are then 0). */
  windowMs: number;
  node: Usage & { cpuCapacityMilli: number; memoryTotalBytes: number };
  pods: Map<string, Usage>;
  byClass: Record<LoadClass, Usage & { pods: number }>;
}

interface Counter {
  ns: bigint;
  atMs: number;
}

export class LoadSampler {
  private prevPods = new Map<string, Counter>();
  private prevNode: { busyNs: bigint; totalNs: bigint } | undefined;
  private prevAt: number | undefined;

  constructor(
    private readonly reader: NodeReader,
    private readonly cpuCount: number,
    private readonly now: () => number = Date.now,
  ) {}

  async sample(pods: readonly PodCgroup[]): Promise<LoadSample> {
    const at = this.now();
    const windowMs = this.prevAt === undefined ? 0 : Math.max(0, at - this.prevAt);
    this.prevAt = at;

    const nodeCpu = await this.reader.nodeCpuNs();
    let nodeCpuMilli = 0;
    if (nodeCpu !== undefined && this.prevNode !== undefined) {
      const dBusy = nodeCpu.busyNs - this.prevNode.busyNs;
      const dTotal = nodeCpu.totalNs - this.prevNode.totalNs;
      if (dTotal > 0n) nodeCpuMilli = Math.round((Number(dBusy) / Number(dTotal)) * this.cpuCount * 1000);
    }
    this.prevNode = nodeCpu;
    const mem = await this.reader.meminfo();

    const usage = new Map<string, Usage>();
    const nextPrev = new Map<string, Counter>();
    for (const pc of pods) {
      const ns = await this.reader.cpuUsageNs(pc.dir);
      let cpuMilli = 0;
      if (ns !== undefined) {
        const prev = this.prevPods.get(pc.pod.uid);
        if (prev !== undefined && at > prev.atMs && ns >= prev.ns) {
          // ms of CPU per second of wall time = millicores
          cpuMilli = Math.round(Number(ns - prev.ns) / 1e6 / ((at - prev.atMs) / 1000));
        }
        nextPrev.set(pc.pod.uid, { ns, atMs: at });
      }
      usage.set(pc.pod.uid, { cpuMilli, memoryBytes: (await this.reader.memoryWorkingSet(pc.dir)) ?? 0 });
    }
    this.prevPods = nextPrev;

    const byClass = Object.fromEntries(LOAD_CLASSES.map((c) => [c, { cpuMilli: 0, memoryBytes: 0, pods: 0 }])) as LoadSample['byClass'];
    for (const pc of pods) {
      const u = usage.get(pc.pod.uid)!;
      const slot = byClass[pc.pod.tidepoolQos];
      slot.cpuMilli += u.cpuMilli;
      slot.memoryBytes += u.memoryBytes;
      slot.pods++;
    }
    const memUsed = Math.max(0, mem.totalBytes - mem.availableBytes);
    const podCpu = byClass.online.cpuMilli + byClass['online-exclusive'].cpuMilli + byClass.offline.cpuMilli;
    const podMem = byClass.online.memoryBytes + byClass['online-exclusive'].memoryBytes + byClass.offline.memoryBytes;
    byClass.system = { cpuMilli: Math.max(0, nodeCpuMilli - podCpu), memoryBytes: Math.max(0, memUsed - podMem), pods: 0 };
    return {
      atMs: at,
      windowMs,
      node: { cpuMilli: nodeCpuMilli, memoryBytes: memUsed, cpuCapacityMilli: this.cpuCount * 1000, memoryTotalBytes: mem.totalBytes },
      pods: usage,
      byClass,
    };
  }
}
