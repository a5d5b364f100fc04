import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createService, type ServiceApp } from '../src/service.js';
import { testConfig } from './helpers.js';

let database: TestDatabase;
let roleUrl: string;
const role = `app_${randomBytes(4).toString('hex')}`;

// The grants SECURITY.md documents for DATABASE_URL: use of the schema, DML on the owner's present and future tables.
async function createServiceRole(ownerUrl: string) {
  const password = randomBytes(12).toString('hex');
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    await owner.query(`create role ${role} login password '${password}'`);
    await owner.query(`grant usage on schema public to ${role}`);
    await owner.query(
      `alter default privileges in schema public grant select, insert, update, delete on tables to ${role}`,
    );
    await owner.query(
      `alter default privileges in schema public grant usage, select on sequences to ${role}`,
    );
  } finally {
    await owner.end();
  }
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}

const migrations = {
  '2026-12-01-notes': {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable('notes')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('body', 'text')
        .execute();
    },
  },
};

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
  roleUrl = await createServiceRole(database.url);
});
afterAll(async () => {
  await database?.drop();
  const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
  await admin.connect();
  await admin.query(`drop role if exists ${role}`).finally(() => admin.end());
});

describe('a service connected as a role with DML only', () => {
  let app: ServiceApp;
  beforeAll(async () => {
    app = await createService({
      service: { name: 'role-test', version: '0.0.0', migrations },
      config: testConfig({
        DATABASE_URL: roleUrl,
        DATABASE_MIGRATION_URL: database.url,
        LOG_LEVEL: 'silent',
      }),
    });
  });
  afterAll(() => app?.close());

  it('has its migrations applied by the owner and reads and writes its tables', async () => {
    await sql`insert into notes (body) values ('hello')`.execute(app.db);
    const { rows } = await sql<{ body: string }>`select body from notes`.execute(app.db);
    expect(rows).toEqual([{ body: 'hello' }]);
    const { rows: who } = await sql<{ user: string }>`select current_user as user`.execute(app.db);
    expect(who[0]?.user).toBe(role);
  });

  it('cannot change the schema or drop what the owner created', async () => {
    for (const statement of [
      sql`drop table notes`,
      sql`create table intruder (id int)`,
      sql`alter table notes add column x int`,
      sql`truncate notes`,
    ]) {
      await expect(statement.execute(app.db)).rejects.toMatchObject({ code: '42501' });
    }
  });
});
