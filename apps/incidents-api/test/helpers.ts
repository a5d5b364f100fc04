import { buildApp } from '../src/app.js';
import { IncidentsApiConfigSchema } from '../src/config.js';

export type App = Awaited<ReturnType<typeof buildApp>>;

export const ALERTS_TOKEN = 'test-alerts-token-0123456789';
export const INTEGRATION_TOKEN = 'test-integration-token-0123456789';
export const CHAOS_ADMIN_TOKEN = 'chaos-admin-token-for-tests';
export const MISSING = '00000000-0000-4000-8000-000000000000';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The app as the kit's test harness (`startTestApp`, `useTestApp`) builds it, with `env` on top. */
export const incidentsApp = (env: Record<string, string> = {}) => ({
  buildApp,
  configSchema: IncidentsApiConfigSchema,
  env: { ALERTS_TOKEN, INTEGRATION_TOKEN, SSE_HEARTBEAT_MS: '50', ...env },
});

/** The app's own tables, for files whose tests share one app and each start from nothing. */
export const TABLES = [
  'services',
  'incidents',
  'incident_services',
  'timeline_events',
  'alerts',
  'idempotency_keys',
  'incident_events',
  'experiment_events',
];

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
 * Makes every guarded database call of an app started with chaos enabled fail, as in an outage, while the database
 * itself stays up: what still answers has reached the database past the guard.
 */
export async function failGuardedDatabaseCalls(app: App) {
  const response = await app.inject({
    method: 'POST',
    url: '/admin/chaos/faults',
    headers: { authorization: `Bearer ${CHAOS_ADMIN_TOKEN}` },
    payload: {
      kind: 'error',
      target: { dependency: 'database' },
      probability: 1,
      status: 503,
      durationSeconds: 60,
    },
  });
  if (response.statusCode !== 201) throw new Error(`fault not created: ${response.body}`);
}
