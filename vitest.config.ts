import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // s3rver and dynalite on random loopback ports, once per run (adapter and handler tests use them).
    globalSetup: ['test/support/global-setup.ts'],
  },
});
