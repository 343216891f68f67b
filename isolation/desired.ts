// Desired state: what the strategies compute and the executor applies.
import type { CgroupDir, Controller } from './cgroup-layout.js';

/** One cgroup file value. The executor orders, de-duplicates and skips unchanged ones. */
export interface CgroupValue {
  dir: CgroupDir;
  file: string;
  value: string;
  /** Which strategy wants it (for logs and conflict messages). */
  strategy: string;
  /** Needed only for files without a controller prefix (cgroup.procs, tasks). */
  controller?: Controller;
}

/** A per-process file under the proc root (today only oom_score_adj). */
export interface ProcValue {
  pid: number;
  file: 'oom_score_adj';
  value: string;
  strategy: string;
}

/** A resctrl control group: schemata per resource and cache id, and the threads that belong in it. */
export interface ResctrlGroupPlan {
  name: string;
  /** resource ("L3", "MB", "L3CODE", ...) -> cache/domain id -> value (hex mask or bandwidth). */
  schemata: Map<string, Map<number, string>>;
  tids: number[];
}

export interface ResctrlPlan {
  groups: ResctrlGroupPlan[];
}
