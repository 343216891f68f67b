/**
 * Who is in each gang: every live pod (pending, assumed or bound; not finished) that names the
 * gang, kept from the informer's events. Permit counts the placed ones; the leader's
 * reservation copies a worker's shape when one exists.
 */
import type { SchedPod } from '../types.js';

export class GangMembers {
  private readonly gangs = new Map<string, Map<string, SchedPod>>();
  private readonly gangOf = new Map<string, string>();

  /** The pod is live; returns true when it is new to its gang. */
  upsert(pod: SchedPod): boolean {
    const gang = pod.gang?.key;
    const had = this.gangOf.get(pod.key);
    if (had !== undefined && had !== gang) this.remove(pod.key);
    if (gang === undefined) return false;
    let m = this.gangs.get(gang);
    if (!m) this.gangs.set(gang, (m = new Map()));
    const isNew = !m.has(pod.key);
    m.set(pod.key, pod);
    this.gangOf.set(pod.key, gang);
    return isNew;
  }

  /** The pod left (deleted or finished); returns its gang, if it had one. */
  remove(key: string): string | undefined {
    const gang = this.gangOf.get(key);
    if (gang === undefined) return undefined;
    this.gangOf.delete(key);
    const m = this.gangs.get(gang);
    m?.delete(key);
    if (m && m.size === 0) this.gangs.delete(gang);
    return gang;
  }

  members(gang: string): Iterable<SchedPod> {
    return this.gangs.get(gang)?.values() ?? [];
  }

  count(gang: string): number {
    return this.gangs.get(gang)?.size ?? 0;
  }

  leader(gang: string): SchedPod | undefined {
    for (const p of this.members(gang)) if (p.role === 'leader') return p;
    return undefined;
  }

  worker(gang: string): SchedPod | undefined {
    for (const p of this.members(gang)) if (p.role !== 'leader') return p;
    return undefined;
  }
}
