// A stand-in admission webhook for the sim's tests: a real HTTPS server on loopback with a
// certificate from its own CA, that records every AdmissionReview it receives and answers
// with whatever the test says (allow, patch, deny, a broken answer, or nothing for a while).
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createCertificateAuthority } from '../../../kube/index.js';

export interface ReviewRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: string;
  userInfo: { username: string; groups: string[] };
  object: Record<string, unknown> | null;
  oldObject: Record<string, unknown> | null;
  dryRun: boolean;
  options: Record<string, unknown> | null;
}

/** What the test answers: a whole AdmissionReview body, or a raw HTTP answer. */
export type Answer = Record<string, unknown> | { status: number; body: string } | { delayMs: number; then: Answer };

export interface StandIn {
  port: number;
  url(path?: string): string;
  /** base64 PEM of the CA that signed the serving certificate: clientConfig.caBundle. */
  caBundle: string;
  /** Every review received, with the path and query it was posted to. */
  received: Array<{ path: string; request: ReviewRequest }>;
  /** The answer to a review posted to `path` (the URL path, without the timeout query). */
  answer: (req: ReviewRequest, path: string) => Answer;
  /** When set, the next request that arrives on a connection already used is dropped with its connection. */
  dropNextReused: boolean;
  close(): Promise<void>;
}

/** allowed: true, with a JSON patch when `ops` are given. */
export function allow(req: ReviewRequest, ops?: unknown[], warnings?: string[]): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid: req.uid,
      allowed: true,
      ...(ops ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') } : {}),
      ...(warnings ? { warnings } : {}),
    },
  };
}

export function deny(req: ReviewRequest, status: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: req.uid, allowed: false, status } };
}

/** Starts the stand-in; `dnsNames` go into its certificate besides 127.0.0.1 and localhost. */
export async function startStandIn(opts: { dnsNames?: string[] } = {}): Promise<StandIn> {
  const ca = createCertificateAuthority('stand-in-webhook-ca');
  const serving = ca.issue({ commonName: 'stand-in-webhook', usage: 'server', dnsNames: ['localhost', ...(opts.dnsNames ?? [])], ipAddresses: ['127.0.0.1'] });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const handle: StandIn = {
    port: 0,
    url: (path = '/mutate') => `https://127.0.0.1:${handle.port}${path}`,
    caBundle: Buffer.from(ca.cert).toString('base64'),
    received: [],
    answer: (req) => allow(req),
    dropNextReused: false,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const served = new WeakMap<Socket, number>();
  const server: Server = createServer({ key: serving.key, cert: serving.cert }, (req, res) => {
    const n = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, n);
    if (n > 1 && handle.dropNextReused) {
      // What a webhook closing an idle keep-alive connection looks like to the caller.
      handle.dropNextReused = false;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: ReviewRequest };
      handle.received.push({ path: req.url ?? '', request: review.request });
      const send = (a: Answer): void => {
        if ('delayMs' in a && typeof a['delayMs'] === 'number') {
          const t = setTimeout(() => {
            timers.delete(t);
            send(a['then'] as Answer);
          }, a['delayMs']);
          timers.add(t);
          return;
        }
        if ('status' in a && typeof a['status'] === 'number' && typeof a['body'] === 'string') {
          res.writeHead(a['status'], { 'content-type': 'application/json' });
          res.end(a['body']);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(a));
      };
      send(handle.answer(review.request, (req.url ?? '').split('?')[0]!));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  handle.port = (server.address() as AddressInfo).port;
  return handle;
}
