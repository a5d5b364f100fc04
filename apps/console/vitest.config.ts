import { postgresTestConfig } from '@steadfast/embedded-pg/vitest-preset';
import { defineConfig, mergeConfig } from 'vitest/config';

// One test file at a time: each starts its services as processes and most a chromium, and several at once on a
// small machine starve the services' database timeouts (the chaos audit read failed under that load).
export default mergeConfig(postgresTestConfig, defineConfig({ test: { fileParallelism: false } }));
