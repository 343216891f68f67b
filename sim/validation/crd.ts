// CustomResourceDefinition validation (apiextensions-apiserver): group, names, scope,
// versions with exactly one storage version, and schemas that are structural — every
// specified field has a type (unless int-or-string or preserve-unknown-fields), arrays
// have items, and metadata says nothing beyond name and generateName.
import { isRecord, type KubeObject } from '../object.js';
import { fe, type Causes } from './errors.js';
import { isDNS1035Label, isDNS1123Subdomain } from '../../kube/index.js';

type Obj = Record<string, unknown>;

const SCOPES = ['Cluster', 'Namespaced'];

function s(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function validateNames(names: Obj, field: string, out: Causes): void {
  const plural = s(names['plural']);
  if (!plural) out.push(fe.required(`${field}.plural`));
  else {
    const errs = isDNS1035Label(plural);
    if (errs.length) out.push(fe.invalid(`${field}.plural`, plural, errs.join(',')));
  }
  const singular = s(names['singular']);
  if (singular) {
    const errs = isDNS1035Label(singular);
    if (errs.length) out.push(fe.invalid(`${field}.singular`, singular, errs.join(',')));
  }
  const kind = s(names['kind']);
  if (!kind) out.push(fe.required(`${field}.kind`));
  else {
    const errs = isDNS1035Label(kind.toLowerCase());
    if (errs.length) out.push(fe.invalid(`${field}.kind`, kind, `may have mixed case, but should otherwise match: ${errs.join(',')}`));
  }
  const listKind = s(names['listKind']);
  if (listKind) {
    const errs = isDNS1035Label(listKind.toLowerCase());
    if (errs.length) out.push(fe.invalid(`${field}.listKind`, listKind, `may have mixed case, but should otherwise match: ${errs.join(',')}`));
    if (listKind === kind) out.push(fe.invalid(`${field}.listKind`, listKind, 'kind and listKind may not be the same'));
  }
}

/** Structural schema rules, reported with kube's field paths (properties[name], items). */
export function validateStructural(schema: Obj, field: string, out: Causes, root = true): void {
  const type = s(schema['type']);
  if (root) {
    if (!type) out.push(fe.required(`${field}.type`, 'must not be empty at the root'));
    else if (type !== 'object') out.push(fe.invalid(`${field}.type`, type, 'must be object at the root'));
    const props = isRecord(schema['properties']) ? schema['properties'] : {};
    const meta = props['metadata'];
    if (isRecord(meta)) {
      const inner = isRecord(meta['properties']) ? Object.keys(meta['properties']) : [];
      const extra = Object.keys(meta).filter((k) => k !== 'type' && k !== 'properties');
      if (extra.length > 0 || inner.some((k) => k !== 'name' && k !== 'generateName')) {
        out.push(fe.forbidden(`${field}.properties[metadata]`, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
      }
    }
  }
  if (type === 'array') {
    const items = schema['items'];
    if (!isRecord(items)) out.push(fe.required(`${field}.items`, 'must be specified'));
    else {
      if (!s(items['type']) && items['x-kubernetes-int-or-string'] !== true && items['x-kubernetes-preserve-unknown-fields'] !== true) {
        out.push(fe.required(`${field}.items.type`, 'must not be empty for specified array items'));
      }
      validateStructural(items, `${field}.items`, out, false);
    }
  }
  const props = schema['properties'];
  if (isRecord(props)) {
    for (const [name, child] of Object.entries(props)) {
      if (!isRecord(child)) continue;
      const f = `${field}.properties[${name}]`;
      if (!s(child['type']) && child['x-kubernetes-int-or-string'] !== true && child['x-kubernetes-preserve-unknown-fields'] !== true) {
        out.push(fe.required(`${f}.type`, 'must not be empty for specified object fields'));
      }
      if (root && name === 'metadata') continue;
      validateStructural(child, f, out, false);
    }
  }
  const additional = schema['additionalProperties'];
  if (isRecord(additional)) {
    if (isRecord(props)) out.push(fe.forbidden(`${field}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    if (!s(additional['type']) && additional['x-kubernetes-int-or-string'] !== true && additional['x-kubernetes-preserve-unknown-fields'] !== true) {
      out.push(fe.required(`${field}.additionalProperties.type`, 'must not be empty for specified object fields'));
    }
    validateStructural(additional, `${field}.additionalProperties`, out, false);
  }
}

export function validateCrd(crd: KubeObject, out: Causes): void {
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const group = s(spec['group']);
  if (!group) out.push(fe.required('spec.group'));
  else {
    for (const m of isDNS1123Subdomain(group)) out.push(fe.invalid('spec.group', group, m));
    if (!group.includes('.')) out.push(fe.invalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  validateNames(isRecord(spec['names']) ? spec['names'] : {}, 'spec.names', out);
  const scope = spec['scope'];
  if (scope === undefined || scope === '') out.push(fe.required('spec.scope'));
  else if (!SCOPES.includes(s(scope))) out.push(fe.notSupported('spec.scope', scope, SCOPES));
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isRecord) : [];
  if (versions.length === 0) {
    out.push(fe.required('spec.versions'));
    return;
  }
  const storage = versions.filter((v) => v['storage'] === true).length;
  if (storage !== 1) out.push(fe.invalid('spec.versions', `${versions.length} versions`, 'must have exactly one version marked as storage version'));
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const f = `spec.versions[${i}]`;
    const name = s(v['name']);
    if (!name) out.push(fe.required(`${f}.name`));
    else {
      for (const m of isDNS1035Label(name)) out.push(fe.invalid(`${f}.name`, name, m));
      if (seen.has(name)) out.push(fe.duplicate(`${f}.name`, name));
      seen.add(name);
    }
    const schemaHolder = isRecord(v['schema']) ? v['schema'] : undefined;
    const schema = schemaHolder && isRecord(schemaHolder['openAPIV3Schema']) ? schemaHolder['openAPIV3Schema'] : undefined;
    if (!schema) out.push(fe.required(`${f}.schema.openAPIV3Schema`, 'schemas are required'));
    else validateStructural(schema, `${f}.schema.openAPIV3Schema`, out);
  });
  if (!versions.some((v) => v['served'] === true)) out.push(fe.invalid('spec.versions', `${versions.length} versions`, 'must have at least one served version'));
}
