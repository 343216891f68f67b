// How the sim reads boolean query parameters: as kube-apiserver's parameter codec does
// (apimachinery Convert_Slice_string_To_bool), and `pretty` as Go's strconv.ParseBool.
import { describe, expect, it } from 'vitest';
import { goBool, kubeBool, qBool, qOptionalBool, qPretty } from '../../../sim/http/query.js';

describe('boolean query parameters', () => {
  it('are false only for "0" and "false" in any letter case', () => {
    for (const v of ['0', 'false', 'False', 'FALSE', 'fAlSe']) expect(kubeBool(v), v).toBe(false);
  });

  it('are true for every other value: the spellings of Python, Go and curl users, and even "" or "yes"', () => {
    for (const v of ['true', 'True', 'TRUE', '1', 't', 'T', 'f', 'F', 'yes', 'no', '']) expect(kubeBool(v), v).toBe(true);
  });

  it('are false when absent, and a repeated one counts as its first value', () => {
    expect(qBool({}, 'watch')).toBe(false);
    expect(qBool({ watch: 'True' }, 'watch')).toBe(true);
    expect(qBool({ watch: ['false', 'true'] }, 'watch')).toBe(false);
    expect(qBool({ watch: ['1', '0'] }, 'watch')).toBe(true);
  });

  it('keep absence apart from false where kube has a *bool (sendInitialEvents)', () => {
    expect(qOptionalBool({}, 'sendInitialEvents')).toBeUndefined();
    expect(qOptionalBool({ sendInitialEvents: 'False' }, 'sendInitialEvents')).toBe(false);
    expect(qOptionalBool({ sendInitialEvents: 'True' }, 'sendInitialEvents')).toBe(true);
  });
});

describe('pretty', () => {
  it('is read as Go reads a boolean: twelve spellings, anything else is not a boolean', () => {
    for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(goBool(v), v).toBe(true);
    for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(goBool(v), v).toBe(false);
    for (const v of ['', 'yes', 'tRUE', '2']) expect(goBool(v), v).toBeUndefined();
  });

  it('indents only when it parses as true; a value Go cannot parse is ignored, not an error', () => {
    expect(qPretty({ pretty: 'True' })).toBe(true);
    expect(qPretty({ pretty: 'f' })).toBe(false);
    expect(qPretty({ pretty: 'yes' })).toBe(false);
    expect(qPretty({})).toBe(false);
  });
});
