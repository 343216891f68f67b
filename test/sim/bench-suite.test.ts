// The `bench sim` suite at a tiny size: it must run end to end against a real sim and
// end with a well-formed BENCH line whose figures are consistent with what it did.
// No timing is asserted (speed belongs in docs/BENCHMARKS.md, not in tests).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, parseArgs } from '../bench/sim.js';

describe('bench sim', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs at a tiny size and prints BENCH sim with every figure as its last line', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      lines.push(a.map(String).join(' '));
    });
    await main(['--nodes', '12', '--pods', '150', '--watchers', '2', '--watch-events', '40', '--raw-seconds', '0.2', '--idle-seconds', '0.1', '--slices', '2', '--list-limit', '40']);
    const last = lines[lines.length - 1] ?? '';
    expect(last).toMatch(/^BENCH sim \{.*\}$/);
    const figures = JSON.parse(last.slice('BENCH sim '.length)) as Record<string, number>;
    for (const key of ['podWritesPerSec', 'list100kSeconds', 'rssMiB', 'heapUsedMiB', 'rawVersionReqPerSec', 'watchEventsPerSec', 'inProcessWritesPerSec']) {
      expect(typeof figures[key], key).toBe('number');
      expect(Number.isFinite(figures[key]), key).toBe(true);
    }
    expect(figures['podWritesPerSec']).toBeGreaterThan(0);
    expect(figures['rssMiB']).toBeGreaterThan(0);
    // Every pod comes back from the paginated LIST, in ceil(150 / 40) pages.
    expect(figures['listItems']).toBe(150);
    expect(figures['listPages']).toBe(4);
    // Every watcher saw every change.
    expect(figures['watchDelivered']).toBe(2 * 40);
  }, 120_000);

  it('rejects a bad size instead of running a meaningless benchmark', () => {
    expect(() => parseArgs(['--pods', 'many'])).toThrow(/--pods needs a non-negative number/);
    expect(() => parseArgs(['--nodes', '0'])).toThrow(/at least 1/);
    expect(parseArgs(['--quick']).pods).toBe(10_000);
    expect(parseArgs([]).pods).toBe(100_000);
  });
});
