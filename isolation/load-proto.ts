// Loads proto/loadreport.proto (the source of truth for the wire format).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { NodeLoadReport } from './load-report.js';

// Next to this module in the source tree; from dist/isolation/ back to the
// checkout's isolation/proto when the build did not copy it.
const CANDIDATES = ['./proto/loadreport.proto', '../../isolation/proto/loadreport.proto'];

export function loadReportProtoPath(): string {
  for (const rel of CANDIDATES) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`cannot find loadreport.proto (looked for ${CANDIDATES.join(', ')} next to ${fileURLToPath(import.meta.url)}); ship isolation/proto with the build`);
}

export interface NodeLoadServiceDef {
  service: grpc.ServiceDefinition;
  client: grpc.ServiceClientConstructor;
}

let cached: NodeLoadServiceDef | undefined;

export function nodeLoadService(): NodeLoadServiceDef {
  if (cached !== undefined) return cached;
  const def = protoLoader.loadSync(loadReportProtoPath(), { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { tidepool: { isolation: { v1: { NodeLoadService: grpc.ServiceClientConstructor } } } };
  const client = pkg.tidepool.isolation.v1.NodeLoadService;
  cached = { service: client.service, client };
  return cached;
}

/** Wire shape (proto-loader, camelCase) of NodeLoad. */
export interface NodeLoadMessage {
  nodeName: string;
  timestampMs: number;
  windowMs: number;
  capacity: { cpuMillicores: number; memoryBytes: number };
  usage: { cpuMillicores: number; memoryBytes: number };
  classes: { qos: string; usage: { cpuMillicores: number; memoryBytes: number }; pods: number }[];
  offlineBudgetMillicores: number;
  offlineCpus: number;
}

export function toMessage(r: NodeLoadReport): NodeLoadMessage {
  return {
    nodeName: r.nodeName,
    timestampMs: r.timestampMs,
    windowMs: r.windowMs,
    capacity: { cpuMillicores: r.capacity.cpuMilli, memoryBytes: r.capacity.memoryBytes },
    usage: { cpuMillicores: r.usage.cpuMilli, memoryBytes: r.usage.memoryBytes },
    classes: r.classes.map((c) => ({ qos: c.qos, usage: { cpuMillicores: c.cpuMilli, memoryBytes: c.memoryBytes }, pods: c.pods })),
    offlineBudgetMillicores: r.offlineBudgetMilli,
    offlineCpus: r.offlineCpus,
  };
}

export function fromMessage(m: NodeLoadMessage): NodeLoadReport {
  return {
    nodeName: m.nodeName,
    timestampMs: m.timestampMs,
    windowMs: m.windowMs,
    capacity: { cpuMilli: m.capacity?.cpuMillicores ?? 0, memoryBytes: m.capacity?.memoryBytes ?? 0 },
    usage: { cpuMilli: m.usage?.cpuMillicores ?? 0, memoryBytes: m.usage?.memoryBytes ?? 0 },
    classes: (m.classes ?? []).map((c) => ({
      qos: c.qos as NodeLoadReport['classes'][number]['qos'],
      cpuMilli: c.usage?.cpuMillicores ?? 0,
      memoryBytes: c.usage?.memoryBytes ?? 0,
      pods: c.pods,
    })),
    offlineBudgetMilli: m.offlineBudgetMillicores,
    offlineCpus: m.offlineCpus,
  };
}
