/**
 * AdmissionReview v1 in and out: the request checked (a malformed review is the caller's
 * error, answered 400), the answer built (allowed always; the JSON patch base64-encoded with
 * patchType JSONPatch, or no patch at all; warnings).
 *
 * What is not a pod create is admitted as it is: an update or delete needs nothing from us,
 * and another kind means the MutatingWebhookConfiguration sends more than it should (said in
 * a warning). A failure of ours on one pod admits the pod unchanged with a warning.
 */
import { mutatePod, WARNING_PREFIX, type Labels, type MutationOutcome, type PodMutator } from './mutate.js';
import type { JsonPatchOperation } from './patch.js';

export const ADMISSION_REVIEW_API_VERSION = 'admission.k8s.io/v1';

/** A review that cannot be answered: 400 with this message. */
export class ReviewError extends Error {
  override readonly name = 'ReviewError';
}

/** The fields of an AdmissionReview request the webhook reads. */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  subResource: string;
  name: string;
  namespace: string;
  operation: string;
  object: unknown;
  dryRun: boolean;
}

export type ReviewOutcome = MutationOutcome | 'not-a-pod' | 'not-a-create' | 'error';

export interface ReviewAnswer {
  /** The AdmissionReview to send back. */
  review: Record<string, unknown>;
  outcome: ReviewOutcome;
  patch: JsonPatchOperation[];
  warnings: string[];
  /** Why, for logs. */
  reason: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The request of an AdmissionReview v1; throws ReviewError saying what is wrong. */
export function parseReview(body: unknown): AdmissionRequest {
  if (!isRecord(body)) throw new ReviewError('the body must be an AdmissionReview JSON object');
  if (body['apiVersion'] !== ADMISSION_REVIEW_API_VERSION || body['kind'] !== 'AdmissionReview') {
    throw new ReviewError(`expected apiVersion ${ADMISSION_REVIEW_API_VERSION} and kind AdmissionReview, got ${JSON.stringify(body['apiVersion'] ?? null)} and ${JSON.stringify(body['kind'] ?? null)}`);
  }
  const r = body['request'];
  if (!isRecord(r)) throw new ReviewError('the AdmissionReview has no request');
  if (typeof r['uid'] !== 'string' || r['uid'] === '') throw new ReviewError('request.uid must be a non-empty string');
  const kind = isRecord(r['kind']) ? r['kind'] : {};
  return {
    uid: r['uid'],
    kind: { group: str(kind['group']), version: str(kind['version']), kind: str(kind['kind']) },
    subResource: str(r['subResource']),
    name: str(r['name']),
    namespace: str(r['namespace']),
    operation: str(r['operation']),
    object: r['object'],
    dryRun: r['dryRun'] === true,
  };
}

/** The AdmissionReview answer: allowed, with the patch (when there is one) and warnings. */
export function admissionResponse(uid: string, patch: readonly JsonPatchOperation[], warnings: readonly string[]): Record<string, unknown> {
  return {
    apiVersion: ADMISSION_REVIEW_API_VERSION,
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: true,
      ...(patch.length > 0 ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') } : {}),
      ...(warnings.length > 0 ? { warnings: [...warnings] } : {}),
    },
  };
}

function answer(req: AdmissionRequest, outcome: ReviewOutcome, reason: string, patch: JsonPatchOperation[] = [], warnings: string[] = []): ReviewAnswer {
  return { review: admissionResponse(req.uid, patch, warnings), outcome, patch, warnings, reason };
}

/** Decides one review. `nsLabels`: the labels of request.namespace when known. Never throws. */
export function answerReview(req: AdmissionRequest, nsLabels?: Labels, mutators?: readonly PodMutator[]): ReviewAnswer {
  const k = req.kind;
  if (k.group !== '' || k.kind !== 'Pod' || req.subResource !== '') {
    const what = `${k.kind || 'an object of unknown kind'}${k.group ? `.${k.group}` : ''}${req.subResource ? ` (subresource ${req.subResource})` : ''}`;
    return answer(req, 'not-a-pod', `not a pod: ${what}`, [], [`${WARNING_PREFIX}the colocation webhook only changes pods; ${what} admitted unchanged (check the MutatingWebhookConfiguration's rules)`]);
  }
  if (req.operation !== 'CREATE') return answer(req, 'not-a-create', `operation ${req.operation || '(none)'}`);
  try {
    const m = mutatePod(req.object, nsLabels, mutators);
    return answer(req, m.outcome, m.reason, m.patch, m.warnings);
  } catch (e) {
    // Our bug must not block the pod: admitted unchanged, and said so.
    const message = e instanceof Error ? e.message : String(e);
    return answer(req, 'error', message, [], [`${WARNING_PREFIX}the colocation webhook failed on this pod (${message}); admitted unchanged`]);
  }
}
