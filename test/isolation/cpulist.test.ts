import { describe, expect, it } from 'vitest';
import { difference, formatCpuList, intersect, isSubset, parseCpuList, union } from '../../isolation/cpulist.js';

describe('kernel cpu lists', () => {
  it('parses ranges and singles, sorted and unique', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('3,1,1-2')).toEqual([1, 2, 3]);
    expect(parseCpuList('  \n')).toEqual([]);
  });

  it('rejects malformed lists with the offending element', () => {
    expect(() => parseCpuList('0-')).toThrow('bad element "0-"');
    expect(() => parseCpuList('3-1')).toThrow('runs backwards');
    expect(() => parseCpuList('a')).toThrow('invalid cpu list');
  });

  it('formats as the kernel prints', () => {
    expect(formatCpuList([0, 1, 2, 3, 8, 10, 11])).toBe('0-3,8,10-11');
    expect(formatCpuList([5])).toBe('5');
    expect(formatCpuList([])).toBe('');
    expect(formatCpuList(parseCpuList('0-1,4-5'))).toBe('0-1,4-5');
  });

  it('does set algebra', () => {
    expect(union([0, 2], [1, 2])).toEqual([0, 1, 2]);
    expect(intersect([0, 1, 2], [1, 2, 3])).toEqual([1, 2]);
    expect(difference([0, 1, 2], [1])).toEqual([0, 2]);
    expect(isSubset([1, 2], [0, 1, 2])).toBe(true);
    expect(isSubset([1, 4], [0, 1, 2])).toBe(false);
  });
});
