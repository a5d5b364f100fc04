import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BackupError, backupDatabase, restoreDatabase } from '../src/db/backup.js';
import { type Migrations, migrateToLatest } from '../src/db/migrate.js';

const MIGRATIONS: Migrations = {
  '20260101T0000-things': {
    up: async (db) => {
      await sql`CREATE TABLE owners (id bigserial PRIMARY KEY, name text NOT NULL);
          CREATE TABLE things (id bigserial PRIMARY KEY, owner_id bigint REFERENCES owners(id),
            label text, meta jsonb, at timestamptz)`.execute(db);
    },
  },
};

async function open(database: TestDatabase) {
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(db, MIGRATIONS);
  return { pool, db };
}

const rowsOf = async (pool: pg.Pool) => ({
  owners: (await pool.query('SELECT * FROM owners ORDER BY id')).rows,
  things: (await pool.query('SELECT * FROM things ORDER BY id')).rows,
});

describe('backup and restore', () => {
  const databases: TestDatabase[] = [];
  const pools: pg.Pool[] = [];
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backup-test-'));
  });
  afterAll(async () => {
    for (const pool of pools) await pool.end();
    for (const database of databases) await database.drop();
  });
  const fresh = async () => {
    const database = await createTestDatabase(inject('postgresAdminUrl'));
    databases.push(database);
    const opened = await open(database);
    pools.push(opened.pool);
    return opened;
  };

  it('restores every row of a filled database into a wiped one (the drill)', async () => {
    const source = await fresh();
    await source.pool.query(`INSERT INTO owners (name) SELECT 'owner ' || g FROM generate_series(1, 50) g`);
    await source.pool.query(
      `INSERT INTO things (owner_id, label, meta, at) SELECT (g % 50) + 1,
         CASE WHEN g % 7 = 0 THEN NULL ELSE E'tab\\there\\nnew line \\\\ back "q"' || g END,
         jsonb_build_object('g', g, 's', E'\\\\.'), now() - g * interval '1 minute'
       FROM generate_series(1, 2000) g`,
    );
    const { file, manifest } = await backupDatabase(source.pool, { service: 'drill', dir });
    expect(manifest.tables).toEqual([
      { name: 'owners', rows: 50 },
      { name: 'things', rows: 2000 },
    ]);
    expect(manifest.migration).toBe('20260101T0000-things');

    const target = await fresh();
    await target.pool.query(`INSERT INTO owners (name) VALUES ('stale')`);
    await restoreDatabase(target.pool, file);
    expect(await rowsOf(target.pool)).toEqual(await rowsOf(source.pool));
    // Sequences continue after the restored rows.
    const { rows } = await target.pool.query(`INSERT INTO owners (name) VALUES ('next') RETURNING id`);
    expect(Number(rows[0].id)).toBe(51);
  });

  it('refuses a file whose checksum does not match, and leaves the database as it was', async () => {
    const source = await fresh();
    await source.pool.query(`INSERT INTO owners (name) VALUES ('a')`);
    const { file } = await backupDatabase(source.pool, { service: 'tamper', dir });
    const bytes = await readFile(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    const target = await fresh();
    await target.pool.query(`INSERT INTO owners (name) VALUES ('keep')`);
    await expect(restoreDatabase(target.pool, file)).rejects.toThrow(BackupError);
    expect((await rowsOf(target.pool)).owners.map((o) => o.name)).toEqual(['keep']);
  });

  it('refuses a database at another migration', async () => {
    const source = await fresh();
    const { file } = await backupDatabase(source.pool, { service: 'version', dir });
    const target = await fresh();
    await target.pool.query(
      `INSERT INTO kysely_migration (name, timestamp) VALUES ('20270101T0000-later', now())`,
    );
    await expect(restoreDatabase(target.pool, file)).rejects.toThrow(
      /taken at migration 20260101T0000-things/,
    );
  });

  it('keeps the newest backups by count and drops those older than the age limit', async () => {
    const source = await fresh();
    const day = (n: number) => () => new Date(Date.UTC(2026, 0, n));
    const files: string[] = [];
    for (const n of [1, 10, 11, 12]) {
      files.push(
        (await backupDatabase(source.pool, { service: 'keep', dir, keep: 2, maxAgeDays: 7, now: day(n) }))
          .file,
      );
    }
    const last = await backupDatabase(source.pool, {
      service: 'keep',
      dir,
      keep: 3,
      maxAgeDays: 7,
      now: day(20),
    });
    // Days 11 and 12 are within the count but over 7 days old; the newest always stays.
    expect(last.removed.sort()).toEqual([files[2], files[3]].sort());
  });
});
