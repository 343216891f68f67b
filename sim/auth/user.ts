// Who a request is: kube's user.Info (name, uid, groups, extra), the well-known users and
// groups, and the names kube gives ServiceAccounts (system:serviceaccount:<ns>:<name>).

export interface UserInfo {
  readonly username: string;
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** Members are allowed everything, before any authorizer is asked (kube's privileged group). */
export const SYSTEM_MASTERS = 'system:masters';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
export const ANONYMOUS = 'system:anonymous';
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

const SA_PREFIX = 'system:serviceaccount:';

/** The cluster's admin, as the admin token authenticates (kubeadm's admin.conf user). */
export const ADMIN_USER: UserInfo = Object.freeze({
  username: 'kubernetes-admin',
  uid: '',
  groups: Object.freeze([SYSTEM_MASTERS, ALL_AUTHENTICATED]),
  extra: Object.freeze({}),
});

/** Keys of the extra values a ServiceAccount token's user carries (kube's serviceaccount package). */
export const EXTRA_POD_NAME = 'authentication.kubernetes.io/pod-name';
export const EXTRA_POD_UID = 'authentication.kubernetes.io/pod-uid';
export const EXTRA_NODE_NAME = 'authentication.kubernetes.io/node-name';
export const EXTRA_NODE_UID = 'authentication.kubernetes.io/node-uid';
export const EXTRA_CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SA_PREFIX}${namespace}:${name}`;
}

/** The groups every ServiceAccount of a namespace is in. */
export function serviceAccountGroups(namespace: string): string[] {
  return [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`];
}

/** Namespace and name of a ServiceAccount username, or undefined for any other user. */
export function parseServiceAccountUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const rest = username.slice(SA_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1 || rest.indexOf(':', colon + 1) >= 0) return undefined;
  return { namespace: rest.slice(0, colon), name: rest.slice(colon + 1) };
}

export function isPrivileged(user: UserInfo): boolean {
  return user.groups.includes(SYSTEM_MASTERS);
}

/**
 * The groups an authenticated user ends up with: kube's authenticated-group adder appends
 * system:authenticated unless the user already is in it (or is anonymous).
 */
export function withAuthenticatedGroup(groups: readonly string[]): string[] {
  return groups.includes(ALL_AUTHENTICATED) ? [...groups] : [...groups, ALL_AUTHENTICATED];
}
