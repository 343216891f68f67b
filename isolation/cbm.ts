// Cache bit masks (CBM) for L3/L2 allocation. Intel requires contiguous runs of
// 1 bits and at least min_cbm_bits; AMD accepts sparse masks. We always build
// contiguous masks, which are valid everywhere.

export function popcount(mask: bigint): number {
  let n = 0;
  for (let m = mask; m > 0n; m >>= 1n) if ((m & 1n) === 1n) n++;
  return n;
}

export function lowestBit(mask: bigint): number {
  if (mask === 0n) return -1;
  let i = 0;
  while (((mask >> BigInt(i)) & 1n) === 0n) i++;
  return i;
}

export function isContiguous(mask: bigint): boolean {
  if (mask === 0n) return false;
  const shifted = mask >> BigInt(lowestBit(mask));
  return (shifted & (shifted + 1n)) === 0n;
}

export function parseMask(hex: string): bigint {
  const t = hex.trim();
  if (!/^[0-9a-fA-F]+$/.test(t)) throw new Error(`invalid cache bit mask "${hex}"`);
  return BigInt(`0x${t}`);
}

export function formatMask(mask: bigint): string {
  return mask.toString(16);
}

/** Number of ways for a percentage: rounded, at least min_cbm_bits (and 1), at most all. */
export function waysForPercent(cbmLen: number, minCbmBits: number, percent: number): number {
  const ways = Math.round((cbmLen * percent) / 100);
  return Math.min(cbmLen, Math.max(1, minCbmBits, ways));
}

/**
 * A contiguous mask of `ways` bits inside `cbmMask` (the full mask from
 * info/<res>/cbm_mask), placed at its low or high end.
 */
export function contiguousMask(cbmMask: bigint, ways: number, end: 'low' | 'high'): bigint {
  const len = popcount(cbmMask);
  if (!isContiguous(cbmMask)) throw new Error(`cbm_mask ${formatMask(cbmMask)} is not contiguous`);
  if (ways < 1 || ways > len) throw new Error(`cannot place ${ways} ways in a ${len}-bit cache mask`);
  const base = lowestBit(cbmMask);
  const run = (1n << BigInt(ways)) - 1n;
  const offset = end === 'low' ? base : base + len - ways;
  return run << BigInt(offset);
}
