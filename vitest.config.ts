import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**', 'dist/**'],
    // Checks (and, as root with apt, installs) what the tests need from the machine:
    // chromium, the Python kubernetes client, kubectl. A missing one fails the run loudly.
    globalSetup: ['test/setup/system-packages.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real servers on loopback; run files in separate forks so a
    // crashed server never takes another file's state with it.
    pool: 'forks',
    // Most files wait on servers, clocks and child processes rather than compute: one fork per
    // core left the machine half idle (vitest's default is cores − 1, so one fork on 2 cores and
    // the suite took 15 minutes). Two forks keep both cores busy on the CI machine.
    maxWorkers: 2,
  },
});
