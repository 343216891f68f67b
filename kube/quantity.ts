/**
 * Exact Kubernetes resource quantities ("100m", "1.5Gi", "2e3", "250000n").
 *
 * Kubernetes keeps quantities as arbitrary-precision decimals rounded up to nano precision
 * (metrics.k8s.io reports CPU usage in nanocores, e.g. "2315983n"). Floats would turn
 * "0.1" + "0.2" into a value no API server ever wrote, so a Quantity holds an exact bigint
 * count of nano-units plus the notation it came in, which decides its canonical spelling.
 *
 * Grammar (as the apimachinery docs give it, and as the API server accepts it):
 *   quantity  ::= sign? number suffix
 *   number    ::= digits | digits "." digits | digits "." | "." digits
 *   suffix    ::= binarySI | decimalSI | decimalExponent
 *   binarySI  ::= Ki | Mi | Gi | Ti | Pi | Ei
 *   decimalSI ::= n | u | m | "" | k | M | G | T | P | E
 *   decimalExponent ::= ("e" | "E") sign? digits
 * "n" and "u" are not in the documented grammar, but the API server accepts and emits them.
 * Unlike the API server we refuse a suffix with no digits ("Mi"), which Go quietly reads as 0.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value in nano-units (1e-9), exact. Negative quantities are allowed, as in Kubernetes. */
  readonly nanos: bigint;
  /** The notation the value was written in; it picks the canonical suffix family. */
  readonly format: QuantityFormat;
}

/** A malformed or out-of-range quantity. The message names the input and what is wrong with it. */
export class QuantityError extends Error {
  override readonly name = 'QuantityError';
  constructor(
    readonly input: unknown,
    readonly reason: string,
  ) {
    super(`invalid quantity ${describeInput(input)}: ${reason}`);
  }
}

const NANOS_PER_UNIT = 1_000_000_000n;
const NANOS_PER_MILLI = 1_000_000n;
/**
 * The largest magnitude we accept: the int64 range that Kubernetes' Value() works in.
 * Anything bigger is a typo in practice, and bounding it keeps a hostile "1e999999" from
 * making us build a million-digit bigint.
 */
const MAX_UNITS = (1n << 63n) - 1n;
const MAX_NANOS = MAX_UNITS * NANOS_PER_UNIT;

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIX_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_SUFFIX_BY_STEP = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

const NUMBER_RE = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/s;
const EXPONENT_RE = /^[eE]([+-]?\d+)$/;

/**
 * Parses a quantity as the API server does, rounding sub-nano precision up (away from zero) so
 * that a tiny non-zero request never becomes zero. JSON numbers are accepted too, because the
 * API server accepts `cpu: 1` unquoted.
 */
export function parseQuantity(input: string | number): Quantity {
  let s: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityError(input, 'not a finite number');
    s = String(input);
  } else if (typeof input === 'string') {
    s = input;
  } else {
    throw new QuantityError(input, `expected a string or number, got ${input === null ? 'null' : typeof input}`);
  }
  if (s.length === 0) throw new QuantityError(input, 'empty string');

  const m = NUMBER_RE.exec(s);
  if (!m) throw new QuantityError(input, 'not a number');
  const [, sign = '', intDigits = '', fracDigits = '', suffix = ''] = m;
  if (intDigits.length === 0 && fracDigits.length === 0) {
    throw new QuantityError(input, 'expected digits before the suffix (like "1", ".5", "100m", "2Gi")');
  }

  let format: QuantityFormat;
  let exp10 = 0;
  let exp2 = 0;
  const decimal = DECIMAL_SUFFIXES[suffix];
  const binary = BINARY_SUFFIXES[suffix];
  if (decimal !== undefined) {
    format = 'DecimalSI';
    exp10 = decimal;
  } else if (binary !== undefined) {
    format = 'BinarySI';
    exp2 = binary;
  } else {
    const e = EXPONENT_RE.exec(suffix);
    if (!e?.[1]) {
      throw new QuantityError(
        input,
        `unknown suffix ${JSON.stringify(suffix)} (use m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent like e3)`,
      );
    }
    format = 'DecimalExponent';
    // A long exponent cannot be in range anyway; Number() would only lose it to Infinity.
    exp10 = e[1].replace(/^[+-]?0*/, '').length > 6 ? (e[1].startsWith('-') ? -1e6 : 1e6) : Number(e[1]);
  }

  const mantissaDigits = (intDigits + fracDigits).replace(/^0+/, '');
  const negative = sign === '-';
  if (mantissaDigits.length === 0) return { nanos: 0n, format };

  // value = mantissa × 10^shift × 2^exp2 nano-units
  const shift = exp10 - fracDigits.length + 9;
  // Bail out on absurd magnitudes before building huge bigints: the value is at least
  // 10^(digits + shift - 10) units, and 10^19 is already past 2^63.
  if (mantissaDigits.length + shift - 10 >= 19) {
    throw new QuantityError(input, 'out of range (larger than 2^63-1)');
  }
  const mantissa = BigInt(mantissaDigits) << BigInt(exp2);
  let nanos: bigint;
  if (shift >= 0) {
    nanos = mantissa * 10n ** BigInt(shift);
  } else if (-shift > mantissaDigits.length + 20) {
    nanos = 1n; // far below one nano-unit: rounds up to the smallest non-zero value
  } else {
    nanos = ceilDiv(mantissa, 10n ** BigInt(-shift));
  }
  if (nanos > MAX_NANOS) throw new QuantityError(input, 'out of range (larger than 2^63-1)');
  return { nanos: negative ? -nanos : nanos, format };
}

