// The colocation utilization trace at a tiny size: one small cluster, a 20-minute simulated day,
// both modes in this process. It must run end to end and return every figure bench colocation
// merges into its BENCH line, each consistent with what happened. No timing is asserted, and
// no target either (a tiny cluster says nothing about them): docs/BENCHMARKS.md has the figures.
import { describe, expect, it } from 'vitest';
import { parseArgs, runTrace, traceConfig } from '../bench/_trace.js';

const FIGURES = [
  'utilization',
  'onlineUnmetSamples',
  'offlineWaitP50Seconds',
  'offlineWaitP99Seconds',
  'offlineWaitMaxSeconds',
  'completedApps',
  'deadlockedApps',
  'pendingWorkersAtEnd',
  'baselineUtilization',
  'baselineOnlineUnmetSamples',
  'baselineOfflineWaitP99Seconds',
  'baselineCompletedApps',
  'baselineDeadlockedApps',
  'utilizationVsBaseline',
  'appsPlanned',
  'evictedWorkers',
] as const;

describe('colocation utilization trace', () => {
  it('runs a tiny trace against both schedulers and reports every figure, each consistent with the run', async () => {
    const lines: string[] = [];
    const figures = await runTrace({
      quick: true,
      parallel: false,
      log: (l) => lines.push(l),
      config: { clusters: 1, nodes: 4, dayMs: 20 * 60_000, timeScale: 120, warmupTimeoutMs: 30_000 },
    });
    for (const key of FIGURES) {
      expect(typeof figures[key], key).toBe('number');
      expect(Number.isFinite(figures[key] as number), key).toBe(true);
      expect(figures[key] as number, key).toBeGreaterThanOrEqual(0);
    }
    const n = (k: string): number => figures[k] as number;
    expect(n('traceClusters')).toBe(1);
    expect(n('traceNodes')).toBe(4);
    expect(n('appsPlanned')).toBeGreaterThan(0);
    for (const prefix of ['', 'baseline']) {
      const k = (s: string): string => (prefix ? `${prefix}${s[0]!.toUpperCase()}${s.slice(1)}` : s);
      // Percent of the nodes' CPU: the online services alone keep it well above zero.
      expect(n(k('utilization'))).toBeGreaterThan(5);
      expect(n(k('utilization'))).toBeLessThanOrEqual(100);
      expect(n(k('completedApps'))).toBeLessThanOrEqual(n('appsPlanned'));
      expect(n(k('deadlockedApps'))).toBeLessThanOrEqual(n('appsPlanned'));
      expect(Number.isInteger(n(k('onlineUnmetSamples')))).toBe(true);
      expect(n(k('offlineWaitP99Seconds'))).toBeLessThanOrEqual(n(k('offlineWaitMaxSeconds')));
      // Nothing waits longer than the day it was created in.
      expect(n(k('offlineWaitMaxSeconds'))).toBeLessThanOrEqual(20 * 60);
    }
    // Tidepool's stack placed offline work on batch capacity and finished apps with it.
    expect(n('completedApps')).toBeGreaterThan(0);
    expect(n('offlineShare')).toBeGreaterThan(0);
    expect(n('utilizationVsBaseline')).toBeCloseTo(n('utilization') / n('baselineUtilization'), 1);
    expect(lines.some((l) => l.startsWith('  ours: utilization'))).toBe(true);
    expect(lines.some((l) => l.startsWith('  baseline: utilization'))).toBe(true);
  }, 180_000);

  it('reads its flags, and refuses ones it does not know', () => {
    expect(parseArgs(['--quick', '--nodes', '7', '--time-scale', '30', '--only', 'ours', '--serial'])).toEqual({
      quick: true,
      config: { nodes: 7, timeScale: 30 },
      modes: ['ours'],
      parallel: false,
    });
    expect(() => parseArgs(['--nodes', 'many'])).toThrow(/--nodes needs a number of at least 1, got "many"/);
    expect(() => parseArgs(['--only', 'both'])).toThrow(/--only needs baseline or ours/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown flag "--fast"/);
    expect(traceConfig(true)).toMatchObject({ clusters: 3, nodes: 20, dayMs: 3_600_000 });
    expect(traceConfig(false)).toMatchObject({ clusters: 3, nodes: 200, dayMs: 86_400_000 });
  });
});
