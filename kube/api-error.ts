/**
 * The error every kube/ client call throws for an HTTP error answer: the status code, the
 * Kubernetes Status reason and message, the headers (Retry-After) and what was being done.
 *
 * It is shaped so the helpers in backoff.ts read it without special cases: `code` is the HTTP
 * status, `headers` carries Retry-After, `body` is the Status text.
 */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { retryAfterSeconds?: number; causes?: Array<{ reason?: string; message?: string; field?: string }> } & Record<string, unknown>;
}

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  /** HTTP status code. */
  readonly code: number;
  /** The Status reason (NotFound, Conflict, Expired, TooManyRequests...), or "" when the body was not a Status. */
  readonly reason: string;
  readonly status: KubeStatus | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** The raw response body (at most 4 KiB of it). */
  readonly body: string;
  readonly verb: string;
  readonly path: string;
  readonly cluster: string;

  constructor(init: {
    code: number;
    body: string;
    headers: Record<string, string>;
    verb: string;
    path: string;
    cluster: string;
  }) {
    const status = parseStatus(init.body);
    const what = status?.message || init.body.slice(0, 200) || `HTTP ${init.code}`;
    super(`${init.verb} ${init.path} on cluster ${init.cluster}: ${init.code} ${status?.reason ?? ''}: ${what}`.replace(/ {2}/g, ' '));
    this.code = init.code;
    this.reason = status?.reason ?? '';
    this.status = status;
    this.headers = init.headers;
    this.body = init.body.length > 4096 ? init.body.slice(0, 4096) : init.body;
    this.verb = init.verb;
    this.path = init.path;
    this.cluster = init.cluster;
  }
}

/** A Status object from a body or a watch ERROR event, or undefined. */
export function parseStatus(body: unknown): KubeStatus | undefined {
  let v: unknown = body;
  if (typeof body === 'string') {
    try {
      v = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof v !== 'object' || v === null || (v as { kind?: unknown }).kind !== 'Status') return undefined;
  return v as KubeStatus;
}

/** 410 Gone / Expired: the resourceVersion or continue token is too old; list again from scratch. */
export function isGone(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; reason?: unknown };
  return e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone';
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 404;
}

/** The Status a server answers a refused request with, as kube-apiserver writes it. */
export interface FailureStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  /** BadRequest, NotFound, Unauthorized, Forbidden, Invalid, InternalError, ... */
  reason: string;
  code: number;
  details?: { name?: string; kind?: string; causes?: Array<{ reason: string; message: string; field?: string }> };
}

export function failureStatus(code: number, reason: string, message: string, details?: FailureStatus['details']): FailureStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details ? { details } : {}) };
}
