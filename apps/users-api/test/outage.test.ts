import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '@steadfast/embedded-pg';
import { startTestApp, type TestApp } from '@steadfast/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usersApp } from './helpers.js';

// PostgreSQL is stopped and restarted under a running app, so this file has a server of its own.
let dir: string;
let postgres: EmbeddedPostgresHandle;
let t: TestApp;

const BREAKER_OPEN_MS = 1500;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'users-api-outage-'));
  await chmod(dir, 0o755);
  postgres = await startEmbeddedPostgres({ dataDir: dir, database: 'users_api' });
  t = await startTestApp({
    ...usersApp({
      DB_CONNECT_TIMEOUT_MS: '1000',
      DB_QUERY_TIMEOUT_MS: '2000',
      DB_BREAKER_OPEN_MS: String(BREAKER_OPEN_MS),
      HEALTH_CACHE_MS: '0',
    }),
    database: postgres,
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await postgres?.stop();
  await rm(dir, { recursive: true, force: true });
});

const metric = async (pattern: RegExp) => {
  const match = pattern.exec((await t.app.inject({ url: '/metrics' })).body);
  return match ? Number(match[1]) : undefined;
};

describe('a PostgreSQL outage under a running users-api', () => {
  it('fails fast with 503, fails readiness, opens the breaker, and recovers by itself', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/users',
      payload: { name: 'Before', email: 'before@example.com' },
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json().data;
    expect((await t.app.inject({ url: '/health/ready' })).json().status).toBe('ready');

    await postgres.stop();

    // The first failures reach the database and are reported as its loss; five of them open the breaker.
    const statuses: Array<[number, string]> = [];
    for (let i = 0; i < 8; i++) {
      const response = await t.app.inject({ url: `/v1/users/${id}` });
      statuses.push([response.statusCode, response.json().error.code]);
    }
    expect(statuses).toEqual(Array(8).fill([503, 'DEPENDENCY_UNAVAILABLE']));

    const rejected = await t.app.inject({ url: `/v1/users/${id}` });
    expect(rejected.statusCode).toBe(503);
    expect(rejected.json().error.retryAfter).toBeGreaterThanOrEqual(1);
    expect(rejected.headers['retry-after']).toBeDefined();
    expect(await metric(/resilience_circuit_state\{policy="database"[^}]*\} (\d+)/)).toBe(2);
    expect(
      await metric(/resilience_calls_total\{[^}]*policy="database"[^}]*outcome="rejected"[^}]*\} (\d+)/),
    ).toBeGreaterThan(0);

    // Rejected calls are not attempted: they answer without waiting on a connect timeout.
    const started = performance.now();
    await t.app.inject({ url: `/v1/users/${id}` });
    expect(performance.now() - started).toBeLessThan(1000);

    const notReady = await t.app.inject({ url: '/health/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().checks.postgres.status).toBe('unhealthy');
    expect(notReady.json().breakers).toEqual([{ name: 'database', state: 'open' }]);
    expect((await t.app.inject({ url: '/health/live' })).statusCode).toBe(200);

    postgres = await startEmbeddedPostgres({ dataDir: dir, database: 'users_api', port: postgres.port });
    await new Promise((resolve) => setTimeout(resolve, BREAKER_OPEN_MS + 100));

    // Half-open probes succeed and close the breaker; no restart of the app.
    for (let i = 0; i < 3; i++) {
      const response = await t.app.inject({ url: `/v1/users/${id}` });
      expect(response.statusCode).toBe(200);
    }
    expect(await metric(/resilience_circuit_state\{policy="database"[^}]*\} (\d+)/)).toBe(0);
    const ready = await t.app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('ready');
  }, 60_000);
});
