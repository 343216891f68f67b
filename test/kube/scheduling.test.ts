// Kubernetes' matching rules, once: label selectors, node selector terms, taints and tolerations.
import { describe, expect, it } from 'vitest';
import { describeTaint, labelSelectorMatches, nodeRequirementMatches, nodeSelectorMatches, nodeSelectorTermsMatch, tolerates, untoleratedTaint } from '../../kube/index.js';

const labels = { zone: 'a', gen: '5', gpu: '' };

describe('label selectors', () => {
  it.each([
    [{}, true],
    [{ matchLabels: { zone: 'a' } }, true],
    [{ matchLabels: { zone: 'b' } }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, true],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, false],
    [{ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, false],
    [{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] }, false],
  ])('%j → %s', (selector, want) => expect(labelSelectorMatches(selector, labels)).toBe(want));
});

describe('node selector terms', () => {
  it('Gt/Lt compare base-10 integers only', () => {
    expect(nodeRequirementMatches({ key: 'gen', operator: 'Gt', values: ['4'] }, '5')).toBe(true);
    expect(nodeRequirementMatches({ key: 'gen', operator: 'Lt', values: ['4'] }, '5')).toBe(false);
    expect(nodeRequirementMatches({ key: 'gen', operator: 'Gt', values: ['4'] }, '5abc')).toBe(false);
    expect(nodeRequirementMatches({ key: 'gen', operator: 'Gt', values: ['4', '5'] }, '9')).toBe(false);
  });

  it('terms are ORed, requirements ANDed; empty terms and no terms match nothing; matchFields knows metadata.name', () => {
    const t = (exprs: object[], fields: object[] = []) => ({ matchExpressions: exprs, matchFields: fields }) as never;
    expect(nodeSelectorTermsMatch([t([{ key: 'zone', operator: 'In', values: ['b'] }]), t([{ key: 'gen', operator: 'Exists' }])], 'n1', labels)).toBe(true);
    expect(nodeSelectorTermsMatch([t([{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gen', operator: 'Lt', values: ['3'] }])], 'n1', labels)).toBe(false);
    expect(nodeSelectorTermsMatch([{}], 'n1', labels)).toBe(false);
    expect(nodeSelectorTermsMatch([], 'n1', labels)).toBe(false);
    expect(nodeSelectorTermsMatch([t([], [{ key: 'metadata.name', operator: 'In', values: ['n1'] }])], 'n1', labels)).toBe(true);
    expect(nodeSelectorTermsMatch([t([], [{ key: 'metadata.name', operator: 'In', values: ['n1'] }])], 'n2', labels)).toBe(false);
  });

  it('nodeSelector needs every key equal', () => {
    expect(nodeSelectorMatches(undefined, labels)).toBe(true);
    expect(nodeSelectorMatches({ zone: 'a', gen: '5' }, labels)).toBe(true);
    expect(nodeSelectorMatches({ zone: 'a', gen: '6' }, labels)).toBe(false);
  });
});

describe('taints and tolerations', () => {
  const taint = { key: 'dedicated', value: 'spark', effect: 'NoSchedule' };
  it.each([
    [{ key: 'dedicated', operator: 'Equal', value: 'spark', effect: 'NoSchedule' }, true],
    [{ key: 'dedicated', operator: 'Equal', value: 'flink' }, false],
    [{ key: 'dedicated', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true],
    [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    [{ key: '', operator: 'Equal' }, false],
  ])('%j tolerates dedicated=spark:NoSchedule: %s', (tol, want) => expect(tolerates(tol, taint)).toBe(want));

  it('only NoSchedule/NoExecute taints block; the first untolerated one is named as kubectl prints it', () => {
    const taints = [{ key: 'soft', effect: 'PreferNoSchedule' }, taint, { key: 'gone', effect: 'NoExecute' }];
    const t = untoleratedTaint(taints, [{ key: 'dedicated', operator: 'Exists' }]);
    expect(t && describeTaint(t)).toBe('gone:NoExecute');
    expect(describeTaint(taint)).toBe('dedicated=spark:NoSchedule');
    expect(untoleratedTaint(taints, [{ operator: 'Exists' }])).toBeUndefined();
  });
});
