// How a request becomes what RBAC judges (kube's RequestInfoFactory) and how one
// PolicyRule matches it (kube's evaluation helpers), as pure functions.

import { describe, expect, it } from 'vitest';
import { ruleAllows, type Attributes, type PolicyRule } from '../../../sim/auth/index.js';
import { ADMIN_USER } from '../../../sim/auth/user.js';
import { requestAttributes } from '../../../sim/http/request-info.js';

describe('requestAttributes', () => {
  const verb = (method: string, path: string, query: Record<string, string> = {}) => requestAttributes(method, path, query).verb;

  it('maps methods to verbs: a GET without a name is a list or a watch, a DELETE without one a deletecollection', () => {
    expect(verb('GET', '/api/v1/namespaces/a/pods/p')).toBe('get');
    expect(verb('HEAD', '/api/v1/namespaces/a/pods/p')).toBe('get');
    expect(verb('GET', '/api/v1/namespaces/a/pods')).toBe('list');
    expect(verb('GET', '/api/v1/namespaces/a/pods', { watch: 'true' })).toBe('watch');
    expect(verb('GET', '/api/v1/namespaces/a/pods', { watch: '1' })).toBe('watch');
    expect(verb('GET', '/api/v1/namespaces/a/pods', { watch: 'True' })).toBe('watch');
    expect(verb('GET', '/api/v1/namespaces/a/pods', { watch: 'false' })).toBe('list');
    expect(verb('GET', '/api/v1/watch/namespaces/a/pods/p')).toBe('watch');
    expect(verb('POST', '/api/v1/namespaces/a/pods')).toBe('create');
    expect(verb('PUT', '/api/v1/namespaces/a/pods/p/status')).toBe('update');
    expect(verb('PATCH', '/apis/apps/v1/namespaces/a/deployments/d/scale')).toBe('patch');
    expect(verb('DELETE', '/api/v1/namespaces/a/pods/p')).toBe('delete');
    expect(verb('DELETE', '/api/v1/namespaces/a/pods')).toBe('deletecollection');
  });

  it('names the group, version, namespace, resource, subresource and name', () => {
    expect(requestAttributes('POST', '/api/v1/namespaces/a/pods/p/exec', {})).toEqual({
      verb: 'create',
      resourceRequest: true,
      path: '/api/v1/namespaces/a/pods/p/exec',
      apiGroup: '',
      apiVersion: 'v1',
      namespace: 'a',
      resource: 'pods',
      subresource: 'exec',
      name: 'p',
    });
    expect(requestAttributes('GET', '/apis/apps/v1/deployments', {})).toMatchObject({ apiGroup: 'apps', namespace: '', resource: 'deployments', name: '' });
    expect(requestAttributes('GET', '/api/v1/nodes/n1/proxy/stats/summary', {})).toMatchObject({ resource: 'nodes', subresource: 'proxy', name: 'n1', namespace: '' });
  });

  it('scopes a namespace to itself, and its status and finalize subresources too', () => {
    expect(requestAttributes('GET', '/api/v1/namespaces/team', {})).toMatchObject({ resource: 'namespaces', name: 'team', namespace: 'team' });
    expect(requestAttributes('PUT', '/api/v1/namespaces/team/finalize', {})).toMatchObject({ resource: 'namespaces', subresource: 'finalize', namespace: 'team' });
    expect(requestAttributes('GET', '/api/v1/namespaces', {})).toMatchObject({ verb: 'list', resource: 'namespaces', namespace: '' });
  });

  it('takes the name of a list or watch from a field selector that pins metadata.name', () => {
    expect(requestAttributes('GET', '/api/v1/namespaces/a/configmaps', { fieldSelector: 'metadata.name=cfg' })).toMatchObject({ verb: 'list', name: 'cfg' });
    expect(requestAttributes('GET', '/api/v1/namespaces/a/configmaps', { fieldSelector: 'metadata.name==cfg', watch: 'true' })).toMatchObject({ verb: 'watch', name: 'cfg' });
    expect(requestAttributes('GET', '/api/v1/namespaces/a/configmaps', { fieldSelector: 'metadata.name!=cfg' })).toMatchObject({ name: '' });
    expect(requestAttributes('GET', '/api/v1/namespaces/a/configmaps', { fieldSelector: 'metadata.name=a/b' })).toMatchObject({ name: '' });
  });

  it('treats discovery, /version and other paths as non-resource requests with the method as verb', () => {
    for (const path of ['/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/openapi/v3', '/version', '/metrics']) {
      expect(requestAttributes('GET', path, {}), path).toMatchObject({ resourceRequest: false, verb: 'get', path });
    }
    expect(requestAttributes('POST', '/logs', {})).toMatchObject({ resourceRequest: false, verb: 'post' });
  });
});

