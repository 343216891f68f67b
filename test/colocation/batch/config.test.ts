// Flags of the batch controller and the load sources: defaults, and a bad value is an error
// that names its flag (all problems at once).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchConfigError, parseBatchFlags } from '../../../colocation/batch/index.js';
import { LoadConfigError, parseLoadFlags } from '../../../colocation/load/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tidepool-batch-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof BatchConfigError || err instanceof LoadConfigError) return err.problems;
    throw err;
  }
  throw new Error('no error');
}

describe('batch controller flags', () => {
  it('has defaults: nothing reserved, 10 % / 5 min hysteresis, policy "default", leader election in tidepool-system', () => {
    const c = parseBatchFlags({}, { POD_NAME: 'colocation-0' });
    expect(c).toMatchObject({ reserved: { cpu: 0, memory: 0 }, publish: { changePercent: 10, maxQuietMs: 300_000 }, workers: 2, policyName: 'default', leaderElection: { namespace: 'tidepool-system' } });
    expect(c.leaderElection && c.leaderElection.identity).toMatch(/^colocation-0_[0-9a-f]{8}$/);
  });

  it('reads quantities and numbers', () => {
    const c = parseBatchFlags({ batchReservedCpu: '500m', batchReservedMemory: '2Gi', batchChangePercent: '5', batchMaxQuietSeconds: '60', leaderElect: 'false', policyName: 'prod' });
    expect(c).toMatchObject({ reserved: { cpu: 500, memory: 2 * 2 ** 30 }, publish: { changePercent: 5, maxQuietMs: 60_000 }, policyName: 'prod', leaderElection: false });
  });

  it('names every bad flag', () => {
    const p = problems(() => parseBatchFlags({ batchReservedCpu: 'lots', batchReservedMemory: '-1Gi', batchChangePercent: '150', batchMaxQuietSeconds: '0', batchWorkers: '1.5', policyName: 'Bad_Name', leaderElect: 'maybe', leaderElectionNamespace: 'NS!' }));
    expect(p).toHaveLength(8);
    for (const flag of ['--batch-reserved-cpu', '--batch-reserved-memory', '--batch-change-percent', '--batch-max-quiet-seconds', '--batch-workers', '--policy-name', '--leader-elect ', '--leader-election-namespace']) {
      expect(p.join('\n')).toContain(flag.trim());
    }
    expect(p[0]).toBe('--batch-reserved-cpu must be a non-negative quantity (e.g. 500m, 2 / 1Gi), got "lots"');
  });
});

describe('load source flags', () => {
  it('defaults to both sources and needs a way to reach the agents', () => {
    expect(parseLoadFlags({ loadSource: 'metrics-api' })).toEqual({ source: 'metrics-api', metricsIntervalMs: 15_000, agent: null });
    const p = problems(() => parseLoadFlags({}));
    expect(p).toEqual([
      '--agent-ca-file is required to verify the agents (or --agent-plaintext for loopback tests)',
      'the agents refuse anonymous callers: set --agent-token-file or --agent-cert-file/--agent-key-file',
    ]);
  });

  it('reads the token and CA files, and names unreadable ones', () => {
    const token = join(dir, 'token');
    const ca = join(dir, 'ca.pem');
    writeFileSync(token, 'secret-token-value\n');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    const c = parseLoadFlags({ agentTokenFile: token, agentCaFile: ca, agentPort: '9400', metricsIntervalSeconds: '30' });
    expect(c).toMatchObject({ source: 'both', metricsIntervalMs: 30_000, agent: { port: 9400, token: 'secret-token-value', plaintext: false, tls: { caPem: '-----BEGIN CERTIFICATE-----\n' } } });
    const p = problems(() => parseLoadFlags({ loadSource: 'prometheus', agentTokenFile: join(dir, 'missing'), agentCaFile: ca, agentPort: '0', metricsIntervalSeconds: 'x' }));
    expect(p.join('\n')).toMatch(/--load-source must be agent, metrics-api or both, got "prometheus"/);
    expect(p.join('\n')).toMatch(/--metrics-interval-seconds/);
    expect(p.join('\n')).toMatch(/--agent-port must be a port number/);
    expect(p.join('\n')).toMatch(/--agent-token-file: cannot read .*missing: ENOENT/);
  });
});