/** Like parseQuantity, but undefined instead of an error, for optional or untrusted fields. */
export function tryParseQuantity(input: string | number): Quantity | undefined {
  try {
    return parseQuantity(input);
  } catch (err) {
    if (err instanceof QuantityError) return undefined;
    throw err;
  }
}

/** The quantity in milli-units, rounded up (away from zero) like Kubernetes' MilliValue(). */
export function toMilliBigInt(q: Quantity | string | number): bigint {
  return roundAwayFromZero(asQuantity(q).nanos, NANOS_PER_MILLI);
}

/** The quantity in whole units, rounded up (away from zero) like Kubernetes' Value(). */
export function toUnitsBigInt(q: Quantity | string | number): bigint {
  return roundAwayFromZero(asQuantity(q).nanos, NANOS_PER_UNIT);
}

/**
 * toMilliBigInt as a number. Exact up to 2^53 milli-units (about 9 PB of memory in milli-bytes,
 * far more than any CPU figure); past that use the bigint variant.
 */
export function toMilli(q: Quantity | string | number): number {
  return Number(toMilliBigInt(q));
}

/** toUnitsBigInt as a number; exact up to 2^53 units (8 PiB), past that use the bigint variant. */
export function toUnits(q: Quantity | string | number): number {
  return Number(toUnitsBigInt(q));
}

export function quantityFromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
  return { nanos: toBigInt(milli, 'milli-units') * NANOS_PER_MILLI, format };
}

export function quantityFromUnits(units: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
  return { nanos: toBigInt(units, 'units') * NANOS_PER_UNIT, format };
}

/**
 * The canonical spelling Kubernetes itself would print:
 * - BinarySI: the largest binary suffix that keeps an integer ("1536Mi", "1Gi"); values below
 *   1024 or with a fraction fall back to DecimalSI, since no binary suffix spells them exactly.
 * - DecimalSI: the integer mantissa with an exponent that is a multiple of 3 ("1500m", "1M").
 * - DecimalExponent: the same mantissa with "eN" instead of a suffix ("12e6").
 */
export function formatQuantity(q: Quantity | string | number): string {
  const { nanos, format } = asQuantity(q);
  if (nanos === 0n) return '0';
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;

  if (format === 'BinarySI' && abs >= 1024n * NANOS_PER_UNIT && abs % NANOS_PER_UNIT === 0n) {
    let units = abs / NANOS_PER_UNIT;
    let step = 0;
    while (units % 1024n === 0n && step < BINARY_SUFFIX_BY_STEP.length - 1) {
      units /= 1024n;
      step++;
    }
    return `${sign}${units}${BINARY_SUFFIX_BY_STEP[step]}`;
  }

  let mantissa = abs;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  const down = ((exponent % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(down);
  exponent -= down;

  if (format === 'DecimalExponent') return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  if (exponent > 18) {
    // No SI suffix beyond E: carry the rest in the mantissa.
    mantissa *= 10n ** BigInt(exponent - 18);
    exponent = 18;
  }
  return `${sign}${mantissa}${DECIMAL_SUFFIX_BY_EXPONENT.get(exponent) ?? ''}`;
}

/** Millicores as Kubernetes prints them: 250 -> "250m", 2000 -> "2". */
export function formatCpuMilli(milli: number): string {
  return formatQuantity(quantityFromMilli(milli, 'DecimalSI'));
}

/** Bytes with a binary suffix when one is exact (1073741824 -> "1Gi"), else a plain integer. */
export function formatBytes(bytes: number): string {
  return formatQuantity(quantityFromUnits(bytes, 'BinarySI'));
}

/** -1, 0 or 1 as a < b, a = b, a > b. */
export function compareQuantities(a: Quantity | string, b: Quantity | string): -1 | 0 | 1 {
  const x = asQuantity(a).nanos;
  const y = asQuantity(b).nanos;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** a + b, in a's notation (as Kubernetes' Quantity.Add keeps the receiver's format). */
export function addQuantities(a: Quantity | string, b: Quantity | string): Quantity {
  const x = asQuantity(a);
  return { nanos: x.nanos + asQuantity(b).nanos, format: x.format };
}

/** a − b, in a's notation. */
export function subtractQuantities(a: Quantity | string, b: Quantity | string): Quantity {
  const x = asQuantity(a);
  return { nanos: x.nanos - asQuantity(b).nanos, format: x.format };
}

function asQuantity(q: Quantity | string | number): Quantity {
  return typeof q === 'string' || typeof q === 'number' ? parseQuantity(q) : q;
}

function roundAwayFromZero(nanos: bigint, per: bigint): bigint {
  return nanos < 0n ? -ceilDiv(-nanos, per) : ceilDiv(nanos, per);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

function toBigInt(n: number | bigint, what: string): bigint {
  if (typeof n === 'bigint') return n;
  if (!Number.isSafeInteger(n)) throw new RangeError(`expected an integer number of ${what}, got ${n}`);
  return BigInt(n);
}

function describeInput(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input.length > 64 ? `${input.slice(0, 64)}…` : input);
  return String(input);
}
