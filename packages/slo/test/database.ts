import { createTestDatabase } from '@steadfast/embedded-pg/testing';
import type {} from '@steadfast/embedded-pg/vitest-setup';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { type SloDatabase, sloMigrations } from '../src/index.js';

export function kyselyOn(pool: pg.Pool): Kysely<SloDatabase> {
  return new Kysely<SloDatabase>({ dialect: new PostgresDialect({ pool }) });
}

export interface SloTestDatabase {
  url: string;
  db: Kysely<SloDatabase>;
  /** good/total stored per SLO, summed over the minutes. */
  stored(): Promise<Record<string, { good: number; total: number }>>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh database on the test server with `sloMigrations` applied, as a service would run them. */
export async function sloTestDatabase(): Promise<SloTestDatabase> {
  const database = await createTestDatabase(inject('postgresAdminUrl'));
  const db = kyselyOn(new pg.Pool({ connectionString: database.url, max: 3 }));
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => sloMigrations },
  }).migrateToLatest();
  if (error) throw error;
  return {
    url: database.url,
    db,
    async stored() {
      const rows = await db
        .selectFrom('slo_sli_minutes')
        .select([
          'slo',
          (eb) => eb.fn.sum<string>('good').as('good'),
          (eb) => eb.fn.sum<string>('total').as('total'),
        ])
        .groupBy('slo')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.slo, { good: Number(r.good), total: Number(r.total) }]));
    },
    async clear() {
      await db.deleteFrom('slo_sli_minutes').execute();
      await db.deleteFrom('slo_sli_hours').execute();
    },
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}

/** A Kysely whose every query fails: nothing listens on port 1. */
export function unreachableDb(): Kysely<SloDatabase> {
  return kyselyOn(new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 200 }));
}
