// The flags of `tidepool colocation`, `scheduler`, `webhook` and `batch-controller` as commander
// parses them and parseColocationFlags validates them, in-process: what each command runs by
// default, what the switches turn off, and how --register-webhook finds the address the API
// server calls. (The processes themselves are tested in colocation.test.ts.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { COLOCATION_COMMANDS } from '../../cli/colocation.js';
import { addColocationFlags, ColocationFlagError, parseColocationFlags, type ColocationConfig, type RawColocationFlags } from '../../cli/colocation-flags.js';

const ENV = { POD_NAME: 'tidepool-colocation-0', KUBECONFIG: '/etc/tidepool/kubeconfig' };

function commandOf(name: string): { cmd: Command; groups: (typeof COLOCATION_COMMANDS)[number]['groups'] } {
  const c = COLOCATION_COMMANDS.find((x) => x.name === name)!;
  const cmd = addColocationFlags(new Command(name), c.groups)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  return { cmd, groups: c.groups };
}

function parse(name: string, args: string[]): ColocationConfig {
  const { cmd, groups } = commandOf(name);
  cmd.parse(args, { from: 'user' });
  return parseColocationFlags(name, cmd.opts<RawColocationFlags>(), groups, ENV);
}

function problems(name: string, args: string[]): string[] {
  try {
    parse(name, args);
  } catch (err) {
    if (err instanceof ColocationFlagError) return err.problems;
    throw err;
  }
  throw new Error(`tidepool ${name} ${args.join(' ')} was accepted`);
}

