import { buildApp } from '../src/app.js';
import { UsersApiConfigSchema } from '../src/config.js';

/** The app as the kit's test harness (`startTestApp`, `useTestApp`) builds it, with `env` on top. */
export const usersApp = (env: Record<string, string> = {}) => ({
  buildApp,
  configSchema: UsersApiConfigSchema,
  env,
});
