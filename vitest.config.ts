import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real servers on loopback; run files in separate forks so a
    // crashed server never takes another file's state with it.
    pool: 'forks',
  },
});
