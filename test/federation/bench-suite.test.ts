// The `bench federation` suite at a tiny size: it must run end to end and end with a
// well-formed BENCH line whose figures are consistent with what it did. No timing is asserted.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, parseArgs } from '../bench/federation.js';

describe('bench federation', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs at a tiny size and prints BENCH federation with every figure as its last line', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      lines.push(a.map(String).join(' '));
    });
    await main(['--clusters', '3', '--nodes', '20', '--events', '2000', '--placements', '200']);
    const last = lines[lines.length - 1] ?? '';
    expect(last).toMatch(/^BENCH federation \{.*\}$/);
    const f = JSON.parse(last.slice('BENCH federation '.length)) as Record<string, number>;
    for (const key of ['eventsPerSec', 'placeP50Ms', 'placeP99Ms', 'rssMiB', 'recountMs', 'modelHeapMiB']) {
      expect(Number.isFinite(f[key]), key).toBe(true);
    }
    expect(f['clusters']).toBe(3);
    expect(f['nodesPerCluster']).toBe(20);
    expect(f['events']).toBe(2000);
    expect(f['placements']).toBe(200);
    // 20 nodes of 32–64 cores per cluster have room for every one of 200 pods of ≤ 6 CPU.
    expect(f['placed']).toBe(200);
    expect(f['placeP99Ms']).toBeGreaterThanOrEqual(f['placeP50Ms']!);
    expect(f['eventsPerSec']).toBeGreaterThan(0);
  }, 120_000);

  it('rejects a bad size instead of running a meaningless benchmark', () => {
    expect(() => parseArgs(['--nodes', 'many'])).toThrow(/--nodes needs a whole number of at least 1, got "many"/);
    expect(() => parseArgs(['--events', '0'])).toThrow(/at least 1/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown flag "--fast"/);
    expect(parseArgs(['--quick']).nodes).toBe(200);
    expect(parseArgs([])).toEqual({ clusters: 10, nodes: 1_000, events: 1_000_000, placements: 20_000 });
  });
});
