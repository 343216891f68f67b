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
  },
});
