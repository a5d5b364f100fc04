import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { chaosMigrations } from '../src/migrations.js';

let database: TestDatabase;
let db: Kysely<unknown>;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
  db = new Kysely({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }),
  });
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const tables = async () =>
  (
    await sql<{ name: string }>`select table_name as name from information_schema.tables
      where table_name like 'chaos_%' order by 1`.execute(db)
  ).rows.map((row) => row.name);

it('applies and reverts with Kysely’s Migrator, in timestamp order', async () => {
  expect(Object.keys(chaosMigrations)).toEqual([
    '20261123T1710-chaos-faults',
    '20261123T1711-chaos-audit',
    '20261202T0400-chaos-stop-conditions',
  ]);
  const migrator = new Migrator({ db, provider: { getMigrations: async () => chaosMigrations } });
  expect((await migrator.migrateToLatest()).error).toBeUndefined();
  expect(await tables()).toEqual(['chaos_audit', 'chaos_faults', 'chaos_settings']);
  const settings = await sql`select injection_enabled from chaos_settings`.execute(db);
  expect(settings.rows).toEqual([{ injection_enabled: true }]);
  const stop = await sql`select default_stop_when from chaos_settings`.execute(db);
  expect(stop.rows).toEqual([{ default_stop_when: null }]);
  expect((await migrator.migrateDown()).error).toBeUndefined();
  await expect(sql`select default_stop_when from chaos_settings`.execute(db)).rejects.toThrow(
    /default_stop_when/,
  );
  for (let i = 0; i < 2; i++) expect((await migrator.migrateDown()).error).toBeUndefined();
  expect(await tables()).toEqual([]);
});