describe('tidepool colocation flags', () => {
  it('by default runs every part, reads load from metrics.k8s.io, elects leaders in kube-system and serves on loopback', () => {
    const c = parse('colocation', []);
    expect([...c.parts]).toEqual(['scheduler', 'webhook', 'batch', 'eviction']);
    expect(c.kubeconfig).toEqual({ kind: 'file', path: '/etc/tidepool/kubeconfig' });
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 10261 });
    expect(c.load).toMatchObject({ source: 'metrics-api', metricsIntervalMs: 15_000, agent: null });
    expect(c.leaderElection).toMatchObject({ namespace: 'kube-system', leaseDurationMs: 15_000, renewDeadlineMs: 10_000 });
    if (c.leaderElection === false) throw new Error('leader election is on by default');
    expect(c.leaderElection.identity).toMatch(/^tidepool-colocation-0_[0-9a-f]{8}$/);
    expect(c.policyName).toBe('default');
    expect(c.scheduler).toMatchObject({ name: 'tidepool-scheduler', extender: true, podGroups: true });
    expect(c.webhook).toEqual({ host: '0.0.0.0', port: 9443, path: undefined, tls: undefined, hosts: undefined, register: undefined });
    expect(c.batch).toMatchObject({ reserved: { cpu: 0, memory: 0 }, workers: 2 });
    expect(c.eviction).toEqual({ sustainMs: 30_000, maxPerRound: 3, cooldownMs: 60_000, backoffMs: 300_000 });
  });

  it('agent credentials make the agents the first load source, metrics.k8s.io the fallback', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidepool-coloc-flags-'));
    try {
      const token = join(dir, 'token');
      writeFileSync(token, 'a-token-of-sixteen-chars\n', { mode: 0o600 });
      const c = parse('colocation', ['--agent-plaintext', '--agent-token-file', token, '--agent-port', '9400']);
      expect(c.load).toMatchObject({ source: 'both', agent: { port: 9400, plaintext: true, token: 'a-token-of-sixteen-chars' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(problems('colocation', ['--load-source', 'agent'])).toContain('--agent-ca-file is required to verify the agents (or --agent-plaintext for loopback tests)');
  });

  it('passes the scheduler flags to the scheduler settings', () => {
    const c = parse('scheduler', ['--percentage-of-nodes-to-score', '30', '--offline-placement', 'pack', '--tenant-weights', 'spark=2,flink=1', '--gang-min-workers', '4', '--no-scheduled-events', '--disable-plugins', 'BalancedAllocation']);
    expect(c.scheduler?.settings).toMatchObject({ percentageOfNodesToScore: 30, offlinePlacement: 'pack', tenantWeights: { spark: 2, flink: 1 }, scheduledEvents: false, disabledPlugins: ['BalancedAllocation'] });
    expect(c.scheduler?.settings.gang.minWorkers).toBe(4);
    expect(problems('scheduler', ['--backoff-initial-ms', '5000', '--backoff-max-ms', '1000'])).toEqual(['--backoff-max-ms: must be a number from 5000 to 3600000, got 1000']);
    expect(() => parse('scheduler', ['--tenant-weights', 'spark=0'])).toThrow(/--tenant-weights: the weight of spark must be from 0.001 to 1000000, got 0/);
  });

  it('the switches turn parts off; eviction goes with the batch controller', () => {
    expect([...parse('colocation', ['--no-scheduler']).parts]).toEqual(['webhook', 'batch', 'eviction']);
    expect([...parse('colocation', ['--no-batch']).parts]).toEqual(['scheduler', 'webhook']);
    expect([...parse('colocation', ['--no-eviction']).parts]).toEqual(['scheduler', 'webhook', 'batch']);
    const webhookOnly = parse('colocation', ['--no-scheduler', '--no-batch']);
    expect([...webhookOnly.parts]).toEqual(['webhook']);
    expect(webhookOnly.load).toBeUndefined();
    expect(problems('colocation', ['--no-scheduler', '--no-batch', '--no-webhook'])).toEqual(['colocation: every part is switched off (--no-scheduler, --no-webhook, --no-batch): nothing would run']);
  });

  it('each part alone has only its own flags', () => {
    expect([...parse('scheduler', []).parts]).toEqual(['scheduler']);
    expect([...parse('batch-controller', []).parts]).toEqual(['batch', 'eviction']);
    expect([...parse('batch-controller', ['--no-eviction']).parts]).toEqual(['batch']);
    const webhook = parse('webhook', []);
    expect([...webhook.parts]).toEqual(['webhook']);
    expect(webhook.leaderElection).toBe(false);
    const refused = (name: string, flag: string): string => {
      try {
        commandOf(name).cmd.parse([flag, 'x'], { from: 'user' });
      } catch (err) {
        if (err instanceof CommanderError) return err.message;
      }
      return 'accepted';
    };
    expect(refused('scheduler', '--secure-port')).toBe("error: unknown option '--secure-port'");
    expect(refused('webhook', '--policy-name')).toBe("error: unknown option '--policy-name'");
    expect(refused('batch-controller', '--scheduler-name')).toBe("error: unknown option '--scheduler-name'");
    expect(refused('scheduler', '--no-batch')).toBe("error: unknown option '--no-batch'");
  });

  it('--register-webhook calls the webhook at --webhook-advertise-host, named in the self-signed certificate', () => {
    expect(problems('colocation', ['--register-webhook'])).toEqual([
      '--register-webhook needs --webhook-advertise-host: --bind-address 0.0.0.0 is not an address the API server can call',
    ]);
    const svc = parse('webhook', ['--register-webhook', '--webhook-advertise-host', 'tidepool-webhook.tidepool-system.svc']);
    expect(svc.webhook).toMatchObject({ host: '0.0.0.0', register: { advertiseHost: 'tidepool-webhook.tidepool-system.svc' }, hosts: ['localhost', '127.0.0.1', 'tidepool-webhook.tidepool-system.svc'] });
    const bound = parse('webhook', ['--register-webhook', '--bind-address', '10.0.0.7', '--tls-san', 'webhook.example']);
    expect(bound.webhook).toMatchObject({ register: { advertiseHost: '10.0.0.7' }, hosts: ['webhook.example', '10.0.0.7'] });
    expect(problems('webhook', ['--webhook-advertise-host', 'a.example'])).toEqual(['--webhook-advertise-host is only used with --register-webhook']);
    expect(() => parse('webhook', ['--register-webhook', '--webhook-advertise-host', 'Not A Host'])).toThrow(/--webhook-advertise-host must be an IP address or a DNS name, got "Not A Host"/);
  });

  it('--kubeconfig and --context pick the cluster; in a pod without them, the service account', () => {
    expect(parse('colocation', ['--kubeconfig', '/k', '--context', 'east']).kubeconfig).toEqual({ kind: 'file', path: '/k', context: 'east' });
    const { cmd, groups } = commandOf('colocation');
    cmd.parse([], { from: 'user' });
    expect(parseColocationFlags('colocation', cmd.opts<RawColocationFlags>(), groups, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }).kubeconfig).toEqual({ kind: 'in-cluster' });
  });
});
