/**
 * Writes a node's batch figures: the extended resources into status.capacity and
 * status.allocatable (a merge patch of the status subresource: two keys, nothing else touched),
 * then the breakdown annotation that explains them (a merge patch of the node's metadata; the
 * status subresource ignores metadata). Status goes first: if the annotation write fails, the
 * figures are still right and the next pass writes the annotation again.
 */
import { BATCH_BREAKDOWN_ANNOTATION, BATCH_CPU, BATCH_MEMORY } from '../../api/index.js';
import type { KubeClient } from '../../kube/index.js';
import type { BatchBreakdown } from './formula.js';

/** The annotation's JSON: the breakdown and when it was written. */
export type PublishedBreakdown = BatchBreakdown & { publishedAt: string };

export async function publishBatch(client: KubeClient, breakdown: BatchBreakdown, now: number, signal?: AbortSignal): Promise<PublishedBreakdown> {
  const node = encodeURIComponent(breakdown.node);
  // Integer millicores and bytes, as Koordinator publishes them ("4000", not "4").
  const figures = { [BATCH_CPU]: String(breakdown.result.cpu), [BATCH_MEMORY]: String(breakdown.result.memory) };
  await client.request({
    method: 'PATCH',
    path: `/api/v1/nodes/${node}/status`,
    contentType: 'application/merge-patch+json',
    body: { status: { capacity: figures, allocatable: figures } },
    ...(signal ? { signal } : {}),
  });
  const published: PublishedBreakdown = { ...breakdown, publishedAt: new Date(now).toISOString() };
  await client.request({
    method: 'PATCH',
    path: `/api/v1/nodes/${node}`,
    contentType: 'application/merge-patch+json',
    body: { metadata: { annotations: { [BATCH_BREAKDOWN_ANNOTATION]: JSON.stringify(published) } } },
    ...(signal ? { signal } : {}),
  });
  return published;
}
