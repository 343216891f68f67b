// The kube benchmark at a tiny size, so it cannot rot: it runs end to end and prints its BENCH line.
import { expect, it, vi } from 'vitest';
import { main } from '../bench/kube.js';

it('bench kube runs at a tiny size and reports its figures', async () => {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  try {
    await main(['--pods', '300']);
  } finally {
    log.mockRestore();
  }
  const last = lines.at(-1)!;
  expect(last.startsWith('BENCH kube ')).toBe(true);
  const result = JSON.parse(last.slice('BENCH kube '.length)) as Record<string, number>;
  expect(result['pods']).toBe(300);
  // Memory per pod at this size is GC noise; only its presence is checked here.
  expect(Number.isFinite(result['projectedBytesPerPod'])).toBe(true);
  expect(Number.isFinite(result['unprojectedBytesPerPod'])).toBe(true);
  expect(result['eventsPerSec']).toBeGreaterThan(0);
  expect(result['liveAddResyncItemsAhead']).toBeGreaterThanOrEqual(0);
}, 120_000);
