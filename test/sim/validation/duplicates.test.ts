// Duplicate keys in raw JSON bodies, reported with kube's field paths.
import { describe, expect, it } from 'vitest';
import { duplicateFields } from '../../../sim/validation/duplicates.js';

describe('duplicateFields', () => {
  it('finds nothing in ordinary JSON', () => {
    expect(duplicateFields('{"a":1,"b":{"c":[1,{"d":"x"}]},"e":"a\\"b"}')).toEqual([]);
  });

  it('reports duplicates at every depth, with list indices', () => {
    const raw = '{"a":1,"a":2,"spec":{"containers":[{"name":"x"},{"name":"y","name":"z"}]},"m":{"k":true,"k":false}}';
    expect(duplicateFields(raw)).toEqual(['a', 'spec.containers[1].name', 'm.k']);
  });

  it('compares decoded keys: an escaped key equals its plain spelling', () => {
    expect(duplicateFields('{"ab":1,"a\\u0062":2}')).toEqual(['ab']);
  });

  it('copes with whitespace and empty containers', () => {
    expect(duplicateFields(' { "x" : [ ] , "y" : { } , "x" : null } ')).toEqual(['x']);
  });
});

describe('duplicateFields with the decoded value', () => {
  const both = (raw: string): string[] => duplicateFields(raw, JSON.parse(raw));

  it('agrees with the scan on bodies with and without duplicates', () => {
    for (const raw of [
      '{"a":1,"b":{"c":[1,{"d":"x"}]},"e":"a\\"b:c"}',
      '{"a":1,"a":2,"spec":{"containers":[{"name":"x"},{"name":"y","name":"z"}]},"m":{"k":true,"k":false}}',
      '{"ab":1,"a\\u0062":2}',
      ' { "x" : [ ] , "y" : { } , "x" : null } ',
      '{"a":{"x":1,"y":2},"a":{"x":3}}',
      '{"k:":"v:","\\\\":{"\\"":":"}}',
    ]) {
      expect(both(raw)).toEqual(duplicateFields(raw));
    }
  });

  it('finds a duplicate whose first value held more keys than the last', () => {
    expect(both('{"spec":{"a":1,"b":2},"spec":{"a":1}}')).toEqual(['spec']);
  });

  it('falls back to the scan past its depth limit', () => {
    const deep = `${'['.repeat(300)}{"a":1,"a":2}${']'.repeat(300)}`;
    expect(both(deep)).toEqual(duplicateFields(deep));
  });
});
