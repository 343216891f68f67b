/**
 * The webhook's Prometheus metrics, on the Registry it is given (never the global one):
 * tidepool_webhook_<what>_<unit>.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ReviewOutcome } from './review.js';

export class WebhookMetrics {
  /** Reviews answered, by what happened to the pod (mutated, already-offline, online, unchanged, not-a-pod, not-a-create, error). */
  readonly mutations: Counter<'outcome'>;
  /** Time from a review's arrival to its answer, namespace lookup included. */
  readonly reviewSeconds: Histogram<'outcome'>;
  /** Requests refused as malformed (not JSON, not an AdmissionReview v1). */
  readonly badRequests: Counter;

  constructor(registry: Registry) {
    this.mutations = new Counter({
      name: 'tidepool_webhook_mutations_total',
      help: 'AdmissionReviews answered, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.reviewSeconds = new Histogram({
      name: 'tidepool_webhook_review_duration_seconds',
      help: 'Time to answer one AdmissionReview',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    this.badRequests = new Counter({
      name: 'tidepool_webhook_bad_requests_total',
      help: 'Requests refused with 400 because they were not AdmissionReview v1 JSON',
      registers: [registry],
    });
  }

  observe(outcome: ReviewOutcome, seconds: number): void {
    this.mutations.inc({ outcome });
    this.reviewSeconds.observe({ outcome }, seconds);
  }
}
