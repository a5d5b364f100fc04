import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@steadfast/embedded-pg/testing';
import { runServiceProcess, startServiceProcess, tablesOf } from '@steadfast/service-kit/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';

// The built service, run the way `pnpm start` runs it (turbo builds the app before its tests).
const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));
const MIGRATE = fileURLToPath(new URL('../dist/migrate.js', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the users-api process', () => {
  it('starts on an embedded PostgreSQL, keeps data across restarts, and exits 0 on SIGTERM', async () => {
    const root = await mkdtemp(join(tmpdir(), 'users-api-'));
    await chmod(root, 0o755);
    dirs.push(root);
    const env = { DATA_DIR: join(root, 'data') };

    const first = await startServiceProcess(SERVER, env);
    const created = await fetch(`${first.url}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Persistent', email: 'persist@example.com' }),
    });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: string } };
    expect(await first.stop()).toBe(0);
    expect(first.output()).toContain('shutdown: embedded PostgreSQL stop done');

    const second = await startServiceProcess(SERVER, env);
    try {
      const fetched = await fetch(`${second.url}/v1/users/${data.id}`);
      expect(fetched.status).toBe(200);
      expect(((await fetched.json()) as { data: { email: string } }).data.email).toBe('persist@example.com');
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 90_000);

  it('exits 1 listing every bad variable, before starting anything', async () => {
    const { code, stderr } = await runServiceProcess(SERVER, {
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://db',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    for (const key of ['PORT', 'LOG_LEVEL', 'DATABASE_URL']) expect(stderr).toContain(key);
  });

  it('exits 1 with a clear message when the database cannot be reached', async () => {
    const { code, stdout } = await runServiceProcess(SERVER, {
      PORT: '0',
      DATABASE_URL: 'postgres://u:secretpw@127.0.0.1:1/db',
    });
    expect(code).toBe(1);
    expect(stdout).toContain('users-api failed to start');
    expect(stdout).not.toContain('secretpw');
  });

  it('db:migrate creates every table startup would, then exits 0', async () => {
    const database = await createTestDatabase(inject('postgresAdminUrl'));
    try {
      const { code } = await runServiceProcess(MIGRATE, { DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
      expect(code).toBe(0);
      expect(await tablesOf(database.url)).toEqual(
        expect.arrayContaining(['users', 'slo_sli_minutes', 'chaos_faults', 'chaos_audit']),
      );
    } finally {
      await database.drop();
    }
  });
});
