/**
 * The kube-scheduler extender API over the same plugins, for clusters that keep kube-scheduler
 * and call Tidepool for the load-aware and batch-resource parts (KubeSchedulerConfiguration
 * `extenders: [{urlPrefix, filterVerb: filter, prioritizeVerb: prioritize, bindVerb: bind,
 * nodeCacheCapable, managedResources: [{name: kubernetes.io/batch-cpu}, ...]}]`).
 *
 * JSON keys are capitalised, as kube-scheduler's extender v1 types have no json tags:
 *   POST {prefix}/filter      ExtenderArgs {Pod, Nodes: {items} | null, NodeNames: [...] | null}
 *                             -> {Nodes, NodeNames, FailedNodes, FailedAndUnresolvableNodes, Error}
 *   POST {prefix}/prioritize  ExtenderArgs -> [{Host, Score}] with Score 0..10
 *   POST {prefix}/bind        {PodName, PodNamespace, PodUID, Node} -> {Error}
 * Malformed requests get 400 with a Kubernetes Status; a pod we cannot judge gets 200 with the
 * reason per node, as kube-scheduler expects verdicts, not HTTP errors, for a valid request.
 * Gang permit has no extender verb: gangs keep their pre-filter rules and reservations only.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { nodeProjection, type Logger, type NodeSummary, type RawObject } from '../../kube/index.js';
import { OFFLINE_EVICTED_UNTIL_ANNOTATION } from '../../api/index.js';

const projectNode = nodeProjection({ annotations: [OFFLINE_EVICTED_UNTIL_ANNOTATION] });
import { projectSchedPod } from './pod-info.js';
import type { NodeInfo } from './node-info.js';
import type { Scheduler } from './scheduler.js';

/** kube-scheduler's MaxExtenderPriority. */
export const MAX_EXTENDER_PRIORITY = 10;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ExtenderRoutesOptions {
  scheduler: Scheduler;
  /** Path before the verbs, e.g. "/scheduler" (kube-scheduler's urlPrefix path). Default "". */
  prefix?: string;
  logger?: Logger;
}

interface ParsedArgs {
  pod: RawObject;
  /** The given Node objects by name, when the request carried Nodes. */
  nodes: Map<string, { raw: Obj; summary: NodeSummary | undefined }> | undefined;
  names: string[];
}

export function badRequest(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'BadRequest', code: 400 });
}

/** Checks ExtenderArgs; a string says what is wrong. */
function parseArgs(body: unknown): ParsedArgs | string {
  if (!isObj(body)) return 'the body must be a JSON object (ExtenderArgs: {"Pod", "Nodes" or "NodeNames"})';
  const pod = body['Pod'];
  if (!isObj(pod) || !isObj(pod['metadata']) || typeof pod['metadata']['name'] !== 'string' || pod['metadata']['name'] === '') {
    return 'ExtenderArgs.Pod must be a Pod with metadata.name';
  }
  const rawNodes = body['Nodes'];
  const rawNames = body['NodeNames'];
  if ((rawNodes === undefined || rawNodes === null) && (rawNames === undefined || rawNames === null)) {
    return 'ExtenderArgs needs Nodes ({"items": [...]}) or NodeNames ([...])';
  }
  if (rawNodes !== undefined && rawNodes !== null) {
    if (!isObj(rawNodes) || !Array.isArray(rawNodes['items'])) return 'ExtenderArgs.Nodes must be a NodeList: {"items": [...]}';
    const nodes = new Map<string, { raw: Obj; summary: NodeSummary | undefined }>();
    for (const [i, item] of (rawNodes['items'] as unknown[]).entries()) {
      if (!isObj(item) || !isObj(item['metadata']) || typeof item['metadata']['name'] !== 'string' || item['metadata']['name'] === '') {
        return `ExtenderArgs.Nodes.items[${i}] must be a Node with metadata.name`;
      }
      let summary: NodeSummary | undefined;
      try {
        summary = projectNode(item as RawObject);
      } catch (err) {
        return `ExtenderArgs.Nodes.items[${i}]: ${(err as Error).message}`;
      }
      nodes.set(item['metadata']['name'], { raw: item, summary });
    }
    return { pod: pod as RawObject, nodes, names: [...nodes.keys()] };
  }
  if (!Array.isArray(rawNames) || !rawNames.every((n) => typeof n === 'string' && n !== '')) return 'ExtenderArgs.NodeNames must be a list of node names';
  return { pod: pod as RawObject, nodes: undefined, names: rawNames as string[] };
}

function nodeInfos(scheduler: Scheduler, args: ParsedArgs): NodeInfo[] {
  return args.names.map((n) => scheduler.nodeForExtender(n, args.nodes?.get(n)?.summary));
}

export function registerExtenderRoutes(app: FastifyInstance, options: ExtenderRoutesOptions): void {
  const { scheduler } = options;
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');

  app.post(`${prefix}/filter`, async (req, reply) => {
    const args = parseArgs(req.body);
    if (typeof args === 'string') return badRequest(reply, args);
    const pod = projectSchedPod(args.pod);
    const result = scheduler.extenderFilter(pod, nodeInfos(scheduler, args));
    const passed = new Set(result.passed);
    return {
      Nodes: args.nodes ? { apiVersion: 'v1', kind: 'NodeList', metadata: {}, items: [...args.nodes].filter(([n]) => passed.has(n)).map(([, v]) => v.raw) } : null,
      NodeNames: args.nodes ? null : result.passed,
      FailedNodes: result.failed,
      FailedAndUnresolvableNodes: result.unresolvable,
      Error: '',
    };
  });

  app.post(`${prefix}/prioritize`, async (req, reply) => {
    const args = parseArgs(req.body);
    if (typeof args === 'string') return badRequest(reply, args);
    const pod = projectSchedPod(args.pod);
    const shares = scheduler.extenderScores(pod, nodeInfos(scheduler, args));
    return args.names.map((Host, i) => ({ Host, Score: Math.round(shares[i]! * MAX_EXTENDER_PRIORITY) }));
  });

  app.post(`${prefix}/bind`, async (req, reply) => {
    const b = req.body;
    if (!isObj(b)) return badRequest(reply, 'the body must be a JSON object (ExtenderBindingArgs: {"PodName", "PodNamespace", "PodUID", "Node"})');
    for (const k of ['PodName', 'PodNamespace', 'Node'] as const) {
      if (typeof b[k] !== 'string' || b[k] === '') return badRequest(reply, `ExtenderBindingArgs.${k} is required`);
    }
    if (b['PodUID'] !== undefined && typeof b['PodUID'] !== 'string') return badRequest(reply, 'ExtenderBindingArgs.PodUID must be a string');
    const error = await scheduler.extenderBind(b['PodNamespace'] as string, b['PodName'] as string, (b['PodUID'] as string | undefined) ?? '', b['Node'] as string);
    if (error) options.logger?.warn({ pod: `${String(b['PodNamespace'])}/${String(b['PodName'])}`, node: b['Node'], error }, 'extender bind failed');
    return { Error: error ?? '' };
  });
}
