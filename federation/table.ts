/** The table `tidepool capacity` prints: what a cluster admin reads first. */
import { cpuText, memText } from './format.js';
import type { CapacityDocument, ClusterCapacity } from './types.js';

export function capacityTable(doc: CapacityDocument, wide = false): string {
  const head = ['CLUSTER', 'READY', 'NODES', 'CPU ALLOC', 'CPU REQ', 'CPU IDLE', 'CPU LENT', 'MEM ALLOC', 'MEM REQ', 'MEM IDLE', 'MEM LENT', 'BATCH CPU', 'LARGEST SLOT', 'UTIL'];
  if (wide) head.push('CPU USAGE', 'BATCH MEM', 'VIRTUAL NODES', 'CONDITION');
  const rows: string[][] = [head];
  const row = (c: Pick<ClusterCapacity, 'name' | 'ready' | 'nodes' | 'cpu' | 'memory'> & Partial<ClusterCapacity>): string[] => {
    const util = c.cpu.allocatable > 0 ? `${Math.round((Math.max(c.cpu.usage, c.cpu.requested) / c.cpu.allocatable) * 100)}%` : '-';
    const r = [
      c.name,
      c.ready ? 'True' : 'False',
      String(c.nodes),
      cpuText(c.cpu.allocatable),
      cpuText(c.cpu.requested),
      cpuText(c.cpu.idle),
      cpuText(c.cpu.lent),
      memText(c.memory.allocatable),
      memText(c.memory.requested),
      memText(c.memory.idle),
      memText(c.memory.lent),
      cpuText(c.cpu.batch),
      `${cpuText(c.cpu.largestSlot)}/${memText(c.memory.largestSlot)}`,
      util,
    ];
    if (wide) {
      const notReady = c.conditions?.find((x) => x.type === 'Ready' && x.status !== 'True');
      r.push(cpuText(c.cpu.usage), memText(c.memory.batch), (c.virtualNodes ?? []).join(',') || '-', notReady ? `${notReady.reason}: ${notReady.message}` : '-');
    }
    return r;
  };
  for (const c of doc.clusters) rows.push(row(c));
  const readyNodes = doc.clusters.reduce((s, c) => s + (c.ready ? c.nodes : 0), 0);
  rows.push(row({ name: 'TOTAL', ready: doc.clusters.some((c) => c.ready), nodes: readyNodes, cpu: doc.total.cpu, memory: doc.total.memory }));
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
