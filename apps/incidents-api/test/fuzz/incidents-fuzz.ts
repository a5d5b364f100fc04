import { ALERTS_TOKEN } from '../helpers.js';

/**
 * The fuzz runs are about what input does, not how fast: generous database timeouts, so that a CI machine busy with
 * other packages' tests cannot turn a slow query into a 504 and fail the run.
 */
export const FUZZ_ENV = { DB_QUERY_TIMEOUT_MS: '30000', DB_STATEMENT_TIMEOUT_MS: '30000' };

/** What both fuzz files of this service run: CI's suite (fuzz.test.ts) and the kit's findings (fuzz-kit.test.ts). */
export const INCIDENTS_FUZZ = {
  // Enough to reach every handler with valid and broken input while the file stays well under a minute.
  numRuns: 100,
  resource: '/v1/incidents',
  expectOperations: [
    'POST /v1/incidents/',
    'GET /v1/incidents/{id}/timeline',
    'POST /v1/integrations/alertmanager',
    'PATCH /v1/services/{id}',
  ],
  // The stream never ends on its own: its input is tested in fuzz.test.ts, its limits in stream-limits.test.ts.
  skip: (op: { path: string }) => op.path === '/v1/incidents/stream',
  headers: (op: { path: string }): Record<string, string> =>
    op.path.startsWith('/v1/integrations/') ? { authorization: `Bearer ${ALERTS_TOKEN}` } : {},
};
