import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.js';

// Types `inject('postgresAdminUrl')` in every test file that takes its databases from here.
export type {} from './vitest-setup.js';

export interface TestPostgres {
  /** Connection string of the server's maintenance database; test databases are created through it. */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * One real PostgreSQL server for a test run: the one at DATABASE_URL when set, otherwise an embedded server
 * in a temporary folder that is removed afterwards. Meant for a vitest globalSetup.
 */
export async function startTestPostgres(env = process.env): Promise<TestPostgres> {
  if (env.DATABASE_URL) return { adminUrl: env.DATABASE_URL, stop: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), 'steadfast-test-pg-'));
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: dir, database: 'steadfast_test' });
  return {
    adminUrl: server.adminUrl,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the test server, so each test file starts clean and files can run in parallel. */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
