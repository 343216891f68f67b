// The `bench colocation` suite at a tiny size: the sim, Tidepool's scheduler process and the load
// must run end to end, and the last line must be a well-formed BENCH line whose figures agree with
// what the run did. No timing is asserted (speed belongs in docs/BENCHMARKS.md).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, parseArgs } from '../bench/colocation.js';
import { nodeLoad } from '../bench/_coloc-workload.js';
import { isolationConfig } from '../bench/isolation.js';

const NODES = 20;
const PODS = 40;

describe('bench colocation', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('schedules a tiny burst with tidepool-scheduler beside its ceiling and prints BENCH colocation as its last line', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      lines.push(a.map(String).join(' '));
    });
    // The utilization trace is another helper's phase with its own test (_trace*.ts): skipped here.
    await main(['--nodes', String(NODES), '--pods', String(PODS), '--warmup', '4', '--qps', '400', '--burst', '800', '--skip-trace', '--isolation-rounds', '1', '--isolation-seconds', '1']);
    const last = lines[lines.length - 1] ?? '';
    expect(last).toMatch(/^BENCH colocation \{.*\}$/);
    const f = JSON.parse(last.slice('BENCH colocation '.length)) as Record<string, number | string | boolean>;
    for (const key of ['podsPerSec', 'p50Ms', 'p99Ms', 'ceilingPodsPerSec', 'ceilingRatio', 'ceilingP99Ms', 'schedulerCpuMsPerPod', 'simCpuMsPerPod', 'cycleMeanUs', 'schedulerSyncSeconds']) {
      expect(Number.isFinite(f[key]), key).toBe(true);
    }
    // The sizes and limits asked for.
    expect(f['nodes']).toBe(NODES);
    expect(f['pods']).toBe(PODS);
    expect(f['clientQps']).toBe(400);
    expect(f['clientBurst']).toBe(800);
    expect(f['bindingConcurrency']).toBeGreaterThanOrEqual(1);
    expect([0, 1]).toContain(f['compiledCode']);
    // Every pod was bound, once, by the scheduler; the ratio is the two rates side by side.
    expect(f['bindsPerPod']).toBe(1);
    expect(f['attemptsScheduled']).toBeGreaterThanOrEqual(PODS);
    expect(f['podsPerSec']).toBeGreaterThan(0);
    expect(f['ceilingPodsPerSec']).toBeGreaterThan(0);
    expect(f['ceilingRatio']).toBeCloseTo((f['podsPerSec'] as number) / (f['ceilingPodsPerSec'] as number), 1);
    expect(f['p99Ms']).toBeGreaterThanOrEqual(f['p50Ms'] as number);
    expect(f['p50Ms']).toBeGreaterThan(0);
    // The load filter was on: the hot nodes (measured CPU above the offline threshold, batch
    // capacity still advertised) got none of the pods.
    const hot = Array.from({ length: NODES }, (_, i) => nodeLoad(i).hot).filter(Boolean).length;
    expect(hot).toBeGreaterThan(0);
    expect(f['hotNodes']).toBe(hot);
    expect(f['podsOnHotNodes']).toBe(0);
    expect(f['nodesUsed']).toBeLessThanOrEqual(NODES - hot);
    // The kubelet-style Scheduled Event per pod is written (kube-scheduler's default).
    expect(f['eventWritesPerPod']).toBeGreaterThan(0);
    // The interference phases: figures where this machine has cgroup v1 and root, else why not.
    if (typeof f['isolationSkipped'] === 'string') {
      expect(f['isolationSkipped']).not.toBe('');
    } else {
      for (const key of ['p99AloneMs', 'p99BurstableMs', 'p99TidepoolMs', 'degradationBurstable', 'degradationWithTidepool', 'offlineBudgetCores']) {
        expect(Number.isFinite(f[key]), key).toBe(true);
      }
      // A share of what the policy allowed, or no figure when the busy machine left no budget.
      expect(f['offlineCpuShare'] === null || (f['offlineCpuShare'] as number) >= 0).toBe(true);
      expect(f['degradationWithTidepool']).toBeCloseTo((f['p99TidepoolMs'] as number) / (f['p99AloneMs'] as number) - 1, 2);
    }
  }, 300_000);

  it('rejects a bad size instead of running a meaningless benchmark', () => {
    expect(() => parseArgs(['--pods', 'many'])).toThrow(/--pods needs a whole number of at least 1, got "many"/);
    expect(() => parseArgs(['--nodes', '0'])).toThrow(/--nodes needs a whole number of at least 1/);
    expect(() => parseArgs(['--percentage-of-nodes-to-score', '101'])).toThrow(/--percentage-of-nodes-to-score is 0/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown flag "--fast"/);
    expect(() => parseArgs(['--profile'])).toThrow(/--profile needs a directory/);
    expect(() => parseArgs(['--isolation-rounds', '0'])).toThrow(/--isolation-rounds needs a positive number/);
    expect(() => isolationConfig(['--hogz', '3'])).toThrow(/unknown flag "--hogz"/);
    expect(parseArgs(['--warmup', '0']).warmup).toBe(0);
    expect(parseArgs(['--binding-concurrency', '16']).bindingConcurrency).toBe(16);
    // The sizes by default; --quick is the minute-long run.
    expect(parseArgs([])).toMatchObject({ nodes: 5000, pods: 10_000, percentageOfNodesToScore: 0, scheduledEvents: true });
    expect(parseArgs(['--quick'])).toMatchObject({ nodes: 1000, pods: 2000, quick: true, isolationArgs: ['--quick'] });
    expect(parseArgs(['--isolation-seconds', '2']).isolationArgs).toEqual(['--seconds', '2']);
  });
});
