// vitest globalSetup: what the tests need from the machine, besides npm packages. On a
// fresh Debian machine run as root it installs the Debian packages itself, so `npm ci &&
// npm test` is the whole set-up; anywhere else a missing piece fails the run with one
// sentence that says what to install. Nothing is skipped quietly. When everything is
// present this costs two short process starts and no apt call.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEBIAN_PYTHON } from '../helpers/python-client.js';

/** The browser tests drive Debian's chromium by this path (playwright-core, no browser download). */
export const CHROMIUM = '/usr/bin/chromium';
const APT_GET = '/usr/bin/apt-get';

/** Bounds on apt: package lists, then the packages (chromium alone is a few hundred MB). */
const APT_UPDATE_TIMEOUT_MS = 5 * 60_000;
const APT_INSTALL_TIMEOUT_MS = 15 * 60_000;

export interface Requirement {
  /** What the failure sentence calls it. */
  what: string;
  /** The Debian package that provides it; undefined when apt cannot (kubectl). */
  debian?: string;
  present(): boolean;
}

export const REQUIREMENTS: Requirement[] = [
  { what: 'chromium', debian: 'chromium', present: () => existsSync(CHROMIUM) },
  {
    what: 'the Python kubernetes client',
    debian: 'python3-kubernetes',
    // find_spec locates the module without importing it (fast); Debian's interpreter by path, not the first python3 on PATH.
    present: () =>
      existsSync(DEBIAN_PYTHON) &&
      spawnSync(DEBIAN_PYTHON, ['-c', 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("kubernetes") else 1)'], { stdio: 'ignore', timeout: 10_000 }).status === 0,
  },
  { what: 'kubectl', present: () => spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 }).status === 0 },
];

export interface Machine {
  isRoot: boolean;
  hasApt: boolean;
}

/** "a", "a and b", "a, b and c". */
function inWords(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The one sentence for what is missing and cannot be installed from here. */
export function missingSentence(missing: Requirement[], machine: Machine): string {
  const debs = missing.flatMap((r) => (r.debian ? [r.debian] : []));
  const steps: string[] = [];
  if (missing.some((r) => !r.debian)) steps.push('install kubectl 1.32 on the PATH (https://kubernetes.io/docs/tasks/tools/; apt cannot provide it here)');
  if (debs.length) steps.push(machine.hasApt ? `run \`apt-get install -y ${debs.join(' ')}\` as root` : `install the Debian packages ${inWords(debs)} or their equivalent`);
  return `The tests need ${inWords(missing.map((r) => r.what))}, which ${missing.length === 1 ? 'is' : 'are'} missing: ${steps.join(', and ')}.`;
}

/** The Debian packages the setup may install itself: only as root, with apt. */
export function installable(missing: Requirement[], machine: Machine): string[] {
  return machine.isRoot && machine.hasApt ? missing.flatMap((r) => (r.debian ? [r.debian] : [])) : [];
}

function apt(args: string[], timeoutMs: number): { ok: boolean; why: string } {
  const r = spawnSync(APT_GET, args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: timeoutMs,
    encoding: 'utf8',
  });
  if (r.status === 0) return { ok: true, why: '' };
  const lastLine = (r.stderr ?? '').trim().split('\n').pop() ?? '';
  const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}${lastLine ? `: ${lastLine}` : ''}`;
  return { ok: false, why };
}

/** apt-get install, and once more after refreshing the package lists (a fresh image has none). */
function aptInstall(packages: string[]): { ok: boolean; why: string } {
  const install = ['install', '-y', '-qq', ...packages];
  const first = apt(install, APT_INSTALL_TIMEOUT_MS);
  if (first.ok) return first;
  const update = apt(['update', '-qq'], APT_UPDATE_TIMEOUT_MS);
  if (!update.ok) return { ok: false, why: `apt-get update failed (${update.why})` };
  return apt(install, APT_INSTALL_TIMEOUT_MS);
}

export default function setup(): void {
  const machine: Machine = { isRoot: process.getuid?.() === 0, hasApt: existsSync(APT_GET) };
  const missing = REQUIREMENTS.filter((r) => !r.present());
  if (missing.length === 0) return;
  const packages = installable(missing, machine);
  let aptFailure = '';
  if (packages.length > 0) {
    console.log(`test setup: installing ${packages.join(', ')} with apt-get`);
    const r = aptInstall(packages);
    if (!r.ok) aptFailure = ` (apt-get install ${packages.join(' ')} failed: ${r.why})`;
  }
  const still = packages.length > 0 ? REQUIREMENTS.filter((r) => !r.present()) : missing;
  if (still.length > 0) throw new Error(missingSentence(still, machine).replace(/\.$/, `${aptFailure}.`));
}
