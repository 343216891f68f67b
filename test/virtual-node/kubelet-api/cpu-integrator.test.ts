// Cumulative CPU (core-nanoseconds) from the CPU rates a member's metrics.k8s.io reports.

import { describe, expect, it } from 'vitest';
import { CpuIntegrator } from '../../../virtual-node/kubelet-api/cpu-integrator.js';

const CORE = 1e9; // nanocores in one core

describe('CpuIntegrator', () => {
  it('starts a series at its rate times the time since it started', () => {
    const cpu = new CpuIntegrator();
    // Half a core for the 10 s since the container started: 5 core-seconds.
    expect(cpu.observe('c', 0.5 * CORE, 20_000, 10_000)).toBe(5 * CORE);
  });

  it('charges the time since the last observation at the rate just read', () => {
    const cpu = new CpuIntegrator();
    cpu.observe('c', 1 * CORE, 10_000, 10_000);
    expect(cpu.observe('c', 2 * CORE, 13_000, 10_000)).toBe(6 * CORE);
    expect(cpu.observe('c', 0, 20_000, 10_000)).toBe(6 * CORE);
  });

  it('never goes backwards, whatever the clock or the rate does', () => {
    const cpu = new CpuIntegrator();
    const a = cpu.observe('c', 1 * CORE, 10_000, 0);
    expect(cpu.observe('c', 1 * CORE, 9_000, 0)).toBe(a);
    expect(cpu.observe('c', -5 * CORE, 11_000, 0)).toBe(a);
  });

  it('forgets series not observed for a while', () => {
    const cpu = new CpuIntegrator(1_000);
    cpu.observe('gone', CORE, 0, 0);
    cpu.observe('live', CORE, 1_500, 0);
    cpu.prune(1_600);
    expect(cpu.size).toBe(1);
  });
});
