import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['@steadfast/embedded-pg/vitest-setup'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
