import { loadConfig } from '@steadfast/http';
import { UsersApiConfigSchema } from '../src/config.js';

/** Config for a test app on the given database: quiet logs and no rate limit unless a test sets its own. */
export const testConfig = (databaseUrl: string, env: Record<string, string> = {}) =>
  loadConfig(UsersApiConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    RATE_LIMIT_MAX: '100000',
    ...env,
  });
