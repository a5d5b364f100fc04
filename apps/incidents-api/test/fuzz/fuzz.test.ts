import { useTestApp } from '@steadfast/service-kit/testing';
import { assertClientSafe, describeFuzzSuite } from '@steadfast/service-kit/testing-fuzz';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_TOKEN, createIncident, createService, incidentsApp } from '../helpers.js';

/**
 * The fuzz runs are about what input does, not how fast: generous database timeouts, so that a CI machine busy with
 * other packages' tests cannot turn a slow query into a 504 and fail the run.
 */
const FUZZ_ENV = { DB_QUERY_TIMEOUT_MS: '30000', DB_STATEMENT_TIMEOUT_MS: '30000' };

const INCIDENTS_FUZZ = {
  // Enough to reach every handler with valid and broken input while the file stays well under a minute.
  numRuns: 100,
  resource: '/v1/incidents',
  expectOperations: [
    'POST /v1/incidents/',
    'GET /v1/incidents/{id}/timeline',
    'POST /v1/integrations/alertmanager',
    'PATCH /v1/services/{id}',
  ],
  // The stream never ends on its own: its input is tested below, its limits in stream-limits.test.ts.
  skip: (op: { path: string }) => op.path === '/v1/incidents/stream',
  headers: (op: { path: string }): Record<string, string> =>
    op.path.startsWith('/v1/integrations/') ? { authorization: `Bearer ${ALERTS_TOKEN}` } : {},
};

const t = useTestApp(incidentsApp(FUZZ_ENV));
const known: Record<string, string[]> = { id: [] };
beforeAll(async () => {
  known.id?.push((await createIncident(t.app)).id, (await createService(t.app)).id);
});

describe('incidents-api under fuzzing', () => {
  describeFuzzSuite({ ...INCIDENTS_FUZZ, test: t, pathValues: known });

  // Over the socket the suite listens on: the kit's longLived hook needs a real socket (app.inject's has no
  // setTimeout, a 500 there that no client can cause).
  it('answers bad stream resumption with 400 in the envelope', async () => {
    const { port } = t.app.server.address() as { port: number };
    for (const id of ['abc', '-1', '1e3', '9'.repeat(20), '%ff', 'constructor']) {
      const response = await fetch(
        `http://127.0.0.1:${port}/v1/incidents/stream?lastEventId=${encodeURIComponent(id)}`,
      );
      const body = await response.text();
      assertClientSafe(id, response.status, body);
      expect(response.status).toBe(400);
    }
  });
});
