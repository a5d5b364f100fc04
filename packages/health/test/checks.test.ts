import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCheck } from '../src/check.js';
import { postgresCheck } from '../src/postgres-check.js';
import { eventLoopCheck, memoryCheck } from '../src/process-checks.js';

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('postgresCheck, against a real server', () => {
  it('is healthy with the pool usage in its message', async () => {
    const result = await runCheck(postgresCheck(pool));
    expect(result).toMatchObject({ name: 'postgres', critical: true, status: 'healthy' });
    expect(result.message).toMatch(/^pool \d\/4 in use, 0 waiting$/);
  });

  it('is degraded when select 1 is slower than slowMs', async () => {
    const result = await runCheck(postgresCheck(pool, { slowMs: -1 }));
    expect(result.status).toBe('degraded');
    expect(result.message).toMatch(/select 1 took \d+ ms; pool/);
  });

  it('is degraded when the pool is nearly exhausted', async () => {
    const held = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    try {
      const result = await runCheck(postgresCheck(pool, { poolBusyRatio: 0.75 }));
      expect(result.status).toBe('degraded');
      expect(result.message).toContain('pool nearly exhausted');
    } finally {
      for (const client of held) client.release();
    }
  });

  it('is unhealthy when the server cannot be reached', async () => {
    const unreachable = new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 200 });
    try {
      const result = await runCheck(postgresCheck(unreachable, { name: 'replica', critical: false }));
      expect(result).toMatchObject({ name: 'replica', critical: false, status: 'unhealthy' });
      expect(result.message).toMatch(/ECONNREFUSED|connect/);
    } finally {
      await unreachable.end();
    }
  });
});

describe('process checks', () => {
  it('reports event-loop delay and degrades when the loop was blocked', async () => {
    const check = eventLoopCheck({ degradedMs: 30, unhealthyMs: 10_000 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 60));
      const blockedUntil = Date.now() + 120;
      while (Date.now() < blockedUntil) {
        // Blocks the event loop on purpose.
      }
      await new Promise((resolve) => setTimeout(resolve, 60));
      const blocked = await runCheck(check);
      expect(blocked.status).toBe('degraded');
      expect(blocked.message).toMatch(/event-loop delay p99 \d+\.\d ms/);
      expect(blocked.critical).toBe(false);
    } finally {
      check.dispose();
    }
  });

  it('compares heap and RSS with their thresholds', async () => {
    const reading = { heapUsed: 50, heapLimit: 100, rss: 500 };
    const check = memoryCheck({ heapDegradedRatio: 0.9, maxRssBytes: 1000, read: () => reading });
    expect((await runCheck(check)).status).toBe('healthy');
    reading.heapUsed = 95;
    expect((await runCheck(check)).status).toBe('degraded');
    reading.rss = 1000;
    expect((await runCheck(check)).status).toBe('unhealthy');
    expect((await runCheck(memoryCheck())).message).toMatch(/^heap \d+ MiB of \d+ MiB, rss \d+ MiB$/);
  });
});
