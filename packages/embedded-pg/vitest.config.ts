import { defineConfig } from 'vitest/config';

// These tests start their own servers (no global setup), but they share the machine with every other package's
// tests under turbo: creating and dropping databases can take seconds when the disk is busy.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 90_000,
  },
});