describe('ruleAllows', () => {
  const rule = (r: Partial<PolicyRule>): PolicyRule => ({ verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [], ...r });
  const ask = (method: string, path: string, query: Record<string, string> = {}): Attributes => ({ ...requestAttributes(method, path, query), user: ADMIN_USER });

  it('matches verbs, groups and resources exactly or by `*`', () => {
    const podsRead = rule({ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] });
    expect(ruleAllows(ask('GET', '/api/v1/namespaces/a/pods/p'), podsRead)).toBe(true);
    expect(ruleAllows(ask('DELETE', '/api/v1/namespaces/a/pods/p'), podsRead)).toBe(false);
    expect(ruleAllows(ask('GET', '/apis/apps/v1/namespaces/a/deployments'), podsRead)).toBe(false);
    expect(ruleAllows(ask('GET', '/api/v1/namespaces/a/pods/p/log'), podsRead)).toBe(false);
    const all = rule({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
    expect(ruleAllows(ask('DELETE', '/apis/apps/v1/namespaces/a/deployments/d/scale'), all)).toBe(true);
    expect(ruleAllows(ask('GET', '/healthz'), all)).toBe(false);
  });

  it('matches subresources as resource/subresource or */subresource', () => {
    expect(ruleAllows(ask('GET', '/api/v1/nodes/n/proxy'), rule({ verbs: ['get'], apiGroups: [''], resources: ['nodes/proxy'] }))).toBe(true);
    expect(ruleAllows(ask('GET', '/api/v1/nodes/n/proxy'), rule({ verbs: ['get'], apiGroups: [''], resources: ['*/proxy'] }))).toBe(true);
    expect(ruleAllows(ask('GET', '/api/v1/nodes/n/proxy'), rule({ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }))).toBe(false);
    expect(ruleAllows(ask('GET', '/api/v1/nodes/n'), rule({ verbs: ['get'], apiGroups: [''], resources: ['*/proxy'] }))).toBe(false);
  });

  it('limits by resourceNames, which a list without a pinned name never matches', () => {
    const one = rule({ verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cfg'] });
    expect(ruleAllows(ask('GET', '/api/v1/namespaces/a/configmaps/cfg'), one)).toBe(true);
    expect(ruleAllows(ask('GET', '/api/v1/namespaces/a/configmaps/other'), one)).toBe(false);
    expect(ruleAllows(ask('GET', '/api/v1/namespaces/a/configmaps'), one)).toBe(false);
    expect(ruleAllows(ask('GET', '/api/v1/namespaces/a/configmaps', { fieldSelector: 'metadata.name=cfg' }), one)).toBe(true);
  });

  it('matches non-resource URLs exactly, by `*`, or by a prefix ending in `*`', () => {
    const urls = rule({ verbs: ['get'], nonResourceURLs: ['/healthz', '/logs/*'] });
    expect(ruleAllows(ask('GET', '/healthz'), urls)).toBe(true);
    expect(ruleAllows(ask('GET', '/healthz/etcd'), urls)).toBe(false);
    expect(ruleAllows(ask('GET', '/logs/'), urls)).toBe(true);
    expect(ruleAllows(ask('GET', '/logs/a/b'), urls)).toBe(true);
    expect(ruleAllows(ask('GET', '/logs'), urls)).toBe(false);
    expect(ruleAllows(ask('GET', '/anything'), rule({ verbs: ['get'], nonResourceURLs: ['*'] }))).toBe(true);
    expect(ruleAllows(ask('GET', '/api/v1/namespaces/a/pods'), urls)).toBe(false);
  });
});
