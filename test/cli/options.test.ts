// The flag parsers every command uses: a bad value is an error that names the flag and says what
// it takes. An integer flag given a negative number says "positive" or "non-negative integer";
// out of range, it gives the range; not a number, it says so.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { dnsLabelFlag, intFlag } from '../../cli/options.js';

function refusal(parse: (v: string) => unknown, v: string): string {
  try {
    parse(v);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error(`"${v}" was accepted`);
}

describe('intFlag', () => {
  it('takes whole numbers within the range, signs and spaces around them included', () => {
    const nodes = intFlag('--nodes', 0, 10000);
    expect(['0', '7', '+7', ' 12 ', '10000', '-0'].map(nodes)).toEqual([0, 7, 7, 12, 10000, 0]);
  });

  it('says a negative number is not what a non-negative or positive flag takes, naming the flag', () => {
    expect(refusal(intFlag('--nodes', 0, 10000), '-1')).toBe('--nodes must be a non-negative integer (0 to 10000), got -1');
    expect(refusal(intFlag('--time-scale', 1, 3600), '-5')).toBe('--time-scale must be a positive integer (1 to 3600), got -5');
    expect(refusal(intFlag('--base-port', 1024, 65000), '-80')).toBe('--base-port must be a positive integer (1024 to 65000), got -80');
  });

  it('gives the range for a number outside it, and says when a value is no integer at all', () => {
    expect(refusal(intFlag('--time-scale', 1, 3600), '0')).toBe('--time-scale must be between 1 and 3600, got 0');
    expect(refusal(intFlag('--nodes', 0, 10000), '10001')).toBe('--nodes must be between 0 and 10000, got 10001');
    expect(refusal(intFlag('--qps', 1, 100000), 'lots')).toBe('--qps must be an integer, got "lots"');
    expect(refusal(intFlag('--nodes', 0, 10000), '1.5')).toBe('--nodes must be an integer, got "1.5"');
    expect(refusal(intFlag('--nodes', 0, 10000), '')).toBe('--nodes must be an integer, got ""');
  });
});

describe('dnsLabelFlag', () => {
  it('takes DNS-1123 labels and names its own flag for anything else', () => {
    expect(dnsLabelFlag('--cluster-id')('host-1')).toBe('host-1');
    const rule = "must be a DNS-1123 label (lowercase letters, digits and '-', at most 63)";
    expect(refusal(dnsLabelFlag('--cluster-id'), 'Host_1')).toBe(`--cluster-id ${rule}, got "Host_1"`);
    expect(refusal(dnsLabelFlag('--node-name'), '-edge')).toBe(`--node-name ${rule}, got "-edge"`);
    expect(refusal(dnsLabelFlag('--node-name'), 'a'.repeat(64))).toBe(`--node-name ${rule}, got "${'a'.repeat(64)}"`);
  });
});
