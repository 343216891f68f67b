/**
 * Where a client's credentials come from: a kubeconfig file (and a context in it), kubeconfig
 * text, or the pod's service account. client-node's KubeConfig does the parsing and the auth
 * plugins (exec, OIDC, token files); this module only picks the source and checks the result,
 * so a bad kubeconfig fails at startup with a message naming the file and context.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export type KubeConfigSource =
  /** A kubeconfig file; `context` defaults to its current-context. */
  | { kind: 'file'; path: string; context?: string }
  /** Kubeconfig YAML/JSON text (e.g. from a Secret). */
  | { kind: 'inline'; text: string; context?: string }
  /**
   * The pod's service account: token, ca.crt and namespace in `dir` (default
   * /var/run/secrets/kubernetes.io/serviceaccount), the API server from `host`/`port` or
   * KUBERNETES_SERVICE_HOST/PORT. The token file is re-read as it rotates.
   */
  | { kind: 'in-cluster'; dir?: string; host?: string; port?: string | number }
  /** An already loaded KubeConfig (its current context is used). */
  | { kind: 'config'; config: KubeConfig; context?: string };

export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

/** What a client needs to know about its cluster besides the KubeConfig itself. */
export interface ResolvedKubeConfig {
  kubeConfig: KubeConfig;
  /** The context in use. */
  context: string;
  /** API server URL without a trailing slash. */
  server: string;
  /** Default namespace of the context (the service account's namespace in-cluster). */
  namespace: string;
}

export function loadKubeConfig(source: KubeConfigSource): ResolvedKubeConfig {
  const kc = new KubeConfig();
  let where: string;
  let context: string | undefined;
  switch (source.kind) {
    case 'file':
      where = `kubeconfig ${source.path}`;
      try {
        kc.loadFromFile(source.path);
      } catch (err) {
        throw new KubeConfigError(`cannot load ${where}: ${(err as Error).message}`, { cause: err });
      }
      context = source.context;
      break;
    case 'inline':
      where = 'inline kubeconfig';
      try {
        kc.loadFromString(source.text);
      } catch (err) {
        throw new KubeConfigError(`cannot parse ${where}: ${(err as Error).message}`, { cause: err });
      }
      context = source.context;
      break;
    case 'in-cluster':
      where = 'in-cluster service account';
      loadInCluster(kc, source);
      break;
    case 'config':
      where = 'kubeconfig';
      kc.mergeConfig(source.config);
      context = source.context ?? source.config.getCurrentContext();
      break;
  }
  if (context !== undefined) {
    if (!kc.getContextObject(context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError(`${where}: no context "${context}" (have: ${known.join(', ') || 'none'})`);
    }
    kc.setCurrentContext(context);
  }
  const current = kc.getCurrentContext();
  const ctx = current ? kc.getContextObject(current) : null;
  if (!ctx) throw new KubeConfigError(`${where}: no current context; name one with a context option`);
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new KubeConfigError(`${where}: context "${current}" names cluster "${ctx.cluster}" which has no server`);
  if (!kc.getCurrentUser()) throw new KubeConfigError(`${where}: context "${current}" names user "${ctx.user}" which is not defined`);
  try {
    new URL(cluster.server);
  } catch {
    throw new KubeConfigError(`${where}: cluster "${cluster.name}" has an invalid server URL "${cluster.server}"`);
  }
  return { kubeConfig: kc, context: current, server: cluster.server.replace(/\/+$/, ''), namespace: ctx.namespace || 'default' };
}

function loadInCluster(kc: KubeConfig, source: { dir?: string; host?: string; port?: string | number }): void {
  const dir = source.dir ?? SERVICE_ACCOUNT_DIR;
  const host = source.host ?? process.env['KUBERNETES_SERVICE_HOST'];
  const port = String(source.port ?? process.env['KUBERNETES_SERVICE_PORT'] ?? '443');
  if (!host) throw new KubeConfigError('in-cluster config: KUBERNETES_SERVICE_HOST is not set (not running in a pod?)');
  const tokenFile = join(dir, 'token');
  const caFile = join(dir, 'ca.crt');
  if (!existsSync(tokenFile)) throw new KubeConfigError(`in-cluster config: no service account token at ${tokenFile}`);
  if (!existsSync(caFile)) throw new KubeConfigError(`in-cluster config: no cluster CA at ${caFile}`);
  const nsFile = join(dir, 'namespace');
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined;
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  // The same shape client-node's loadFromCluster builds, with the directory and address ours
  // to choose: the tokenFile auth provider re-reads the token, which the kubelet rotates.
  kc.loadFromOptions({
    clusters: [{ name: 'in-cluster', server: `https://${bracketed}:${port}`, caFile, skipTLSVerify: false }],
    users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile } } }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', ...(namespace ? { namespace } : {}) }],
    currentContext: 'in-cluster',
  });
}
