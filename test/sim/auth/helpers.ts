// Shared setup of the auth tests: a simulated cluster of its own (optionally on a clock
// the test moves), JSON requests to it with any bearer token, and the RBAC objects the
// tests grant with.

import { createCertificateAuthority } from '../../../kube/index.js';
import { SimCluster } from '../../../sim/index.js';
import type { Clock } from '../../../sim/time.js';
import { raw, type ClusterAccess, type RawResponse } from '../e2e/helpers.js';

export interface AuthCluster {
  cluster: SimCluster;
  access: ClusterAccess;
  /** Moves the cluster's clock (token issue and expiry run on it). */
  advance(seconds: number): void;
  stop(): Promise<void>;
}

/** A started cluster without nodes on a clock that only moves when told. */
export async function startAuthCluster(name = 'auth'): Promise<AuthCluster> {
  const ca = createCertificateAuthority('auth-test-ca');
  let offsetMs = 0;
  const clock: Clock = { now: () => Date.now() + offsetMs };
  const cluster = new SimCluster({ name, ca, clock, scheduler: false });
  await cluster.start();
  return {
    cluster,
    access: { server: cluster.url, ca: ca.cert, token: cluster.token },
    advance(seconds: number) {
      offsetMs += seconds * 1000;
    },
    stop: () => cluster.stop(),
  };
}

/** A JSON request; `token` replaces the admin token (null sends none). */
export function call(access: ClusterAccess, method: string, path: string, body?: unknown, token?: string | null): Promise<RawResponse> {
  return raw(access, method, path, {
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(token !== undefined ? { token } : {}),
  });
}

/** POSTs an object as the admin and fails the test unless it is created. */
export async function create(access: ClusterAccess, path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await call(access, 'POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: HTTP ${r.status} ${r.body}`);
  return r.json!;
}

export const RBAC = 'rbac.authorization.k8s.io/v1';

export function role(namespace: string, name: string, rules: unknown[]): [string, unknown] {
  return [`/apis/${RBAC}/namespaces/${namespace}/roles`, { apiVersion: RBAC, kind: 'Role', metadata: { name }, rules }];
}

export function clusterRole(name: string, rules: unknown[]): [string, unknown] {
  return [`/apis/${RBAC}/clusterroles`, { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules }];
}

export function roleBinding(namespace: string, name: string, roleRef: { kind: 'Role' | 'ClusterRole'; name: string }, subjects: unknown[]): [string, unknown] {
  return [
    `/apis/${RBAC}/namespaces/${namespace}/rolebindings`,
    { apiVersion: RBAC, kind: 'RoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects },
  ];
}

export function clusterRoleBinding(name: string, roleName: string, subjects: unknown[]): [string, unknown] {
  return [
    `/apis/${RBAC}/clusterrolebindings`,
    { apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects },
  ];
}

export const sa = (namespace: string, name: string): Record<string, string> => ({ kind: 'ServiceAccount', name, namespace });
export const user = (name: string): Record<string, string> => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
export const group = (name: string): Record<string, string> => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });

/** The claims of a JWT, unverified. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
