/**
 * PodGroups from the API server, when the coscheduling CRD is installed. Many clusters do not
 * have it (gangs then come from labels and annotations alone), so the group-version is looked
 * up first and again every `recheckMs` until it appears, instead of an informer failing and
 * logging forever.
 */
import { createInformer, isNotFound, systemClock, type Clock, type Informer, type Logger, type KubeClient, type TimerHandle } from '../../../kube/index.js';
import { POD_GROUP_RESOURCE, projectPodGroup, type PodGroupInfo, type PodGroupLister } from './pod-groups.js';

export interface PodGroupWatchOptions {
  client: KubeClient;
  logger: Logger;
  /** Called on every PodGroup add, change or delete. */
  onChange: () => void;
  clock?: Clock;
  recheckMs?: number;
}

export class PodGroupWatch implements PodGroupLister {
  private informer: Informer<PodGroupInfo> | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private readonly clock: Clock;
  private readonly recheckMs: number;

  constructor(private readonly options: PodGroupWatchOptions) {
    this.clock = options.clock ?? systemClock;
    this.recheckMs = options.recheckMs ?? 60_000;
  }

  get(key: string): PodGroupInfo | undefined {
    return this.informer?.get(key);
  }

  /** True once the CRD was found and its informer has listed. */
  get active(): boolean {
    return this.informer?.hasSynced() === true;
  }

  start(): void {
    void this.check();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    await this.informer?.stop();
  }

  private async check(): Promise<void> {
    if (this.stopped || this.informer) return;
    const r = POD_GROUP_RESOURCE;
    try {
      await this.options.client.request({ path: `/apis/${r.group}/${r.version}`, retry: false });
    } catch (err) {
      if (!isNotFound(err)) this.options.logger.warn({ err }, 'could not look up the PodGroup API; trying again later');
      if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.check(), this.recheckMs);
      return;
    }
    if (this.stopped) return;
    const informer = createInformer<PodGroupInfo>({ client: this.options.client, resource: r, project: projectPodGroup, logger: this.options.logger, name: 'scheduler/podgroups' });
    const changed = (): void => this.options.onChange();
    informer.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
    this.informer = informer;
    informer.start();
    this.options.logger.info({ api: `${r.group}/${r.version}` }, 'watching PodGroups for gang sizes');
  }
}
