// The batch formula and the publish rules as pure functions: every term of the breakdown, the
// floor at 0, stale and missing data, and which changes are written.
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLOCATION_SETTINGS, type EffectiveColocation } from '../../../api/index.js';
import { computeBatch, decidePublish, type BatchInputs, type PublishedBatch } from '../../../colocation/batch/index.js';
import type { LoadPeak, NodeLoadSample } from '../../../colocation/load/index.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const GI = 2 ** 30;
const SETTINGS: EffectiveColocation = { ...structuredClone(DEFAULT_COLOCATION_SETTINGS), pool: null };

function inputs(over: Partial<BatchInputs> = {}): BatchInputs {
  const latest: NodeLoadSample = { node: 'n', sampledAt: NOW - 2_000, cpu: 5000, memory: 20 * GI, onlineCpu: 3000, onlineMemory: 12 * GI, systemCpu: 400, systemMemory: 2 * GI, source: 'agent' };
  const peak: LoadPeak = { node: 'n', windowMs: 300_000, samples: 150, oldestAt: NOW - 299_000, newestAt: NOW - 2_000, cpu: 6000, memory: 22 * GI, onlineCpu: 4000, onlineMemory: 14 * GI, systemCpu: 600, systemMemory: 3 * GI };
  return { node: 'n', allocatable: { cpu: 16_000, memory: 64 * GI }, settings: SETTINGS, policy: 'default', reserved: { cpu: 500, memory: GI }, latest, peak, now: NOW, ...over };
}

describe('computeBatch', () => {
  it('is allocatable × reclaim − peak online − latest system − reserved, per resource, in whole units', () => {
    const b = computeBatch(inputs());
    // 16000 × 65 % = 10400; − 4000 peak online − 400 system (latest) − 500 reserved
    expect(b.result.cpu).toBe(5500);
    // 64Gi × 65 % − 14Gi − 2Gi − 1Gi, floored to a whole byte
    expect(b.result.memory).toBe(Math.floor(64 * GI * 0.65 - 17 * GI));
    expect(b).toMatchObject({
      allocatable: { cpu: 16_000, memory: 64 * GI },
      reclaimPercent: { cpu: 65, memory: 65 },
      onlineUsageMax: { cpu: 4000, memory: 14 * GI },
      systemUsage: { cpu: 400, memory: 2 * GI },
      reserved: { cpu: 500, memory: GI },
      dataAgeSeconds: 2,
      source: 'agent',
      samples: 150,
      windowSeconds: 300,
      staleAfterSeconds: 120,
      policy: 'default',
      pool: null,
      computedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(b.degraded).toBeUndefined();
  });

  it('floors at 0 when online load takes more than the reclaimable share', () => {
    const i = inputs();
    const b = computeBatch({ ...i, peak: { ...i.peak!, onlineCpu: 15_000 } });
    expect(b.result.cpu).toBe(0);
    expect(b.result.memory).toBeGreaterThan(0);
  });

  it('gives 0 for stale data and for no data, and says which', () => {
    const i = inputs();
    const stale = computeBatch({ ...i, latest: { ...i.latest!, sampledAt: NOW - 121_000 } });
    expect(stale).toMatchObject({ result: { cpu: 0, memory: 0 }, degraded: 'stale-load-data', dataAgeSeconds: 121 });
    expect(stale.onlineUsageMax.cpu).toBe(4000);
    expect(computeBatch({ ...i, latest: undefined, peak: undefined })).toMatchObject({ result: { cpu: 0, memory: 0 }, degraded: 'no-load-data', dataAgeSeconds: null, source: null, samples: 0 });
  });

  it('uses the latest sample as the peak when the window holds none (a window shorter than the staleness bound)', () => {
    const b = computeBatch({ ...inputs(), peak: undefined });
    expect(b.onlineUsageMax).toEqual({ cpu: 3000, memory: 12 * GI });
    expect(b.result.cpu).toBe(10_400 - 3000 - 400 - 500);
  });
});

describe('decidePublish', () => {
  const at = NOW - 60_000;
  const prev: PublishedBatch = { cpu: 5000, memory: 10 * GI, at, explained: true };
  const cases: Array<[string, PublishedBatch | undefined, { cpu: number; memory: number }, number, boolean, string]> = [
    ['a node without batch resources', undefined, { cpu: 100, memory: 100 }, NOW, true, 'first'],
    ['the same figures', prev, { cpu: 5000, memory: 10 * GI }, NOW + 3_600_000, false, 'unchanged'],
    ['a 9 % change, a minute after the last write', prev, { cpu: 4550, memory: 10 * GI }, NOW, false, 'hysteresis'],
    ['a 10 % change', prev, { cpu: 4500, memory: 10 * GI }, NOW, true, 'significant'],
    ['a 15 % memory rise', prev, { cpu: 5000, memory: 11.5 * GI }, NOW, true, 'significant'],
    ['a drop to 0', prev, { cpu: 0, memory: 10 * GI }, NOW, true, 'to-zero'],
    ['a rise from 0', { ...prev, cpu: 0 }, { cpu: 10, memory: 10 * GI }, NOW, true, 'significant'],
    ['a 1 % change five minutes after the last write', prev, { cpu: 4950, memory: 10 * GI }, at + 300_000, true, 'overdue'],
    ['figures the annotation does not explain', { ...prev, explained: false }, { cpu: 5000, memory: 10 * GI }, NOW, true, 'unexplained'],
  ];
  it.each(cases)('%s', (_name, p, next, now, publish, rule) => {
    const d = decidePublish(p, next, now);
    expect(d).toMatchObject({ publish, rule });
  });

  it('says when a held change becomes overdue', () => {
    const d = decidePublish(prev, { cpu: 4900, memory: 10 * GI }, NOW);
    expect(d).toMatchObject({ publish: false, recheckInMs: 240_000 });
  });
});
