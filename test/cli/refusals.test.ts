// What the `tidepool` command says when it cannot do what was asked, as a user reads it on
// stderr (the process, end to end): an integer flag given a negative number names the flag and
// what it takes; a name flag names itself; `tidepool capacity --server` to a dead address says
// which address and why. Each ends with exit code 1 and prints nothing on stdout. The other ways
// reading --server can fail are in capacity-server.test.ts, the flag parsers in options.test.ts
// (in-process: every CLI process costs seconds of CPU on a shared machine).
import { describe, expect, it } from 'vitest';
import { runCliToEnd, type CliRun } from '../helpers/cli-process.js';

/** The first line of stderr: the error, before commander's usage text. */
function firstLine(r: CliRun): string {
  return r.stderr.split('\n')[0] ?? '';
}

describe('tidepool refusals', { timeout: 60_000 }, () => {
  it('name the flag and what it takes, or the address and why it cannot be read', async () => {
    const [nodes, clusterId, refused] = await Promise.all([
      runCliToEnd(['sim', '--nodes', '-1']),
      runCliToEnd(['virtual-node', '--cluster-id', 'Host_1']),
      runCliToEnd(['capacity', '--server', 'http://127.0.0.1:1']),
    ]);
    expect(firstLine(nodes)).toBe("error: option '--nodes <n>' argument '-1' is invalid. --nodes must be a non-negative integer (0 to 10000), got -1");
    // The name rule of --cluster-id names --cluster-id (it used to borrow --node-name's message).
    expect(firstLine(clusterId)).toBe(`error: option '--cluster-id <id>' argument 'Host_1' is invalid. --cluster-id must be a DNS-1123 label (lowercase letters, digits and '-', at most 63), got "Host_1"`);
    expect(refused.stderr).toBe(
      'tidepool capacity: cannot reach http://127.0.0.1:1/api/v1/capacity: connection refused: nothing listens on 127.0.0.1:1 (is tidepool demo or tidepool capacity --serve running? --server takes the address they print)\n',
    );
    for (const r of [nodes, clusterId, refused]) {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
    }
  });
});
