// The sim's built-in container shell as a table: command line, stdin, environment and mounted
// files in; stdout, stderr and exit code out, as `kubectl exec` would show them.
import { describe, expect, it } from 'vitest';
import { PROMPT, runInContainer, type ContainerEnvironment } from '../../sim/container-shell.js';
import { ShellInput } from '../../sim/shell-input.js';
import { parseScript, ShellSyntaxError } from '../../sim/shell-parse.js';

const container: ContainerEnvironment = {
  hostname: 'web',
  env: [
    ['PATH', '/usr/bin:/bin'],
    ['HOSTNAME', 'web'],
    ['COLOR', 'blue'],
    ['HOME', '/root'],
  ],
  files: new Map([
    ['/etc/cfg/app.conf', Buffer.from('x=1\n')],
    ['/etc/cfg/script.sh', Buffer.from('echo from script $1\nexit 6\n')],
    ['/etc/secret/token', Buffer.from('s3cr3t')],
  ]),
};

interface Outcome {
  stdout: string;
  stderr: string;
  code: number;
}

async function* chunks(parts: string[], gapMs = 0): AsyncGenerator<Buffer> {
  for (const p of parts) {
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    yield Buffer.from(p);
  }
}

async function run(argv: string[], opts: { stdin?: string[]; tty?: boolean; gapMs?: number; sleep?: (ms: number, signal: AbortSignal) => Promise<void> } = {}): Promise<Outcome & { slept: number[] }> {
  let stdout = '';
  let stderr = '';
  const slept: number[] = [];
  const echo = opts.tty ? (b: Buffer): void => void (stdout += b.toString()) : null;
  const input = new ShellInput(opts.stdin ? chunks(opts.stdin, opts.gapMs) : null, echo);
  const code = await runInContainer(argv, container, {
    input,
    stdout: async (d) => void (stdout += d.toString()),
    stderr: async (d) => void (stderr += d.toString()),
    sleep:
      opts.sleep ??
      (async (ms) => {
        slept.push(ms);
      }),
  });
  return { stdout, stderr, code, slept };
}

const env = 'PATH=/usr/bin:/bin\nHOSTNAME=web\nCOLOR=blue\nHOME=/root\n';

const table: Array<[string, string[], Partial<Outcome>, string[]?]> = [
  ['echo joins its arguments', ['echo', 'hi', 'there'], { stdout: 'hi there\n', code: 0 }],
  ['echo -n leaves out the newline', ['echo', '-n', 'x'], { stdout: 'x' }],
  ['echo -e reads escapes', ['echo', '-e', 'a\\tb'], { stdout: 'a\tb\n' }],
  ['a command named by its path in a bin directory', ['/bin/echo', 'x'], { stdout: 'x\n' }],
  ['env prints the environment in order', ['env'], { stdout: env }],
  ['env NAME=value runs a command with more variables', ['env', 'X=1', 'printenv', 'X'], { stdout: '1\n' }],
  ['printenv NAME prints one value', ['printenv', 'COLOR'], { stdout: 'blue\n', code: 0 }],
  ['printenv of an unset name exits 1', ['printenv', 'NOPE'], { stdout: '', code: 1 }],
  ['hostname is the pod name', ['hostname'], { stdout: 'web\n' }],
  ['cat FILE prints a mounted key', ['cat', '/etc/cfg/app.conf'], { stdout: 'x=1\n' }],
  ['cat resolves . and ..', ['cat', '/etc/cfg/../secret/./token'], { stdout: 's3cr3t' }],
  ['cat of a mount directory', ['cat', '/etc/cfg'], { stderr: 'cat: /etc/cfg: Is a directory\n', code: 1 }],
  ['cat of a missing file', ['cat', '/nope'], { stderr: 'cat: /nope: No such file or directory\n', code: 1 }],
  ['cat copies stdin to stdout until EOF', ['cat'], { stdout: 'abc\ndef', code: 0 }, ['abc\n', 'def']],
  ['cat without stdin prints nothing', ['cat'], { stdout: '', code: 0 }],
  ['sleep with a bad interval', ['sleep', 'x'], { stderr: "sleep: invalid time interval 'x'\n", code: 1 }],
  ['sleep with no interval', ['sleep'], { stderr: 'sleep: missing operand\n', code: 1 }],
  ['true', ['true'], { code: 0 }],
  ['false', ['false'], { code: 1 }],
  ['an unknown command', ['nope', 'x'], { stderr: 'sh: nope: command not found\n', code: 127 }],
  ['sh -c exit N', ['sh', '-c', 'exit 3'], { code: 3 }],
  ['exit codes wrap at 256', ['sh', '-c', 'exit 300'], { code: 44 }],
  ['exit with a word', ['sh', '-c', 'exit abc'], { stderr: 'sh: exit: Illegal number: abc\n', code: 2 }],
  ['sh -c with lists, expansions and quotes', ['sh', '-c', 'echo $HOSTNAME; false || echo fallback && echo "$COLOR sky" \'$COLOR\''], { stdout: 'web\nfallback\nblue sky $COLOR\n', code: 0 }],
  ['$? is the last status', ['sh', '-c', 'false; echo $?'], { stdout: '1\n' }],
  ['sh -c arguments are $0, $1...', ['sh', '-c', 'echo "$0:$1-$2"', 'name', 'a', 'b'], { stdout: 'name:a-b\n' }],
  ['assignments: shell variables, per-command environment, export', ['sh', '-c', 'FOO=bar; echo $FOO; FOO=baz printenv FOO; printenv FOO; export FOO; printenv FOO'], { stdout: 'bar\nbaz\nbar\n', code: 0 }],
  ['an unknown command inside sh -c', ['bash', '-c', 'nope'], { stderr: 'sh: nope: command not found\n', code: 127 }],
  ['pipes are refused, not run wrongly', ['sh', '-c', 'echo a | wc -l'], { stderr: 'sh: syntax error: pipes ("|") are not supported by the simulated shell\n', code: 2 }],
  ['sh -c without a script', ['sh', '-c'], { stderr: 'sh: -c: option requires an argument\n', code: 2 }],
  ['sh FILE runs a mounted script', ['sh', '/etc/cfg/script.sh', 'arg'], { stdout: 'from script arg\n', code: 6 }],
  ['sh with a missing script', ['sh', '/nope.sh'], { stderr: "sh: can't open '/nope.sh': No such file or directory\n", code: 2 }],
  ['sh reads commands from stdin', ['sh'], { stdout: 'hi\n', code: 5 }, ['echo hi\nexit 5\n', 'echo never\n']],
  ['sh at the end of stdin exits with the last status', ['sh'], { stdout: '', code: 1 }, ['false\n']],
];

