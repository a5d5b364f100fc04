import { useTestApp } from '@steadfast/service-kit/testing';
import { describeFuzzSuite } from '@steadfast/service-kit/testing-fuzz';
import { beforeAll, describe, expect } from 'vitest';
import { usersApp } from '../helpers.js';

/**
 * The fuzz runs are about what input does, not how fast: generous database timeouts, so that a CI machine busy with
 * other packages' tests cannot turn a slow query into a 504 and fail the run.
 */
const FUZZ_ENV = { DB_QUERY_TIMEOUT_MS: '30000', DB_STATEMENT_TIMEOUT_MS: '30000' };

const USERS_FUZZ = {
  // Enough to reach every handler with valid and broken input while the file stays well under a minute.
  numRuns: 100,
  resource: '/v1/users',
  expectOperations: ['POST /v1/users/', 'PATCH /v1/users/{id}'],
};

const t = useTestApp(usersApp(FUZZ_ENV));
const known: Record<string, string[]> = { id: [] };
beforeAll(async () => {
  const created = await t.app.inject({
    method: 'POST',
    url: '/v1/users',
    payload: { name: 'Fuzz Target', email: 'fuzz@example.com' },
  });
  expect(created.statusCode).toBe(201);
  known.id?.push(created.json().data.id);
});

describe('users-api under fuzzing', () => {
  describeFuzzSuite({ ...USERS_FUZZ, test: t, pathValues: known });
});
