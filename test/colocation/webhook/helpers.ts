// Raw HTTPS to a webhook started by a test: the server is verified with the caPem it returned.
import { request } from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: Record<string, unknown> | undefined;
}

export function call(server: { port: number; caPem: string }, method: string, path: string, body?: string, contentType = 'application/json'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        ca: server.caPem,
        agent: false,
        timeout: 10_000,
        headers: body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs an AdmissionReview body to the webhook's path. */
export function postReview(server: { port: number; caPem: string; path: string }, body: string, contentType?: string): Promise<HttpAnswer> {
  return call(server, 'POST', `${server.path}?timeout=10s`, body, contentType);
}
