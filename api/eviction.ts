/**
 * Offline eviction's vocabulary: what makes an offline pod cheap to lose, and how a node says
 * "offline pods were just evicted here for load; do not send them straight back". The eviction
 * controller writes the node annotation; the scheduler's offline filter reads it (koordinator
 * #2477: without it an evicted pod is rescheduled onto the node that just shed it).
 */

/**
 * On a Spark executor pod (annotation or label), value "true": its shuffle files are served by
 * an external or remote shuffle service (spark.shuffle.service.enabled=true), so evicting it
 * loses no shuffle output and no stage has to be recomputed. Set it with
 * `spark.kubernetes.executor.annotation.tidepool.dev/spark-shuffle-service=true`.
 */
export const SPARK_SHUFFLE_SERVICE_ANNOTATION = 'tidepool.dev/spark-shuffle-service';

export function hasShuffleService(labels: Readonly<Record<string, string>> | undefined, annotations: Readonly<Record<string, string>> | undefined): boolean {
  return annotations?.[SPARK_SHUFFLE_SERVICE_ANNOTATION] === 'true' || labels?.[SPARK_SHUFFLE_SERVICE_ANNOTATION] === 'true';
}

/** On a Node: RFC 3339 time until which no offline pod should be placed there (offline pods were evicted for load). */
export const OFFLINE_EVICTED_UNTIL_ANNOTATION = 'tidepool.dev/offline-evicted-until';

/** The time in the annotation (ms since the epoch); undefined when absent or unreadable. */
export function offlineEvictedUntil(annotations: Readonly<Record<string, string>> | undefined): number | undefined {
  const v = annotations?.[OFFLINE_EVICTED_UNTIL_ANNOTATION];
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** True while the node sheds offline load: the scheduler's filter keeps offline pods away. */
export function isOfflineBackoff(annotations: Readonly<Record<string, string>> | undefined, nowMs: number): boolean {
  const until = offlineEvictedUntil(annotations);
  return until !== undefined && nowMs < until;
}
