/**
 * What a sample says about online and system usage when its source did not measure them
 * directly. Missing online usage is taken as everything that is not known to be system usage:
 * over-counting online load only makes the batch capacity smaller, under-counting would hand
 * online capacity to offline pods.
 */
import type { NodeLoadSample } from './types.js';

export function systemCpuOf(s: NodeLoadSample): number {
  return s.systemCpu ?? 0;
}

export function systemMemoryOf(s: NodeLoadSample): number {
  return s.systemMemory ?? 0;
}

export function onlineCpuOf(s: NodeLoadSample): number {
  return s.onlineCpu ?? Math.max(0, s.cpu - systemCpuOf(s));
}

export function onlineMemoryOf(s: NodeLoadSample): number {
  return s.onlineMemory ?? Math.max(0, s.memory - systemMemoryOf(s));
}

/**
 * Checks a sample from a source and returns it with integer amounts; throws naming the field
 * that is wrong. Sources feed remote data (an agent, metrics.k8s.io), so nothing is trusted.
 */
export function validSample(s: NodeLoadSample): NodeLoadSample {
  const where = `load sample for node ${JSON.stringify(s.node)}`;
  if (typeof s.node !== 'string' || s.node === '') throw new RangeError('load sample: node must be a non-empty string');
  if (!Number.isFinite(s.sampledAt)) throw new RangeError(`${where}: sampledAt must be a finite time in ms, got ${String(s.sampledAt)}`);
  if (s.source !== 'agent' && s.source !== 'metrics-api') throw new RangeError(`${where}: source must be agent or metrics-api, got ${String(s.source)}`);
  const amount = (name: keyof NodeLoadSample, v: number | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${where}: ${name} must be a non-negative number, got ${String(v)}`);
    return Math.round(v);
  };
  const out: NodeLoadSample = { node: s.node, sampledAt: s.sampledAt, cpu: amount('cpu', s.cpu)!, memory: amount('memory', s.memory)!, source: s.source };
  if (out.cpu === undefined || out.memory === undefined) throw new RangeError(`${where}: cpu and memory are required`);
  for (const k of ['onlineCpu', 'onlineMemory', 'systemCpu', 'systemMemory'] as const) {
    const v = amount(k, s[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