describe('container shell', () => {
  it.each(table)('%s', async (_name, argv, want, stdin) => {
    const got = await run(argv, stdin ? { stdin } : {});
    expect({ stdout: got.stdout, stderr: got.stderr, code: got.code }).toMatchObject({ stdout: '', stderr: '', ...want });
  });

  it('sleeps the interval given, with suffixes', async () => {
    const got = await run(['sleep', '1.5', '2m']);
    expect(got.code).toBe(0);
    expect(got.slept).toEqual([121_500]);
  });

  describe('on a terminal', () => {
    it('prompts, echoes what is typed, and ends lines on Enter', async () => {
      // Typed slowly, as a person does: a pty echoes type-ahead at once, before the output of what runs.
      const got = await run(['sh'], { tty: true, stdin: ['echo h', 'i\r', 'exit 2\r'], gapMs: 20 });
      expect(got.stdout).toBe(`${PROMPT}echo hi\r\nhi\n${PROMPT}exit 2\r\n`);
      expect(got.code).toBe(2);
    });

    it('erases with backspace and swallows arrow keys', async () => {
      const got = await run(['sh'], { tty: true, stdin: ['echo hx\x7fi\x1b[A\r', '\x04'], gapMs: 20 });
      expect(got.stdout).toBe(`${PROMPT}echo hx\b \bi\r\nhi\n${PROMPT}\n`);
      expect(got.code).toBe(0);
    });

    it('interrupts a running command with Ctrl-C (exit 130)', async () => {
      const waitForAbort = (_ms: number, signal: AbortSignal): Promise<void> => new Promise((r) => signal.addEventListener('abort', () => r()));
      const got = await run(['sleep', '100'], { tty: true, stdin: ['\x03'], gapMs: 20, sleep: waitForAbort });
      expect(got.code).toBe(130);
      expect(got.stdout).toBe('^C\r\n');
    });

    it('gives cat one line at a time and ends it with Ctrl-D', async () => {
      const got = await run(['cat'], { tty: true, stdin: ['one\r', 'two\r', '\x04'], gapMs: 20 });
      // The terminal echoes each line, then cat prints it.
      expect(got.stdout).toBe('one\r\none\ntwo\r\ntwo\n');
      expect(got.code).toBe(0);
    });
  });
});

describe('shell command lines', () => {
  it('splits lists on ;, &&, || and newlines', () => {
    const items = parseScript('a 1; b && c || d\ne # comment');
    expect(items.map((i) => [i.op, i.words.map((w) => w.segments)])).toEqual([
      [';', [[{ text: 'a' }], [{ text: '1' }]]],
      [';', [[{ text: 'b' }]]],
      ['&&', [[{ text: 'c' }]]],
      ['||', [[{ text: 'd' }]]],
      [';', [[{ text: 'e' }]]],
    ]);
  });

  it('keeps variables for expansion at run time and quoted empty words', () => {
    const [item] = parseScript('echo "${HOME}/x" $? \'\' \\$HOME');
    expect(item!.words.map((w) => w.segments)).toEqual([[{ text: 'echo' }], [{ variable: 'HOME' }, { text: '/x' }], [{ variable: '?' }], [{ text: '' }], [{ text: '$HOME' }]]);
  });

  it.each([
    ['a ;; b', /unexpected ";"/],
    ['&& a', /unexpected "&&"/],
    ['a &&', /end of file unexpected/],
    ['echo "open', /unterminated quoted string/],
    ['echo $(date)', /command substitution/],
    ['echo ${HOME:-x}', /bad substitution/],
    ['sleep 1 &', /background jobs/],
    ['cat < f', /redirections/],
  ])('refuses %j', (src, message) => {
    expect(() => parseScript(src)).toThrow(ShellSyntaxError);
    expect(() => parseScript(src)).toThrow(message);
  });
});
