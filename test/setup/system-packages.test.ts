// The test set-up's decisions about the machine: what it installs itself, and the one
// sentence a run fails with when something is missing that it cannot install.
import { describe, expect, it } from 'vitest';
import { installable, missingSentence, REQUIREMENTS, type Requirement } from './system-packages.js';

const req = (what: string): Requirement => REQUIREMENTS.find((r) => r.what === what)!;
const chromium = req('chromium');
const python = req('the Python kubernetes client');
const kubectl = req('kubectl');
const rootWithApt = { isRoot: true, hasApt: true };

describe('test set-up on a machine without everything', () => {
  it('installs the Debian packages itself when it runs as root with apt, and only those', () => {
    expect(installable([chromium, python, kubectl], rootWithApt)).toEqual(['chromium', 'python3-kubernetes']);
    expect(installable([kubectl], rootWithApt)).toEqual([]);
  });

  it('installs nothing as another user or without apt', () => {
    expect(installable([chromium, python], { isRoot: false, hasApt: true })).toEqual([]);
    expect(installable([chromium, python], { isRoot: true, hasApt: false })).toEqual([]);
  });

  it('fails with one sentence that names the apt command for the Debian packages', () => {
    expect(missingSentence([chromium, python], { isRoot: false, hasApt: true })).toBe(
      'The tests need chromium and the Python kubernetes client, which are missing: run `apt-get install -y chromium python3-kubernetes` as root.',
    );
  });

  it('says where kubectl comes from, since apt cannot provide it', () => {
    expect(missingSentence([kubectl], rootWithApt)).toBe(
      'The tests need kubectl, which is missing: install kubectl 1.32 on the PATH (https://kubernetes.io/docs/tasks/tools/; apt cannot provide it here).',
    );
  });

  it('names the packages by name on a machine without apt', () => {
    expect(missingSentence([chromium, python, kubectl], { isRoot: false, hasApt: false })).toBe(
      'The tests need chromium, the Python kubernetes client and kubectl, which are missing: install kubectl 1.32 on the PATH (https://kubernetes.io/docs/tasks/tools/; apt cannot provide it here), and install the Debian packages chromium and python3-kubernetes or their equivalent.',
    );
  });
});

describe('test set-up on this machine', () => {
  it('finds everything the tests need (the set-up installed or required it before any test ran)', () => {
    expect(REQUIREMENTS.filter((r) => !r.present()).map((r) => r.what)).toEqual([]);
  });
});
