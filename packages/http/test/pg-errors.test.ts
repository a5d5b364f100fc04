import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { ConflictError } from '@steadfast/errors';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  fromDatabaseError,
  isDatabaseConnectionError,
  isDatabaseFailure,
  isUniqueViolation,
  rejectingDuplicate,
} from '../src/pg-errors.js';

let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query('create table t (id uuid primary key, email text unique not null, n int check (n > 0))');
  await client.query('create table keyed (k text primary key, doc jsonb)');
});
afterAll(async () => {
  await client?.end();
  await database?.drop();
});

async function failure(sql: string, values: unknown[] = []): Promise<unknown> {
  try {
    await client.query(sql, values);
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('PostgreSQL error mapping, from real server errors', () => {
  it('maps a unique violation to 409 CONFLICT without SQL', async () => {
    await client.query("insert into t values ('00000000-0000-4000-8000-000000000001', 'a@x', 1)");
    const error = await failure("insert into t values ('00000000-0000-4000-8000-000000000002', 'a@x', 1)");
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(error, 't_email_key')).toBe(true);
    expect(isUniqueViolation(error, 'other')).toBe(false);
    const mapped = fromDatabaseError(error);
    expect(mapped).toMatchObject({ statusCode: 409, code: 'CONFLICT' });
    expect(mapped?.message).not.toMatch(/insert|a@x/);
  });

  it('maps invalid text representation to 400 INVALID_INPUT', async () => {
    const error = await failure('select * from t where id = $1', ['not-a-uuid']);
    expect(fromDatabaseError(error)).toMatchObject({ statusCode: 400, code: 'INVALID_INPUT' });
  });

  it('maps not-null and check violations to 400', async () => {
    const nulls = await failure("insert into t (id) values ('00000000-0000-4000-8000-000000000003')");
    expect(fromDatabaseError(nulls)).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    const check = await failure("insert into t values ('00000000-0000-4000-8000-000000000004', 'b@x', 0)");
    expect(fromDatabaseError(check)).toMatchObject({ statusCode: 400 });
  });

  it('maps a statement timeout to 504', async () => {
    await client.query("set statement_timeout = '50ms'");
    const error = await failure('select pg_sleep(1)');
    await client.query('set statement_timeout = 0');
    expect(fromDatabaseError(error)).toMatchObject({ statusCode: 504, code: 'TIMEOUT' });
  });

  it('maps a refused connection to 503 DEPENDENCY_UNAVAILABLE', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 500 });
    const error = await pool.query('select 1').catch((e: unknown) => e);
    await pool.end();
    expect(isDatabaseConnectionError(error)).toBe(true);
    expect(fromDatabaseError(error)).toMatchObject({ statusCode: 503, code: 'DEPENDENCY_UNAVAILABLE' });
  });

  it('maps a terminated session to 503', async () => {
    const victim = new pg.Client({ connectionString: database.url });
    victim.on('error', () => undefined);
    await victim.connect();
    const pid = (await victim.query('select pg_backend_pid() as pid')).rows[0].pid;
    await client.query('select pg_terminate_backend($1)', [pid]);
    const error = await victim.query('select 1').catch((e: unknown) => e);
    expect(fromDatabaseError(error)).toMatchObject({ statusCode: 503 });
  });

  it('maps a NUL in jsonb or text (22P05, 22021) to 400 INVALID_INPUT, not counted by the breaker', async () => {
    const jsonb = await failure('insert into keyed values ($1, $2)', ['a', '{"label":"x\\u0000y"}']);
    expect((jsonb as { code: string }).code).toBe('22P05');
    const text = await failure('insert into keyed values ($1, null)', ['nul\u0000here']);
    expect((text as { code: string }).code).toBe('22021');
    for (const error of [jsonb, text]) {
      expect(fromDatabaseError(error)).toMatchObject({ statusCode: 400, code: 'INVALID_INPUT' });
      expect(isDatabaseFailure(error)).toBe(false);
    }
  });

  it('maps an index row over the btree limit (54000) to 400 VALUE_TOO_LARGE', async () => {
    // 2,000 random CJK characters: 6,000 bytes that do not compress under the 2,704-byte limit.
    const key = Array.from({ length: 2000 }, () =>
      String.fromCodePoint(0x4e00 + Math.floor(Math.random() * 20000)),
    ).join('');
    const error = await failure('insert into keyed values ($1, null)', [key]);
    expect((error as { code: string }).code).toBe('54000');
    expect(fromDatabaseError(error)).toMatchObject({ statusCode: 400, code: 'VALUE_TOO_LARGE' });
    expect(isDatabaseFailure(error)).toBe(false);
  });

  it('maps a transaction over transaction_timeout (25P04) to 504, not counted by the breaker', async () => {
    const victim = new pg.Client({ connectionString: database.url });
    victim.on('error', () => undefined);
    await victim.connect();
    await victim.query("set transaction_timeout = '100ms'");
    await victim.query('begin');
    const error = await victim.query('select pg_sleep(1)').catch((e: unknown) => e);
    await victim.end().catch(() => undefined);
    expect((error as { code: string }).code).toBe('25P04');
    expect(fromDatabaseError(error)).toMatchObject({ statusCode: 504, code: 'TIMEOUT' });
    expect(isDatabaseFailure(error)).toBe(false);
  });

  it('counts a lost database but not a timed-out statement, a client abort, a full descriptor table or a bug', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 500 });
    const refused = await pool.query('select 1').catch((e: unknown) => e);
    await pool.end();
    expect(isDatabaseFailure(refused)).toBe(true);
    await client.query("set statement_timeout = '50ms'");
    const slow = await failure('select pg_sleep(1)');
    await client.query('set statement_timeout = 0');
    expect(isDatabaseFailure(slow)).toBe(false);

    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    expect(fromDatabaseError(aborted)).toMatchObject({ statusCode: 499, code: 'CLIENT_CLOSED_REQUEST' });
    expect(isDatabaseFailure(aborted)).toBe(false);
    const emfile = Object.assign(new Error('connect EMFILE 127.0.0.1:5432'), { code: 'EMFILE' });
    expect(fromDatabaseError(emfile)).toMatchObject({ statusCode: 503, code: 'OVERLOADED' });
    expect(isDatabaseFailure(emfile)).toBe(false);
    expect(isDatabaseFailure(new TypeError('x is undefined'))).toBe(false);
    // A socket reset by the database is still the database's.
    expect(isDatabaseFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isDatabaseFailure({ code: 'XX000' })).toBe(true);
    expect(isDatabaseFailure({ code: '53300' })).toBe(true);
  });

  it('leaves errors that are not from the database alone', () => {
    expect(fromDatabaseError(new Error('nope'))).toBeUndefined();
    expect(fromDatabaseError(null)).toBeUndefined();
    expect(fromDatabaseError({ code: 'ERR_SOMETHING' })).toBeUndefined();
    expect(fromDatabaseError({ code: '42P01' })).toBeUndefined();
  });
});

describe('rejectingDuplicate', () => {
  const insert = (email: string) =>
    client.query('insert into t (id, email, n) values (gen_random_uuid(), $1, 1)', [email]);
  const taken = () => new ConflictError('taken', 'EMAIL_TAKEN');

  it('turns a violation of the named constraint into the domain error, and passes the rest through', async () => {
    await insert('dup@example.com');
    await expect(rejectingDuplicate(insert('dup@example.com'), 't_email_key', taken)).rejects.toMatchObject({
      code: 'EMAIL_TAKEN',
      statusCode: 409,
    });
    // Another constraint's violation is not this domain error.
    await expect(rejectingDuplicate(insert('dup@example.com'), 'other_key', taken)).rejects.toMatchObject({
      code: '23505',
    });
    await expect(rejectingDuplicate(insert('new@example.com'), 't_email_key', taken)).resolves.toBeDefined();
  });
});
