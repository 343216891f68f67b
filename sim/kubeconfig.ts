// Writes the kubeconfig users and tests point kubectl / client-node at: one cluster,
// user and context per simulated cluster (context name = cluster name). Each cluster
// gets its own user entry, because client-node caches credentials by user name.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import YAML from 'yaml';

export interface KubeconfigCluster {
  name: string;
  server: string;
  caPem: string;
  token: string;
}

export function renderKubeconfig(clusters: KubeconfigCluster[], currentContext?: string): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': currentContext ?? clusters[0]?.name ?? '',
    clusters: clusters.map((c) => ({
      name: c.name,
      cluster: { server: c.server, 'certificate-authority-data': Buffer.from(c.caPem).toString('base64') },
    })),
    users: clusters.map((c) => ({ name: `${c.name}-admin`, user: { token: c.token } })),
    contexts: clusters.map((c) => ({ name: c.name, context: { cluster: c.name, user: `${c.name}-admin`, namespace: 'default' } })),
  };
  return YAML.stringify(doc);
}

/** Writes the file readable by its owner only: it holds bearer tokens. */
export function writeKubeconfig(path: string, clusters: KubeconfigCluster[], currentContext?: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderKubeconfig(clusters, currentContext), { mode: 0o600 });
  chmodSync(path, 0o600);
}
