export {
  type EmbeddedPostgresHandle,
  type EmbeddedPostgresOptions,
  startEmbeddedPostgres,
} from './embedded-postgres.js';
export { createTestDatabase, startTestPostgres, type TestDatabase, type TestPostgres } from './testing.js';
export type {} from './vitest-setup.js';
