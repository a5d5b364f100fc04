import { loadConfig } from '@steadfast/http';
import { type BaseConfig, BaseConfigSchema } from '../src/config.js';

export function testConfig(env: Record<string, string> = {}): BaseConfig {
  // Metrics collected on every scrape, so a test reads what it just did.
  return loadConfig(BaseConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    METRICS_REFRESH_MS: '0',
    ...env,
  });
}

export { logCapture } from '../src/testing.js';
