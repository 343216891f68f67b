import { describe, it, expect } from 'vitest';
import {
  exactFieldValue,
  exactLabelValue,
  labelSelectorFromObject,
  parseFieldSelector,
  parseLabelSelector,
  selectableFields,
  SelectorError,
  supportedFieldSelectors,
  validateLabelKey,
  validateLabelValue,
} from '../../sim/selectors.js';

const web = { app: 'web', tier: 'front', 'app.kubernetes.io/name': 'web', replicas: '3' };
const batch = { app: 'spark', 'spark-role': 'executor' };

describe('label selector strings', () => {
  it('matches everything when empty', () => {
    const m = parseLabelSelector('');
    expect(m({})).toBe(true);
    expect(m.requirements).toEqual([]);
  });

  it('supports =, == and != (absent labels satisfy !=)', () => {
    expect(parseLabelSelector('app=web')(web)).toBe(true);
    expect(parseLabelSelector('app==web')(web)).toBe(true);
    expect(parseLabelSelector('app!=web')(web)).toBe(false);
    expect(parseLabelSelector('tier!=back')(batch)).toBe(true);
    expect(parseLabelSelector('app=')({ app: '' })).toBe(true);
  });

  it('supports in / notin sets, existence and non-existence, comma as AND', () => {
    expect(parseLabelSelector('app in (web, api)')(web)).toBe(true);
    expect(parseLabelSelector('app notin (web,api)')(web)).toBe(false);
    expect(parseLabelSelector('app notin (web,api)')({})).toBe(true);
    expect(parseLabelSelector('spark-role')(batch)).toBe(true);
    expect(parseLabelSelector('!spark-role')(batch)).toBe(false);
    expect(parseLabelSelector('!spark-role')(web)).toBe(true);
    expect(parseLabelSelector('app=web,tier=front')(web)).toBe(true);
    expect(parseLabelSelector('app=web,tier=back')(web)).toBe(false);
  });

  it('is whitespace tolerant and accepts prefixed keys', () => {
    expect(parseLabelSelector('  app   in(web) ,  app.kubernetes.io/name = web , !missing ')(web)).toBe(true);
  });

  it('supports the numeric gt / lt operators', () => {
    expect(parseLabelSelector('replicas>2')(web)).toBe(true);
    expect(parseLabelSelector('replicas<3')(web)).toBe(false);
    expect(parseLabelSelector('replicas>2')(batch)).toBe(false);
  });

  it('exposes requirements sorted by key and a canonical form', () => {
    const m = parseLabelSelector('tier in (front,back),app=web,!gone');
    expect(m.requirements).toEqual([
      { key: 'app', operator: '=', values: ['web'] },
      { key: 'gone', operator: '!', values: [] },
      { key: 'tier', operator: 'in', values: ['back', 'front'] },
    ]);
    expect(m.canonical).toBe('app=web,!gone,tier in (back,front)');
    expect(exactLabelValue(m.requirements, 'app')).toBe('web');
    expect(exactLabelValue(m.requirements, 'tier')).toBeUndefined();
  });

  it.each([
    ['app=web extra', /found 'extra', expected: ',' or 'end of string'/],
    ['app=web,', /expected: identifier after ','/],
    ['app in web', /expected: '\('/],
    ['=web', /expected: !, identifier, or 'end of string'/],
    ['app=(x)', /found '\(', expected: identifier/],
    ['app~web', /key: Invalid value: "app~web"/],
    ['Example.com/app=x', /prefix part a lowercase RFC 1123 subdomain/],
    ['app=has space', /found 'space'/],
    ['app=-bad-', /values\[0\]\[app\]: Invalid value: "-bad-"/],
    ['replicas>three', /value must be an integer/],
    ['a/b/c', /qualified name/],
  ])('rejects %j with a clear message', (selector, message) => {
    const run = (): unknown => parseLabelSelector(selector);
    expect(run).toThrow(SelectorError);
    expect(run).toThrow(message);
  });

  it('reads an empty set "()" as the empty value, as apimachinery does', () => {
    expect(parseLabelSelector('app in ()')({ app: '' })).toBe(true);
    expect(parseLabelSelector('app in (a,)').requirements[0]!.values).toEqual(['', 'a']);
  });

  it('validates label keys and values on their own', () => {
    expect(validateLabelKey('tidepool.dev/qos')).toEqual([]);
    expect(validateLabelKey('x'.repeat(64))).toEqual(['name part must be no more than 63 characters']);
    expect(validateLabelKey('/name')).toEqual(['prefix part must be non-empty']);
    expect(validateLabelValue('')).toEqual([]);
    expect(validateLabelValue('a'.repeat(64))[0]).toBe('must be no more than 63 characters');
  });
});

