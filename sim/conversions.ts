// events.k8s.io/v1 and core/v1 Events are two views of the same stored objects (as in
// kube-apiserver). Storage keeps the core/v1 shape; these convert at the API edge.
import { isRecord, type KubeObject } from './object.js';

type Obj = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** core/v1 Event -> events.k8s.io/v1 Event. */
export function coreEventToEventsV1(e: KubeObject): KubeObject {
  const source = isRecord(e['source']) ? e['source'] : {};
  const out: KubeObject = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: e.metadata,
  };
  const set = (k: string, v: unknown): void => {
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  };
  out['eventTime'] = e['eventTime'] ?? null;
  set('series', e['series']);
  set('reportingController', e['reportingComponent'] ?? str(source['component']));
  set('reportingInstance', e['reportingInstance'] ?? str(source['host']));
  set('action', e['action']);
  set('reason', e['reason']);
  set('regarding', e['involvedObject']);
  set('related', e['related']);
  set('note', e['message']);
  set('type', e['type']);
  set('deprecatedSource', e['source']);
  set('deprecatedFirstTimestamp', e['firstTimestamp']);
  set('deprecatedLastTimestamp', e['lastTimestamp']);
  set('deprecatedCount', e['count']);
  return out;
}

/** events.k8s.io/v1 Event -> core/v1 Event, for storage. */
export function eventsV1ToCoreEvent(e: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: e.metadata };
  const set = (k: string, v: unknown): void => {
    if (v !== undefined && v !== null) out[k] = v;
  };
  set('eventTime', e['eventTime']);
  set('series', e['series']);
  set('reportingComponent', e['reportingController']);
  set('reportingInstance', e['reportingInstance']);
  set('action', e['action']);
  set('reason', e['reason']);
  out['involvedObject'] = isRecord(e['regarding']) ? e['regarding'] : {};
  set('related', e['related']);
  set('message', e['note']);
  set('type', e['type']);
  const src = isRecord(e['deprecatedSource']) ? (e['deprecatedSource'] as Obj) : undefined;
  set('source', src ?? (e['reportingController'] ? { component: e['reportingController'] } : undefined));
  set('firstTimestamp', e['deprecatedFirstTimestamp']);
  set('lastTimestamp', e['deprecatedLastTimestamp']);
  set('count', e['deprecatedCount']);
  return out;
}
