import { describe, it, expect } from 'vitest';
import {
  QuantityError,
  addQuantities,
  compareQuantities,
  formatBytes,
  formatCpuMilli,
  formatQuantity,
  parseQuantity,
  quantityFromMilli,
  quantityFromUnits,
  subtractQuantities,
  toMilli,
  toMilliBigInt,
  toUnits,
  toUnitsBigInt,
  tryParseQuantity,
  type Quantity,
  type QuantityFormat,
} from '../../kube/quantity.js';

/** Small deterministic PRNG so a failing property prints a reproducible case. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('parseQuantity', () => {
  it.each([
    // The Kubernetes docs' example: these all mean (roughly) 129 MB.
    ['128974848', 128974848n * 10n ** 9n, 'DecimalSI'],
    ['129e6', 129_000_000n * 10n ** 9n, 'DecimalExponent'],
    ['129M', 129_000_000n * 10n ** 9n, 'DecimalSI'],
    ['128974848000m', 128974848n * 10n ** 9n, 'DecimalSI'],
    ['123Mi', 123n * 2n ** 20n * 10n ** 9n, 'BinarySI'],
    // CPU: 0.1 is the same as 100m.
    ['0.1', 100_000_000n, 'DecimalSI'],
    ['100m', 100_000_000n, 'DecimalSI'],
    ['.5', 500_000_000n, 'DecimalSI'],
    ['5.', 5_000_000_000n, 'DecimalSI'],
    ['+2', 2_000_000_000n, 'DecimalSI'],
    ['-2k', -2_000_000_000_000n, 'DecimalSI'],
    ['1.5Gi', 3n * 2n ** 29n * 10n ** 9n, 'BinarySI'],
    ['1.5E-3', 1_500_000n, 'DecimalExponent'],
    ['1e+3', 1000n * 10n ** 9n, 'DecimalExponent'],
    ['1E', 10n ** 18n * 10n ** 9n, 'DecimalSI'], // "E" alone is exa, not an exponent
    ['2315983n', 2315983n, 'DecimalSI'], // metrics.k8s.io reports nanocores
    ['5u', 5000n, 'DecimalSI'],
    ['0', 0n, 'DecimalSI'],
    ['-0', 0n, 'DecimalSI'],
    ['000.000', 0n, 'DecimalSI'],
    ['0Gi', 0n, 'BinarySI'],
    ['7Ei', 7n * 2n ** 60n * 10n ** 9n, 'BinarySI'],
  ] as const)('%s', (input, nanos, format) => {
    expect(parseQuantity(input)).toEqual({ nanos, format });
  });

  it('rounds precision finer than a nano-unit up, so a tiny request never becomes zero', () => {
    expect(parseQuantity('0.1n').nanos).toBe(1n);
    expect(parseQuantity('1.0000000001').nanos).toBe(1_000_000_001n);
    expect(parseQuantity('-0.1n').nanos).toBe(-1n);
    expect(parseQuantity('1e-1000000').nanos).toBe(1n);
  });

  it('accepts JSON numbers, as the API server does for `cpu: 1`', () => {
    expect(parseQuantity(1)).toEqual({ nanos: 10n ** 9n, format: 'DecimalSI' });
    expect(parseQuantity(0.25).nanos).toBe(250_000_000n);
    expect(parseQuantity(1e21 / 1e3).nanos).toBe(10n ** 18n * 10n ** 9n);
  });

  it.each([
    ['', /empty/],
    ['1.2.3', /unknown suffix "\.3"/],
    ['10x', /unknown suffix "x"/],
    ['10K', /unknown suffix "K"/], // kilo is lower-case k
    ['10KiB', /unknown suffix/],
    ['Mi', /expected digits/],
    ['.', /expected digits/],
    ['-', /expected digits/],
    [' 1', /expected digits/],
    ['1 ', /unknown suffix " "/],
    ['1 Gi', /unknown suffix " Gi"/],
    ['1e', /unknown suffix "e"/],
    ['1e1.5', /unknown suffix/],
    ['0x10', /unknown suffix "x10"/],
    ['8Ei', /out of range/],
    ['1e19', /out of range/],
    ['1e999999999999', /out of range/],
    ['NaN', /expected digits/],
  ])('rejects %j', (input, why) => {
    let caught: unknown;
    try {
      parseQuantity(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QuantityError);
    expect((caught as Error).message).toContain(`invalid quantity ${JSON.stringify(input)}`);
    expect((caught as Error).message).toMatch(why);
  });

  it('rejects non-finite numbers and non-strings with a QuantityError', () => {
    expect(() => parseQuantity(Number.NaN)).toThrow(/invalid quantity NaN: not a finite number/);
    expect(() => parseQuantity(Infinity)).toThrow(QuantityError);
    expect(() => parseQuantity(null as unknown as string)).toThrow(/expected a string or number, got null/);
  });

  it('tryParseQuantity returns undefined instead of throwing', () => {
    expect(tryParseQuantity('10x')).toBeUndefined();
    expect(tryParseQuantity('1Ki')?.nanos).toBe(1024n * 10n ** 9n);
  });
});

describe('toMilli / toUnits', () => {
  it.each([
    ['0.1', 100, 1],
    ['100m', 100, 1],
    ['1.5', 1500, 2],
    ['2', 2000, 2],
    ['1n', 1, 1],
    ['1.0001m', 2, 1],
    ['-100m', -100, -1],
    ['-1n', -1, -1],
    ['1Gi', 1073741824000, 1073741824],
    ['0', 0, 0],
  ] as const)('%s is %d milli, %d units (rounded away from zero like MilliValue/Value)', (input, milli, units) => {
    expect(toMilli(input)).toBe(milli);
    expect(toUnits(input)).toBe(units);
    expect(toMilliBigInt(input)).toBe(BigInt(milli));
    expect(toUnitsBigInt(parseQuantity(input))).toBe(BigInt(units));
  });

  it('bigint variants stay exact past 2^53', () => {
    expect(toMilliBigInt('7Ei')).toBe(7n * 2n ** 60n * 1000n);
  });
});

describe('formatQuantity', () => {
  it.each([
    ['1500m', '1500m'],
    ['1000m', '1'],
    ['1.5', '1500m'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['1000Ki', '1000Ki'],
    ['0.5Ki', '512'], // below 1024 no binary suffix is exact: decimal
    ['1.1Ki', '1126400m'], // a fraction of a byte cannot be binary either
    ['1000k', '1M'],
    ['1500', '1500'],
    ['0', '0'],
    ['0Gi', '0'],
    ['-1Gi', '-1Gi'],
    ['-0.5', '-500m'],
    ['1e3', '1e3'],
    ['12e6', '12e6'],
    ['1.5e3', '1500'],
    ['1E-3', '1e-3'],
    ['0.1n', '1n'],
    ['2315983n', '2315983n'],
    ['100u', '100u'],
    ['1E', '1E'],
    ['5000P', '5E'],
    ['1Ei', '1Ei'],
    ['129M', '129M'],
    ['128974848', '128974848'],
  ])('%s -> %s', (input, canonical) => {
    expect(formatQuantity(input)).toBe(canonical);
  });

  it('formatCpuMilli prints millicores the way Kubernetes does', () => {
    expect(formatCpuMilli(250)).toBe('250m');
    expect(formatCpuMilli(2000)).toBe('2');
    expect(formatCpuMilli(2500)).toBe('2500m');
    expect(formatCpuMilli(0)).toBe('0');
    expect(() => formatCpuMilli(1.5)).toThrow(RangeError);
  });

  it('formatBytes prefers an exact binary suffix, else a plain integer', () => {
    expect(formatBytes(1073741824)).toBe('1Gi');
    expect(formatBytes(1536 * 1024 * 1024)).toBe('1536Mi');
    expect(formatBytes(1_000_000_000)).toBe('1000000000');
    expect(formatBytes(1536)).toBe('1536');
    expect(formatBytes(512)).toBe('512');
    expect(formatBytes(0)).toBe('0');
  });
});

describe('quantity round trips (property)', () => {
  const formats: QuantityFormat[] = ['DecimalSI', 'BinarySI', 'DecimalExponent'];

  it('parse(format(q)) has the value of q, and formatting is canonical (idempotent)', () => {
    const rand = mulberry32(20240601);
    for (let i = 0; i < 5000; i++) {
      // Mix magnitudes: nanos, millis, units, and large binary multiples.
      const scale = [1n, 1000n, 10n ** 6n, 10n ** 9n, 2n ** 20n * 10n ** 9n, 2n ** 30n * 10n ** 9n][
        Math.floor(rand() * 6)
      ]!;
      const base = BigInt(Math.floor(rand() * 2 ** 30)) * scale;
      const nanos = rand() < 0.2 ? -base : base;
      const q: Quantity = { nanos, format: formats[Math.floor(rand() * 3)]! };
      const text = formatQuantity(q);
      const back = parseQuantity(text);
      expect(back.nanos, `${nanos} as ${q.format} -> ${text}`).toBe(nanos);
      expect(formatQuantity(back), text).toBe(text);
    }
  });

  it('any well-formed string keeps its value through format and parse', () => {
    const rand = mulberry32(7);
    const suffixes = ['', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'Ki', 'Mi', 'Gi', 'Ti', 'e3', 'E-2', 'e0', 'e6'];
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
    for (let i = 0; i < 5000; i++) {
      const int = digits(Math.floor(rand() * 6));
      const frac = rand() < 0.5 ? `.${digits(Math.floor(rand() * 5))}` : '';
      if (int === '' && frac.length < 2) continue;
      const sign = ['', '+', '-'][Math.floor(rand() * 3)]!;
      const input = `${sign}${int}${frac}${suffixes[Math.floor(rand() * suffixes.length)]!}`;
      const q = parseQuantity(input);
      const text = formatQuantity(q);
      expect(parseQuantity(text).nanos, `${input} -> ${text}`).toBe(q.nanos);
    }
  });
});

describe('arithmetic', () => {
  it('adds, subtracts and compares exactly where floats would drift', () => {
    const sum = addQuantities('0.1', '0.2');
    expect(compareQuantities(sum, '300m')).toBe(0);
    expect(formatQuantity(sum)).toBe('300m');
    expect(formatQuantity(subtractQuantities('1Gi', '512Mi'))).toBe('512Mi');
    expect(compareQuantities('1Gi', '1G')).toBe(1);
    expect(compareQuantities('999m', '1')).toBe(-1);
  });

  it('keeps the notation of the left operand', () => {
    expect(addQuantities('1Gi', '1G').format).toBe('BinarySI');
    expect(addQuantities(quantityFromUnits(1), '1Ki').format).toBe('DecimalSI');
  });

  it('builds quantities from integers', () => {
    expect(formatQuantity(quantityFromMilli(1500))).toBe('1500m');
    expect(formatQuantity(quantityFromUnits(4n * 2n ** 30n, 'BinarySI'))).toBe('4Gi');
    expect(() => quantityFromUnits(Number.NaN)).toThrow(/expected an integer number of units/);
  });
});
