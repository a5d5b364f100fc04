import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { loadConfig } from '@steadfast/service-kit';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { buildApp } from '../src/app.js';
import { IncidentsApiConfigSchema } from '../src/config.js';

export type App = Awaited<ReturnType<typeof buildApp>>;

export const ALERTS_TOKEN = 'test-alerts-token-0123456789';
export const MISSING = '00000000-0000-4000-8000-000000000000';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A fresh database and an app on it (or another replica on `database`); `close` closes what it started. */
export async function startApp(env: Record<string, string> = {}, shared?: TestDatabase) {
  const database: TestDatabase = shared ?? (await createTestDatabase(inject('postgresAdminUrl')));
  const app = await buildApp(
    loadConfig(IncidentsApiConfigSchema, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      RATE_LIMIT_MAX: '100000',
      ALERTS_TOKEN,
      SSE_HEARTBEAT_MS: '50',
      ...env,
    }),
  );
  return {
    app,
    database,
    close: async () => {
      await app.close();
      if (!shared) await database.drop();
    },
  };
}

/** Empties every table, so each test starts from nothing. */
export async function truncateAll(app: App) {
  await sql`truncate services, incidents, incident_services, timeline_events, alerts, idempotency_keys,
    incident_events restart identity cascade`.execute(app.db);
}

export async function createService(app: App, payload: Record<string, unknown> = {}) {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/services',
    payload: { name: `svc-${Math.random().toString(36).slice(2, 10)}`, ...payload },
  });
  if (response.statusCode !== 201) throw new Error(`service not created: ${response.body}`);
  return response.json().data as { id: string; name: string };
}

export async function createIncident(app: App, payload: Record<string, unknown> = {}) {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/incidents',
    payload: { title: 'Checkout is down', ...payload },
  });
  if (response.statusCode !== 201) throw new Error(`incident not created: ${response.body}`);
  return response.json().data as { id: string; version: number; status: string; severity: string };
}

export const patchIncident = (app: App, id: string, payload: object, headers: Record<string, string> = {}) =>
  app.inject({ method: 'PATCH', url: `/v1/incidents/${id}`, payload, headers });

export async function count(app: App, table: string): Promise<number> {
  const row = await app.db
    .selectFrom(table as 'incidents')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * One app on a fresh database for the test file, emptied before each test. Read `.app` inside tests and hooks
 * (it exists once beforeAll has run).
 */
export function useTestApp(env: Record<string, string> = {}, { truncate = true } = {}) {
  const context = {} as Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    Object.assign(context, await startApp(env));
  });
  afterAll(async () => {
    await context.close?.();
  });
  if (truncate) beforeEach(() => truncateAll(context.app));
  return context;
}
