import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { type CompiledQuery, createQueryId, type Kysely, type LogEvent, sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.js';
import { MAX_PREPARED_STATEMENTS, prepared } from '../src/db/prepared.js';
import { logCapture } from './helpers.js';

interface Schema {
  things: { id: number; label: string };
}

let database: TestDatabase;
let opened: Database;
let db: Kysely<Schema>;
let findThing: CompiledQuery<{ id: number; label: string }>;
// What the kit's query metrics and spans are told of.
const observed: LogEvent[] = [];

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
  // One connection, so every query below sees the session that prepared the statement.
  opened = await openDatabase(
    {
      service: 'kit-prepared-test',
      url: database.url,
      dataDir: '/nonexistent',
      poolMax: 1,
      connectTimeoutMs: 2000,
      statementTimeoutMs: 5000,
      onQuery: (event) => observed.push(event),
    },
    pino({ level: 'silent' }, logCapture().stream),
  );
  db = opened.db;
  await sql`create table things (id int primary key, label text not null)`.execute(db);
  await sql`insert into things values (1, 'one'), (2, 'two')`.execute(db);
  findThing = prepared(db.selectFrom('things').select(['id', 'label']).where('id', '=', 0).compile());
});
afterAll(async () => {
  await opened?.close();
  await database?.drop();
});

const run = (id: number) => db.executeQuery({ ...findThing, parameters: [id], queryId: createQueryId() });

async function preparedStatements(): Promise<Array<{ name: string; statement: string }>> {
  const { rows } = await sql<{ name: string; statement: string }>`
    select name, statement from pg_prepared_statements`.execute(db);
  return rows;
}

describe('prepared statements', () => {
  it('runs a marked statement by name, prepared once on the connection, with each call its own parameters', async () => {
    expect((await run(1)).rows).toEqual([{ id: 1, label: 'one' }]);
    expect((await run(2)).rows).toEqual([{ id: 2, label: 'two' }]);
    expect((await run(3)).rows).toEqual([]);
    const statements = await preparedStatements();
    expect(statements).toEqual([
      { name: expect.stringMatching(/^steadfast_\d+$/), statement: findThing.sql },
    ]);
  });

  it("rejects with the database's error and the caller's stack, and the connection serves the next call", async () => {
    const failing = run('not a number' as unknown as number);
    const error = await failing.catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: '22P02' });
    expect((error as Error).stack).toMatch(/prepared\.test\.ts/);
    expect((await run(1)).rows).toEqual([{ id: 1, label: 'one' }]);
  });

  it('tells the query observer of every marked statement run on the handle, with its outcome', async () => {
    observed.length = 0;
    await run(1);
    await run('x' as unknown as number).catch(() => undefined);
    expect(observed).toEqual([
      {
        level: 'query',
        isStream: false,
        query: expect.objectContaining({ sql: findThing.sql }),
        queryDurationMillis: expect.any(Number),
      },
      {
        level: 'error',
        error: expect.objectContaining({ code: '22P02' }),
        query: expect.objectContaining({ sql: findThing.sql }),
        queryDurationMillis: expect.any(Number),
      },
    ]);
  });

  it("answers as Kysely's own path does, in and out of a transaction, and by name in both", async () => {
    const rename = prepared(
      db.updateTable('things').set({ label: 'x' }).where('id', '=', 0).returning(['id', 'label']).compile(),
    );
    const renameTo = (label: string, id: number) => ({
      ...rename,
      parameters: [label, id],
      queryId: createQueryId(),
    });
    const direct = await db.executeQuery(renameTo('uno', 1));
    const throughKysely = await db.transaction().execute((trx) => trx.executeQuery(renameTo('one', 1)));
    expect(direct).toEqual({ rows: [{ id: 1, label: 'uno' }], numAffectedRows: 1n });
    expect(throughKysely).toEqual({ rows: [{ id: 1, label: 'one' }], numAffectedRows: 1n });
    expect(await db.executeQuery(renameTo('none', 99))).toEqual({ rows: [], numAffectedRows: 0n });
    const inTransaction = await db
      .transaction()
      .execute((trx) => trx.executeQuery({ ...findThing, parameters: [2] }));
    expect(inTransaction.rows).toEqual([{ id: 2, label: 'two' }]);
    expect((await preparedStatements()).map((row) => row.statement).sort()).toEqual(
      [findThing.sql, rename.sql].sort(),
    );
  });

  it('leaves every other statement unnamed', async () => {
    const before = await preparedStatements();
    await db.selectFrom('things').select('label').where('id', '>', 0).execute();
    expect(await preparedStatements()).toEqual(before);
  });

  it('keeps working after a migration adds a column while the service runs', async () => {
    await run(1);
    await sql`alter table things add column note text`.execute(db);
    expect((await run(1)).rows).toEqual([{ id: 1, label: 'one' }]);
  });

  it('refuses a statement that selects *, whose result columns a migration could change', () => {
    for (const query of [
      db.selectFrom('things').selectAll().compile(),
      db.selectFrom('things').selectAll('things').compile(),
      db.updateTable('things').set({ label: 'x' }).returningAll().compile(),
    ]) {
      expect(() => prepared(query)).toThrow(/must name its columns/);
    }
  });

  it(`holds at most ${MAX_PREPARED_STATEMENTS} statements`, () => {
    const compile = (n: number) => sql<{ n: number }>`select ${sql.lit(n)} as n`.compile(db);
    let marked = 0;
    const mark = (n: number) => {
      prepared(compile(n));
      marked++;
    };
    expect(() => {
      for (let n = 0; n <= MAX_PREPARED_STATEMENTS; n++) mark(n);
    }).toThrow(/More than 64 prepared statements/);
    // The two statements the tests above marked (findThing, the rename) already count toward the bound.
    expect(marked).toBe(MAX_PREPARED_STATEMENTS - 2);
    // A statement marked before is still accepted.
    expect(() => prepared(findThing)).not.toThrow();
  });
});
