import type {} from 'vitest';
import { startTestPostgres } from './testing.js';

/** What the setup provides to test files through vitest's `inject('postgresAdminUrl')`. */
declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

interface ProvidingProject {
  provide(key: 'postgresAdminUrl', value: string): void;
}

/**
 * A vitest globalSetup: one real PostgreSQL for the whole run (or the one at DATABASE_URL), stopped afterwards.
 * Use it as `globalSetup: ['@steadfast/embedded-pg/vitest-setup']`; test files call
 * `createTestDatabase(inject('postgresAdminUrl'))`.
 */
export default async function setup(project: ProvidingProject) {
  const postgres = await startTestPostgres();
  project.provide('postgresAdminUrl', postgres.adminUrl);
  return () => postgres.stop();
}
