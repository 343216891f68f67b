/**
 * The webhook's configuration, checked before anything starts: a bad value is an error that
 * names the flag it comes from (the `tidepool colocation` command maps its flags onto these).
 * The serving certificate comes from files (--tls-cert-file, --tls-private-key-file) or, when
 * none is given, is made at start: self-signed by a throwaway CA for `hosts`, whose PEM the
 * caller puts into the MutatingWebhookConfiguration's caBundle.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { selfSignedServingCertificate, type KubeClient } from '../../kube/index.js';
import type { PodMutator } from './mutate.js';
import type { NamespaceLabels } from './namespaces.js';

export interface WebhookTlsFiles {
  /** PEM certificate chain (--tls-cert-file). */
  certFile: string;
  /** PEM private key (--tls-private-key-file). */
  keyFile: string;
  /** PEM of the CA that signed the certificate, returned as caPem (--tls-ca-file); default the certificate file itself. */
  caFile?: string;
}

export interface WebhookTlsPem {
  cert: string;
  key: string;
  ca?: string;
}

export interface WebhookOptions {
  /** Address to listen on (--bind-address). Default 0.0.0.0, as in a pod. */
  host?: string;
  /** Port (--secure-port); 0 picks a free one. Default 9443. */
  port?: number;
  /** Path the API server posts AdmissionReviews to (--webhook-path). Default /mutate-pods. */
  path?: string;
  /** Serving certificate; self-signed for `hosts` when absent. */
  tls?: WebhookTlsFiles | WebhookTlsPem;
  /** Names and addresses of the self-signed certificate (--tls-san). Default localhost and 127.0.0.1. */
  hosts?: string[];
  /** Reads namespace labels (opt-in) through an informer on this cluster. */
  kubeClient?: KubeClient;
  /** Or any other source of namespace labels; wins over kubeClient. */
  namespaceLabels?: NamespaceLabels;
  /** Where the tidepool_webhook_* metrics go; a private Registry when absent. */
  registry?: Registry;
  logger?: Logger;
  /** The mutations an offline pod gets; default OFFLINE_MUTATORS. */
  mutators?: readonly PodMutator[];
  /** Aborting it closes the server. */
  signal?: AbortSignal;
}

export class WebhookConfigError extends Error {
  override readonly name = 'WebhookConfigError';
}

export interface ServingCertificate {
  cert: string;
  key: string;
  /** What a client trusts to verify the server: the caBundle. */
  caPem: string;
}

export const DEFAULT_WEBHOOK_PORT = 9443;
export const DEFAULT_WEBHOOK_PATH = '/mutate-pods';

export interface CheckedListen {
  host: string;
  port: number;
  path: string;
}

/** host, port and path checked; throws WebhookConfigError naming the flag. */
export function checkListen(opts: WebhookOptions): CheckedListen {
  const host = opts.host ?? '0.0.0.0';
  if (isIP(host) === 0 && host !== 'localhost') throw new WebhookConfigError(`--bind-address: "${host}" is not an IP address`);
  const port = opts.port ?? DEFAULT_WEBHOOK_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new WebhookConfigError(`--secure-port: ${String(port)} is not a port number (0-65535)`);
  const path = opts.path ?? DEFAULT_WEBHOOK_PATH;
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(path)) throw new WebhookConfigError(`--webhook-path: "${path}" must be an absolute URL path (letters, digits, . _ ~ - /)`);
  if (['/healthz', '/readyz', '/metrics'].includes(path)) throw new WebhookConfigError(`--webhook-path: "${path}" is taken by the health and metrics endpoints`);
  return { host, port, path };
}

function readPem(file: string, flag: string, marker: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WebhookConfigError(`${flag}: cannot read ${file}: ${(err as Error).message}`);
  }
  if (!text.includes(`-----BEGIN ${marker}`) && !(marker === 'PRIVATE KEY' && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))) {
    throw new WebhookConfigError(`${flag}: ${file} holds no PEM ${marker}`);
  }
  return text;
}

/** The serving certificate from the options, or a self-signed one; throws WebhookConfigError naming the flag. */
export function servingCertificate(opts: WebhookOptions): ServingCertificate {
  const tls = opts.tls;
  if (tls && 'certFile' in tls) {
    if (!tls.certFile) throw new WebhookConfigError('--tls-cert-file: required with --tls-private-key-file');
    if (!tls.keyFile) throw new WebhookConfigError('--tls-private-key-file: required with --tls-cert-file');
    const cert = readPem(tls.certFile, '--tls-cert-file', 'CERTIFICATE');
    const key = readPem(tls.keyFile, '--tls-private-key-file', 'PRIVATE KEY');
    return { cert, key, caPem: tls.caFile ? readPem(tls.caFile, '--tls-ca-file', 'CERTIFICATE') : cert };
  }
  if (tls) {
    if (!tls.cert.includes('-----BEGIN CERTIFICATE')) throw new WebhookConfigError('--tls-cert-file: the certificate is not PEM');
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(tls.key)) throw new WebhookConfigError('--tls-private-key-file: the key is not PEM');
    return { cert: tls.cert, key: tls.key, caPem: tls.ca ?? tls.cert };
  }
  const hosts = opts.hosts ?? ['localhost', '127.0.0.1'];
  if (hosts.length === 0) throw new WebhookConfigError('--tls-san: at least one name or address is needed for the self-signed certificate');
  for (const h of hosts) {
    if (isIP(h) === 0 && !/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(h)) {
      throw new WebhookConfigError(`--tls-san: "${h}" is neither an IP address nor a DNS name`);
    }
  }
  const self = selfSignedServingCertificate(hosts);
  return { cert: self.cert, key: self.key, caPem: self.caCert };
}
