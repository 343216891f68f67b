// One mode of the utilization trace in a process of its own, so the two modes run side by side
// on two cores: forked by _trace.ts with `[mode, config]` as JSON arguments; sends
// `{ result: RunFigures }` or `{ error }` over IPC and exits.
// (The leading underscore keeps test/bench/run.ts from taking it for a suite.)
import { clusterPlan, compact, runOnce, type TraceConfig, type TraceMode } from './_trace-run.js';

/** Sends one message and resolves once it is handed to the channel (disconnecting earlier can lose it). */
function send(message: object): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

const mode = process.argv[2] as TraceMode;
const cfg = JSON.parse(process.argv[3] ?? '{}') as TraceConfig;
try {
  if (mode !== 'baseline' && mode !== 'ours') throw new Error(`trace child: mode must be baseline or ours, got ${JSON.stringify(mode)}`);
  const plans = Array.from({ length: cfg.clusters }, (_, i) => clusterPlan(cfg, i));
  const result = await runOnce(mode, cfg, plans, (line) => console.log(line));
  await send({ result: compact(result) });
} catch (err) {
  await send({ error: (err as Error).stack ?? String(err) });
}
process.disconnect?.();
