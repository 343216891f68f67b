import { describe, expect, it } from 'vitest';
import { DNS1123_LABEL_RE, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from '../../kube/index.js';

describe("apimachinery's name rules, with kube's messages", () => {
  it('DNS-1123 labels: lower case alphanumerics and dashes, at most 63 characters', () => {
    expect(isDNS1123Label('east-1')).toEqual([]);
    expect(isDNS1123Label('East_1')).toEqual([
      // Two spaces before "or": kube's own message has them.
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(isDNS1123Label('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
    // The bare pattern has no length bound: callers with their own limit use it.
    expect(DNS1123_LABEL_RE.test('a'.repeat(64))).toBe(true);
  });

  it('DNS-1123 subdomains allow dots between labels, up to 253 characters', () => {
    expect(isDNS1123Subdomain('node-1.example.com')).toEqual([]);
    expect(isDNS1123Subdomain('node..1')).toHaveLength(1);
    expect(isDNS1123Subdomain(`${'a'.repeat(63)}.`.repeat(4) + 'b')).toEqual(['must be no more than 253 characters']);
  });

  it('label keys and values', () => {
    expect(isQualifiedName('tidepool.dev/qos')).toEqual([]);
    expect(isQualifiedName('Tidepool.dev/qos')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/);
    expect(isValidLabelValue('')).toEqual([]);
    expect(isValidLabelValue('online exclusive')).toHaveLength(1);
  });
});
