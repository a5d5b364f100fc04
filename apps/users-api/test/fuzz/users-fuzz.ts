/**
 * The fuzz runs are about what input does, not how fast: generous database timeouts, so that a CI machine busy with
 * other packages' tests cannot turn a slow query into a 504 and fail the run.
 */
export const FUZZ_ENV = { DB_QUERY_TIMEOUT_MS: '30000', DB_STATEMENT_TIMEOUT_MS: '30000' };

/** What both fuzz files of this service run: CI's suite (fuzz.test.ts) and the kit's findings (fuzz-kit.test.ts). */
export const USERS_FUZZ = {
  // Enough to reach every handler with valid and broken input while the file stays well under a minute.
  numRuns: 100,
  resource: '/v1/users',
  expectOperations: ['POST /v1/users/', 'PATCH /v1/users/{id}'],
};
