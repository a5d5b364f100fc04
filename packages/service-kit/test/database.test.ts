import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@steadfast/embedded-pg/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { runServiceProcess, startServiceProcess } from '../src/testing.js';
import { logCapture } from './helpers.js';

// Runs against the built kit (turbo builds a package before its tests).
const SERVICE = fileURLToPath(new URL('./fixtures/slow-service.js', import.meta.url));
const WITHOUT_EMBEDDED = fileURLToPath(new URL('./fixtures/without-embedded-pg.js', import.meta.url));
const productionInstall = { NODE_OPTIONS: `--import=${WITHOUT_EMBEDDED}` };

let database: TestDatabase;
let root: string;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
  root = await mkdtemp(join(tmpdir(), 'kit-optional-embedded-'));
});
afterAll(async () => {
  await database?.drop();
  await rm(root, { recursive: true, force: true });
});

describe('openDatabase', () => {
  const options = () => ({
    service: 'kit-database-test',
    url: database.url,
    dataDir: join(root, 'unused'),
    poolMax: 2,
    connectTimeoutMs: 2000,
    statementTimeoutMs: 5000,
  });

  it('starts the embedded server on EMBEDDED_PG_PORT when it is given', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const dataDir = join(root, 'pinned');
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(root, 0o755);
    const opened = await openDatabase(
      { ...options(), url: undefined, dataDir, embeddedPort: port },
      pino({ level: 'silent' }, logCapture().stream),
    );
    try {
      expect(opened.embedded?.port).toBe(port);
      expect(new URL(opened.url).port).toBe(String(port));
      expect((await opened.pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await opened.close();
    }
  }, 120_000);

  it('close() ends the pool when only the pool was used, as db:backup does', async () => {
    const opened = await openDatabase(options(), pino({ level: 'silent' }, logCapture().stream));
    expect((await opened.pool.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await opened.close();
    expect(opened.pool.ended).toBe(true);
    expect(opened.pool.totalCount).toBe(0);
  });

  it('close() ends the pool after Kysely used it, once', async () => {
    const opened = await openDatabase(options(), pino({ level: 'silent' }, logCapture().stream));
    await opened.db.selectNoFrom((eb) => eb.val(1).as('ok')).execute();
    await expect(opened.close()).resolves.toBeUndefined();
    expect(opened.pool.ended).toBe(true);
  });
});

describe('a service installed without the optional embedded PostgreSQL', () => {
  it('starts and serves on DATABASE_URL', async () => {
    const service = await startServiceProcess(SERVICE, { ...productionInstall, DATABASE_URL: database.url });
    try {
      expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  }, 30_000);

  it('refuses to start without DATABASE_URL, saying what to do, and creates no data', async () => {
    const dataDir = join(root, 'data');
    const { code, stdout, stderr } = await runServiceProcess(SERVICE, {
      ...productionInstall,
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
    });
    expect(code).toBe(1);
    const output = stdout + stderr;
    expect(output).toContain('DATABASE_URL is not set and the embedded PostgreSQL');
    expect(output).toContain('set DATABASE_URL, or install with optional dependencies');
    await expect(readdir(dataDir)).rejects.toThrow(/ENOENT/);
  }, 30_000);
});