describe('LabelSelector objects', () => {
  it('combines matchLabels and matchExpressions', () => {
    const m = labelSelectorFromObject({
      matchLabels: { app: 'spark' },
      matchExpressions: [
        { key: 'spark-role', operator: 'In', values: ['executor', 'driver'] },
        { key: 'tier', operator: 'DoesNotExist' },
        { key: 'app', operator: 'Exists' },
        { key: 'zone', operator: 'NotIn', values: ['a'] },
      ],
    });
    expect(m(batch)).toBe(true);
    expect(m({ ...batch, tier: 'x' })).toBe(false);
    expect(m.canonical).toBe('app=spark,app,spark-role in (driver,executor),!tier,zone notin (a)');
  });

  it('matches nothing for null and everything for an empty selector', () => {
    expect(labelSelectorFromObject(null)({})).toBe(false);
    expect(labelSelectorFromObject(null).matchesNothing).toBe(true);
    expect(labelSelectorFromObject({})(web)).toBe(true);
  });

  it('rejects bad operators and value sets', () => {
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] })).toThrow(
      '"Equals" is not a valid label selector operator',
    );
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow("values set can't be empty");
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).toThrow('values set must be empty');
  });
});

describe('field selectors', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p1', namespace: 'default' },
    spec: { nodeName: 'n1', schedulerName: 'tidepool', restartPolicy: 'Never', serviceAccountName: 'sa', hostNetwork: true },
    status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }], nominatedNodeName: 'n2' },
  };

  it('matches pods on the fields kube-apiserver supports', () => {
    const fields = selectableFields('pods', pod);
    expect(fields).toMatchObject({
      'metadata.name': 'p1',
      'spec.nodeName': 'n1',
      'spec.hostNetwork': 'true',
      'status.podIP': '10.0.0.5',
      'status.nominatedNodeName': 'n2',
    });
    expect(parseFieldSelector('spec.nodeName=n1,status.phase!=Succeeded', 'pods')(fields)).toBe(true);
    expect(parseFieldSelector('spec.nodeName==n2', 'pods')(fields)).toBe(false);
    expect(parseFieldSelector('spec.nodeName=', 'pods')(selectableFields('pods', { metadata: { name: 'pending' } }))).toBe(true);
  });

  it('matches nodes, namespaces, secrets and events', () => {
    const node = { metadata: { name: 'n1' }, spec: { unschedulable: true } };
    expect(parseFieldSelector('spec.unschedulable=true', 'nodes')(selectableFields('nodes', node))).toBe(true);
    expect(parseFieldSelector('status.phase=Active', 'namespaces')(selectableFields('namespaces', { metadata: { name: 'x' }, status: { phase: 'Active' } }))).toBe(true);
    expect(parseFieldSelector('type=Opaque', 'secrets')(selectableFields('secrets', { metadata: { name: 's' }, type: 'Opaque' }))).toBe(true);
    const coreEvent = {
      apiVersion: 'v1',
      metadata: { name: 'e', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p1', namespace: 'default', uid: 'u1' },
      reason: 'Scheduled',
      type: 'Normal',
      source: { component: 'default-scheduler' },
    };
    const selector = parseFieldSelector('involvedObject.kind=Pod,involvedObject.name=p1,reason=Scheduled,source=default-scheduler', 'events');
    expect(selector(selectableFields('events', coreEvent))).toBe(true);
    const newEvent = {
      apiVersion: 'events.k8s.io/v1',
      metadata: { name: 'e', namespace: 'default' },
      regarding: { kind: 'Pod', name: 'p1' },
      reason: 'Scheduled',
      reportingController: 'default-scheduler',
    };
    expect(selector(selectableFields('events', newEvent))).toBe(true);
  });

  it('exposes requirements for index lookups', () => {
    const m = parseFieldSelector('status.phase!=Failed,spec.nodeName==n1', 'core/pods');
    expect(m.requirements).toEqual([
      { field: 'spec.nodeName', operator: '=', value: 'n1' },
      { field: 'status.phase', operator: '!=', value: 'Failed' },
    ]);
    expect(exactFieldValue(m.requirements, 'spec.nodeName')).toBe('n1');
    expect(exactFieldValue(m.requirements, 'status.phase')).toBeUndefined();
    expect(m.canonical).toBe('spec.nodeName=n1,status.phase!=Failed');
  });

  it('accepts an explicit set of allowed fields and maps spec.host to spec.nodeName', () => {
    const m = parseFieldSelector('spec.host=n1', new Set(supportedFieldSelectors('pods')));
    expect(m.requirements[0]!.field).toBe('spec.nodeName');
  });

  it('unescapes values', () => {
    const m = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d', 'configmaps');
    expect(m.requirements[0]!.value).toBe('a,b=c\\d');
    expect(m({ 'metadata.name': 'a,b=c\\d' })).toBe(true);
  });

  it('rejects unsupported fields with the apiserver wording', () => {
    expect(() => parseFieldSelector('spec.nodeName=n1', 'nodes')).toThrow(new SelectorError('field label not supported: spec.nodeName'));
    expect(() => parseFieldSelector('spec.replicas=1', 'deployments')).toThrow('field label not supported: spec.replicas');
  });

  it('rejects malformed terms and escapes', () => {
    expect(() => parseFieldSelector('metadata.name', 'pods')).toThrow("invalid selector: 'metadata.name'; can't understand 'metadata.name'");
    expect(() => parseFieldSelector('metadata.name=a\\x', 'pods')).toThrow('invalid escape sequence: \\x');
    expect(() => parseFieldSelector('metadata.name=a=b', 'pods')).toThrow('unescaped character in value: =');
  });
});
