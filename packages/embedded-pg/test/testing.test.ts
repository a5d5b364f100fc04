import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestPostgres, type TestPostgres } from '../src/testing.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres({});
}, 60_000);
afterAll(() => server?.stop());

async function count(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('test databases', () => {
  it('gives each caller its own empty database and drops it', async () => {
    const [a, b] = await Promise.all([
      createTestDatabase(server.adminUrl),
      createTestDatabase(server.adminUrl),
    ]);
    expect(a.url).not.toBe(b.url);
    await count(a.url, 'create table only_in_a (x int)');
    expect(await count(b.url, "select * from pg_tables where tablename = 'only_in_a'")).toEqual([]);
    await a.drop();
    await b.drop();
    const names = await count(server.adminUrl, 'select datname from pg_database');
    expect(names.map((row) => row.datname)).not.toContain(new URL(a.url).pathname.slice(1));
  });

  it('uses DATABASE_URL instead of starting a server when it is set', async () => {
    const given = await startTestPostgres({ DATABASE_URL: server.adminUrl });
    expect(given.adminUrl).toBe(server.adminUrl);
    await given.stop();
    expect(await count(server.adminUrl, 'select 1 as one')).toEqual([{ one: 1 }]);
  });
});
