import { connect } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { toAppError } from '@steadfast/http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createService, type ServiceApp } from '../src/service.js';
import { logCapture, testConfig } from './helpers.js';

let database: TestDatabase;
let app: ServiceApp;
const logs = logCapture();
const BUDGET_MS = 400;

// What a service's repository looks like: methods on app.db, some in a transaction.
function notesRepository(db: ServiceApp['db']) {
  return {
    async writeThenStall(id: number, stallSeconds: number) {
      await db.transaction().execute(async (trx) => {
        await sql`insert into notes (id, body) values (${id}, 'x')`.execute(trx);
        await sql`select pg_sleep(${stallSeconds})`.execute(trx);
      });
    },
    // Each statement well inside the budget, all of them together past it.
    async manyQuickStatements(id: number, statements: number, eachSeconds: number) {
      await db.transaction().execute(async (trx) => {
        await sql`insert into notes (id, body) values (${id}, 'many')`.execute(trx);
        for (let i = 0; i < statements; i++) await sql`select pg_sleep(${eachSeconds})`.execute(trx);
      });
    },
    // The budget runs out in the service's own code, between two statements.
    async pauseBetweenStatements(id: number, pauseMs: number) {
      await db.transaction().execute(async (trx) => {
        await sql`insert into notes (id, body) values (${id}, 'paused')`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        await sql`insert into notes (id, body) values (${id + 1}, 'paused')`.execute(trx);
      });
    },
    async quickTransaction(id: number) {
      await db.transaction().execute(async (trx) => {
        await sql`insert into notes (id, body) values (${id}, 'quick')`.execute(trx);
        await sql`select pg_sleep(0.05)`.execute(trx);
      });
    },
    async slowWrite(id: number, stallSeconds: number) {
      await sql`insert into notes (id, body) select ${id}, 'y' from pg_sleep(${stallSeconds})`.execute(db);
    },
    async heavyRead() {
      await sql`select pg_sleep(2)`.execute(db);
    },
    async store(id: number, body: string) {
      await sql`insert into notes (id, body, doc) values (${id}, ${body}, ${JSON.stringify({ body })}::jsonb)`.execute(
        db,
      );
    },
    async count() {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from notes`.execute(db);
      return rows[0]?.n ?? 0;
    },
  };
}

let notes: ReturnType<typeof notesRepository>;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
  app = await createService({
    service: { name: 'guard-test', version: '0.0.0', migrations: {} },
    config: testConfig({
      DATABASE_URL: database.url,
      DB_QUERY_TIMEOUT_MS: String(BUDGET_MS),
      DB_BREAKER_FAILURES: '3',
    }),
    logStream: logs.stream,
  });
  await sql`create table notes (id int primary key, body text not null, doc jsonb)`.execute(app.db);
  notes = app.guardDatabase(notesRepository(app.db));
  app.post('/upload', async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await database?.drop();
});

const breaker = () => app.resilience.breakerStates().find((b) => b.name === 'database');
const failureOf = (work: Promise<unknown>) =>
  work.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => toAppError(error),
  );

describe('the database guard', () => {
  it('answers a write transaction over its budget 504, having committed nothing, and keeps the breaker closed', async () => {
    // Each stalls well past the budget but would finish by itself soon after: nothing may commit meanwhile.
    for (let id = 1; id <= 5; id++) {
      expect(await failureOf(notes.writeThenStall(id, 1.5))).toMatchObject({ statusCode: 504 });
    }
    for (let id = 11; id <= 15; id++) {
      expect(await failureOf(notes.slowWrite(id, 1.5))).toMatchObject({ statusCode: 504 });
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await notes.count()).toBe(0);
    expect(breaker()?.state).toBe('closed');
  });

  it('does not count heavy reads the database cut short, or input the database refuses', async () => {
    for (let i = 0; i < 5; i++) {
      expect(await failureOf(notes.heavyRead())).toMatchObject({ statusCode: 504 });
      expect(await failureOf(notes.store(100 + i, 'nul\u0000byte'))).toMatchObject({
        statusCode: 400,
        code: 'INVALID_INPUT',
      });
    }
    expect(breaker()?.state).toBe('closed');
    await notes.store(200, 'fine');
    expect(await notes.count()).toBe(1);
  });

  it('logs a client that hangs up mid-upload at info, never as the database being unavailable', async () => {
    const { port } = app.server.address() as { port: number };
    const before = logs.lines.length;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":',
        );
        setTimeout(() => socket.destroy(), 100);
      });
      socket.on('close', () => resolve());
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lines = logs.lines.slice(before);
    expect(lines.find((line) => line.code === 'CLIENT_CLOSED_REQUEST')).toMatchObject({ level: 'info' });
    expect(lines.some((line) => line.level === 'error')).toBe(false);
    expect(JSON.stringify(lines)).not.toContain('unavailable');
    expect(breaker()?.state).toBe('closed');
  });
});

describe('the database guard: one budget per transaction, all its statements together', () => {
  const stored = async (from: number, to: number) => {
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from notes where id between ${from} and ${to}`.execute(app.db);
    return rows[0]?.n;
  };

  it('rolls back a transaction of many statements that are each quick but together over the budget: 504, breaker closed', async () => {
    // 8 × 100 ms against 400 ms: each statement is a quarter of the budget, the whole twice it.
    for (let id = 1000; id < 1005; id++) {
      expect(await failureOf(notes.manyQuickStatements(id, 8, 0.1))).toMatchObject({
        statusCode: 504,
        code: 'TIMEOUT',
      });
    }
    expect(await stored(1000, 1004)).toBe(0);
    expect(breaker()?.state).toBe('closed');
  });

  it('rolls back a transaction whose budget ran out between two statements: 504, breaker closed', async () => {
    for (let id = 1010; id < 1020; id += 2) {
      expect(await failureOf(notes.pauseBetweenStatements(id, BUDGET_MS + 50))).toMatchObject({
        statusCode: 504,
        code: 'TIMEOUT',
      });
    }
    expect(await stored(1010, 1020)).toBe(0);
    expect(breaker()?.state).toBe('closed');
  });

  it('hands the connections back with their own statement timeout, and commits transactions within the budget', async () => {
    // More at once than any earlier test held, so every pooled connection is read.
    const timeouts = await Promise.all(
      Array.from({ length: 8 }, () =>
        sql<{ statement_timeout: string }>`show statement_timeout`.execute(app.db),
      ),
    );
    expect(new Set(timeouts.map(({ rows }) => rows[0]?.statement_timeout))).toEqual(
      new Set([`${BUDGET_MS}ms`]),
    );
    for (let id = 1030; id < 1035; id++) await notes.quickTransaction(id);
    expect(await stored(1030, 1034)).toBe(5);
  });
});
