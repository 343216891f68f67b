// What a kubelet API request asks for, in SubjectAccessReview terms, mapped as the kubelet's
// auth filter maps it: the subresource by path, the verb by method.

import { describe, expect, it } from 'vitest';
import { requestAttributes } from '../../../virtual-node/kubelet-api/auth.js';

describe('requestAttributes', () => {
  it.each([
    ['GET', '/stats/summary', 'get', 'stats'],
    ['GET', '/stats', 'get', 'stats'],
    ['GET', '/metrics/resource', 'get', 'metrics'],
    ['GET', '/metrics', 'get', 'metrics'],
    ['GET', '/logs/kubelet.log', 'get', 'log'],
    ['GET', '/spec/', 'get', 'spec'],
    ['GET', '/containerLogs/default/web/app', 'get', 'proxy'],
    ['POST', '/exec/default/web/app', 'create', 'proxy'],
    ['GET', '/exec/default/web/app', 'get', 'proxy'],
    ['POST', '/attach/default/web/app', 'create', 'proxy'],
    ['POST', '/portForward/default/web', 'create', 'proxy'],
    ['GET', '/pods', 'get', 'proxy'],
    ['POST', '/run/default/web/app', 'create', 'proxy'],
    ['PUT', '/pods', 'update', 'proxy'],
    ['PATCH', '/pods', 'patch', 'proxy'],
    ['DELETE', '/pods', 'delete', 'proxy'],
    ['HEAD', '/healthz', 'get', 'proxy'],
  ])('%s %s needs %s on nodes/%s', (method, path, verb, subresource) => {
    expect(requestAttributes(method, path)).toEqual({ verb, subresource });
  });

  it('matches whole path segments only: /statsfoo and /metricsx are proxy', () => {
    expect(requestAttributes('GET', '/statsfoo').subresource).toBe('proxy');
    expect(requestAttributes('GET', '/metricsx/resource').subresource).toBe('proxy');
  });
});
