import { useTestApp } from '@steadfast/service-kit/testing';
import { describeFuzzSuite } from '@steadfast/service-kit/testing-fuzz';
import { beforeAll, describe, expect } from 'vitest';
import { usersApp } from '../helpers.js';
import { FUZZ_ENV, USERS_FUZZ } from './users-fuzz.js';

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
  describeFuzzSuite({ ...USERS_FUZZ, test: t, mode: 'service', pathValues: known });
});
