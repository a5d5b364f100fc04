import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The vitest config of every package whose tests need PostgreSQL: one server for the run (the globalSetup), and
 * hook time for migrating a fresh database per test file. Use it as the whole `vitest.config.ts`:
 * `export { postgresTestConfig as default } from '@steadfast/embedded-pg/vitest-preset';`
 */
export const postgresTestConfig = defineConfig({
  test: {
    // A path rather than a package name: it resolves whatever the consuming package depends on.
    globalSetup: [fileURLToPath(new URL('./vitest-setup.js', import.meta.url))],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
