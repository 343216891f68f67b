// Golden AdmissionReviews, as kube-apiserver sends them (defaulted pods: priority 0,
// preemptionPolicy, default-scheduler, tolerations), and the exact answers: the patch
// (decoded here; base64 on the wire) and the warnings. Each review is answered twice: by
// answerReview directly and by the HTTPS server, which must agree byte for byte.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerReview, mutatePod, parseReview, startWebhook, staticNamespaceLabels, type WebhookHandle } from '../../../colocation/webhook/index.js';
import { postReview } from './helpers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

interface Expected {
  namespaceLabels?: Record<string, string>;
  response: { uid: string; allowed: boolean; patchType?: string; patch?: unknown[]; warnings?: string[] };
}

const cases = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.review.json'))
  .map((f) => f.slice(0, -'.review.json'.length))
  .sort();

function load(name: string): { review: Record<string, unknown>; expected: Expected } {
  return {
    review: JSON.parse(readFileSync(join(FIXTURES, `${name}.review.json`), 'utf8')) as Record<string, unknown>,
    expected: JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8')) as Expected,
  };
}

/** The answer's response with its patch decoded, to compare with the fixture. */
function decoded(answer: Record<string, unknown>): Record<string, unknown> {
  expect(answer['apiVersion']).toBe('admission.k8s.io/v1');
  expect(answer['kind']).toBe('AdmissionReview');
  const r = { ...(answer['response'] as Record<string, unknown>) };
  if (typeof r['patch'] === 'string') r['patch'] = JSON.parse(Buffer.from(r['patch'], 'base64').toString('utf8'));
  return r;
}

let server: WebhookHandle;

beforeAll(async () => {
  const byNamespace: Record<string, Record<string, string>> = {};
  for (const name of cases) {
    const { review, expected } = load(name);
    const ns = (review['request'] as { namespace: string }).namespace;
    if (expected.namespaceLabels) byNamespace[ns] = expected.namespaceLabels;
  }
  server = await startWebhook({ host: '127.0.0.1', port: 0, namespaceLabels: staticNamespaceLabels(byNamespace), logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await server?.close();
});

it('has the fixtures the colocation room asked for', () => {
  expect(cases).toEqual([
    'already-mutated',
    'flink-jobmanager',
    'flink-taskmanager',
    'koordinator-be',
    'malformed-quantities',
    'namespace-opted-in',
    'spark-driver',
    'spark-executor',
    'unknown-kind',
    'volcano-be',
  ]);
});

describe.each(cases)('%s', (name) => {
  const { review, expected } = load(name);

  it('answerReview gives exactly the expected answer', () => {
    const a = answerReview(parseReview(review), expected.namespaceLabels);
    expect(decoded(a.review)).toEqual(expected.response);
  });

  it('the HTTPS server gives the same answer', async () => {
    const r = await postReview(server, JSON.stringify(review));
    expect(r.status).toBe(200);
    expect(decoded(r.json!)).toEqual(expected.response);
  });

  if (expected.response.patch) {
    it('the patch applies to the pod, and the patched pod gets an empty patch (idempotent)', () => {
      const pod = (review['request'] as { object: object }).object;
      const patched = fastJsonPatch.applyPatch(pod, expected.response.patch as Operation[], true, false).newDocument;
      const again = mutatePod(patched, expected.namespaceLabels);
      expect(again.patch).toEqual([]);
      expect(again.outcome).toBe('already-offline');
    });
  }
});
