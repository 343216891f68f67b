// The `bench virtual-node` suite at a tiny size: the sims, the `tidepool virtual-node` process and
// the load must run end to end, and the last line must be a well-formed BENCH line whose figures
// agree with what the run did. No timing is asserted (speed belongs in docs/BENCHMARKS.md).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, parseArgs } from '../bench/virtual-node.js';

describe('bench virtual-node', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs a tiny burst through a real virtual node process and prints BENCH virtual-node as its last line', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      lines.push(a.map(String).join(' '));
    });
    await main(['--members', '2', '--nodes', '4', '--member-pods', '200', '--pods', '20', '--warmup', '2', '--quiet-seconds', '2', '--settle-seconds', '0', '--qps', '500', '--burst', '1000']);
    const last = lines[lines.length - 1] ?? '';
    expect(last).toMatch(/^BENCH virtual-node \{.*\}$/);
    const f = JSON.parse(last.slice('BENCH virtual-node '.length)) as Record<string, number>;
    for (const key of ['podsPerSec', 'ceilingPodsPerSec', 'ceilingRatio', 'p50Seconds', 'p99Seconds', 'rssMiB', 'rssAfterBurstMiB', 'peakRssMiB', 'statusWritesPerPod', 'nodeStatusWritesPerMin', 'hostNodeWritesPerMin', 'vnCpuMsPerPod', 'simCpuMsPerPod']) {
      expect(Number.isFinite(f[key]), key).toBe(true);
    }
    // The sizes asked for, and the limits the BENCH line says every client ran with.
    expect(f['members']).toBe(2);
    expect(f['pods']).toBe(20);
    expect(f['memberPods']).toBe(200);
    expect(f['clientQps']).toBe(500);
    expect(f['clientBurst']).toBe(1000);
    expect([0, 1]).toContain(f['compiledCode']);
    // Every pod went end to end, and the ratio is the two rates side by side.
    expect(f['podsPerSec']).toBeGreaterThan(0);
    expect(f['ceilingPodsPerSec']).toBeGreaterThan(0);
    expect(f['ceilingRatio']).toBeCloseTo(f['podsPerSec']! / f['ceilingPodsPerSec']!, 1);
    expect(f['p99Seconds']).toBeGreaterThanOrEqual(f['p50Seconds']!);
    expect(f['p50Seconds']).toBeGreaterThan(0);
    // Running came back through the virtual node's status writes: at least one per pod, at most the
    // two of the happy path (scheduled, running); the host saw those and the scheduler's binding.
    expect(f['statusWritesPerPod']).toBeGreaterThanOrEqual(1);
    expect(f['statusWritesPerPod']).toBeLessThanOrEqual(2);
    expect(f['hostPodWritesPerPod']).toBeGreaterThanOrEqual(f['statusWritesPerPod']! + 1);
    // Its mirror was the one member write per pod the virtual node had to make.
    expect(f['vnMemberRequestsPerPod']).toBeGreaterThanOrEqual(1);
    // Memory of the virtual node's own process, read from /proc.
    expect(f['rssMiB']).toBeGreaterThan(0);
    expect(f['peakRssMiB']).toBeGreaterThanOrEqual(f['rssMiB']!);
  }, 240_000);

  it('rejects a bad size instead of running a meaningless benchmark', () => {
    expect(() => parseArgs(['--pods', 'many'])).toThrow(/--pods needs a whole number of at least 1, got "many"/);
    expect(() => parseArgs(['--members', '0'])).toThrow(/--members needs a whole number of at least 1/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown flag "--fast"/);
    expect(() => parseArgs(['--profile'])).toThrow(/--profile needs a directory/);
    expect(parseArgs(['--member-pods', '0']).memberPods).toBe(0);
    // The sizes by default; --quick is the minute-long sanity run.
    expect(parseArgs([])).toMatchObject({ members: 3, nodes: 1000, pods: 5000, memberPods: 100_000 });
    expect(parseArgs(['--quick'])).toMatchObject({ members: 3, nodes: 100, pods: 500, memberPods: 10_000, quick: true });
  });
});
