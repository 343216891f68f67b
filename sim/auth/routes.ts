// The HTTP routes of the auth APIs. Each is an exact path, so fastify's router prefers it
// to the generic /api/* and /apis/* resource routes; every method reaches the handler,
// and the ones a create-only kind does not serve get kube's 405. The service-account
// issuer discovery documents (/.well-known/openid-configuration, /openid/v1/jwks) let a
// relying party verify tokens without calling TokenReview.

import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { ClusterApi } from '../api.js';
import { ApiError, methodNotAllowed } from '../errors.js';
import {
  handleLocalSubjectAccessReview,
  handleSelfSubjectAccessReview,
  handleSelfSubjectRulesReview,
  handleSubjectAccessReview,
} from './access-review.js';
import { jwks } from './jwt.js';
import type { RequestAuth } from './request-auth.js';
import { handleTokenRequest } from './token-request.js';
import { handleSelfSubjectReview, handleTokenReview } from './token-review.js';

export interface AuthRoutesContext {
  api: ClusterApi;
  auth: RequestAuth;
  /** host:port the API server listens on, for the JWKS URL. */
  serverAddress: () => string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

type Params = Record<string, string>;

/** A route that serves POST only; other methods are 405 as kube answers for create-only kinds. */
function createOnly(handler: (req: FastifyRequest, reply: FastifyReply, params: Params) => void): RouteHandlerMethod {
  return async (req, reply) => {
    if (req.method !== 'POST') throw methodNotAllowed('the server does not allow this method on the requested resource');
    handler(req, reply, req.params as Params);
  };
}

export function installAuthRoutes(app: FastifyInstance, ctx: AuthRoutesContext): void {
  const { api, auth } = ctx;
  const { tokens, authorizer } = auth;
  const route = (url: string, handler: RouteHandlerMethod): void => {
    app.route({ method: [...METHODS], url, handler });
  };
  route(
    '/api/v1/namespaces/:namespace/serviceaccounts/:name/token',
    createOnly((req, reply, p) => handleTokenRequest(api, tokens, req, reply, p['namespace']!, p['name']!)),
  );
  route('/apis/authentication.k8s.io/v1/tokenreviews', createOnly((req, reply) => handleTokenReview(auth, req, reply)));
  route('/apis/authentication.k8s.io/v1/selfsubjectreviews', createOnly((req, reply) => handleSelfSubjectReview(req, reply)));
  route('/apis/authorization.k8s.io/v1/subjectaccessreviews', createOnly((req, reply) => handleSubjectAccessReview(authorizer, req, reply)));
  route('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', createOnly((req, reply) => handleSelfSubjectAccessReview(authorizer, req, reply)));
  route('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', createOnly((req, reply) => handleSelfSubjectRulesReview(authorizer, req, reply)));
  route(
    '/apis/authorization.k8s.io/v1/namespaces/:namespace/localsubjectaccessreviews',
    createOnly((req, reply, p) => handleLocalSubjectAccessReview(authorizer, req, reply, p['namespace']!)),
  );

  const unavailable = (): ApiError => new ApiError(503, 'ServiceUnavailable', 'the service account token signing key is not ready');
  app.get('/.well-known/openid-configuration', async (_req, reply) => {
    if (!tokens.signingKey) throw unavailable();
    reply.code(200).type('application/json').send(
      JSON.stringify({
        issuer: tokens.issuer,
        jwks_uri: `https://${ctx.serverAddress()}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      }),
    );
  });
  app.get('/openid/v1/jwks', async (_req, reply) => {
    const key = tokens.signingKey;
    if (!key) throw unavailable();
    reply.code(200).type('application/jwk-set+json').send(JSON.stringify(jwks(key)));
  });
}
