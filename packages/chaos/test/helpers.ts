import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import {
  errorHandlerPlugin,
  lifecyclePlugin,
  metricsRegistryPlugin,
  requestContextPlugin,
} from '@steadfast/http';
import Fastify, { type FastifyInstance } from 'fastify';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect, inject } from 'vitest';
import { chaosMigrations } from '../src/migrations.js';
import { type ChaosPluginOptions, chaosPlugin } from '../src/plugin.js';
import type { ChaosTables } from '../src/store.js';

export const TOKEN = 'test-admin-token-0123456789';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

/** mulberry32: a small seeded generator, so statistical tests are repeatable. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TestDb {
  url: string;
  db: Kysely<ChaosTables>;
  /** Empties the chaos tables and turns injection back on. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh database with the chaos migrations applied through Kysely's Migrator. */
export async function migratedDatabase(): Promise<TestDb> {
  const database: TestDatabase = await createTestDatabase(inject('postgresAdminUrl'));
  const db = new Kysely<ChaosTables>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 4 }) }),
  });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => chaosMigrations } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
  return {
    url: database.url,
    db,
    reset: async () => {
      await sql`truncate chaos_faults, chaos_audit`.execute(db);
      await sql`update chaos_settings set injection_enabled = true`.execute(db);
    },
    close: async () => {
      await db.destroy();
      await database.drop();
    },
  };
}

export interface BuildOptions extends Partial<ChaosPluginOptions> {
  db: Kysely<ChaosTables>;
}

/** A Fastify app with what the plugin depends on, as a service registers it: the error envelope, the lifecycle, a registry. */
export async function bareApp(apps: FastifyInstance[], logLines?: string[]): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logLines
      ? { level: 'warn', stream: { write: (line: string) => void logLines.push(line) } }
      : false,
    // The service kit's validator settings: unknown fields are a 400, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
  });
  apps.push(app);
  await app.register(requestContextPlugin);
  await app.register(errorHandlerPlugin);
  await app.register(lifecyclePlugin);
  await app.register(metricsRegistryPlugin);
  return app;
}

/** An app with the plugin and a few plain and operational routes; closed by `closeAll`. */
export async function buildApp(
  options: BuildOptions,
  apps: FastifyInstance[],
  logLines?: string[],
): Promise<FastifyInstance> {
  const app = await bareApp(apps, logLines);
  await app.register(chaosPlugin, {
    enabled: true,
    adminToken: TOKEN,
    tokenName: 'test-token',
    pollIntervalMs: 60_000,
    ...options,
  });
  app.get('/work', async () => ({ ok: true }));
  app.post('/work', async () => ({ ok: true }));
  app.get('/v1/users/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.get('/other', async () => ({ ok: true }));
  app.get('/health/live', { config: { operational: true } }, async () => ({ status: 'alive' }));
  await app.ready();
  return app;
}

export async function closeAll(apps: FastifyInstance[]) {
  for (const app of apps.splice(0)) await app.close();
}

export async function auditRows(db: Kysely<ChaosTables>) {
  return db.selectFrom('chaos_audit').selectAll().orderBy('id').execute();
}

export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<number> {
  const started = performance.now();
  while (!(await predicate())) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - started;
}

/**
 * The hooks of a test file: one migrated database for the file, emptied before each test, and every app
 * built through `build` closed after it.
 */
export function chaosTestContext() {
  const apps: FastifyInstance[] = [];
  const context = {
    database: undefined as unknown as TestDb,
    /** Apps closed after each test. */
    apps,
    build: (options: Partial<BuildOptions> = {}, logLines?: string[]) =>
      buildApp({ db: context.database.db, ...options }, apps, logLines),
    bare: () => bareApp(apps),
  };
  beforeAll(async () => {
    context.database = await migratedDatabase();
  });
  afterAll(async () => {
    await context.database?.close();
  });
  beforeEach(async () => {
    await context.database.reset();
  });
  afterEach(async () => {
    await closeAll(apps);
  });
  return context;
}

export async function createFault(app: FastifyInstance, body: object) {
  const response = await app.inject({
    method: 'POST',
    url: '/admin/chaos/faults',
    headers: AUTH,
    payload: body,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data as { id: string; expiresAt: string };
}
