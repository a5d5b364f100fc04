import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@steadfast/embedded-pg/testing';
import { runServiceProcess, startServiceProcess, tablesOf } from '@steadfast/service-kit/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TABLES } from './helpers.js';

// The built service, run the way `pnpm start` runs it (turbo builds the app before its tests).
const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));
const MIGRATE = fileURLToPath(new URL('../dist/migrate.js', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the incidents-api process', () => {
  it('starts on an embedded PostgreSQL, serves, and exits 0 on SIGTERM with a stream open', async () => {
    const root = await mkdtemp(join(tmpdir(), 'incidents-api-'));
    await chmod(root, 0o755);
    dirs.push(root);
    const server = await startServiceProcess(SERVER, { DATA_DIR: join(root, 'data') });
    const created = await fetch(`${server.url}/v1/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'From a real process', severity: 'low' }),
    });
    expect(created.status).toBe(201);
    const stream = await fetch(`${server.url}/v1/incidents/stream`);
    expect(stream.status).toBe(200);

    expect(await server.stop()).toBe(0);
  }, 90_000);

  it('exits 1 naming a too-short ALERTS_TOKEN before starting anything', async () => {
    const { code, stderr } = await runServiceProcess(SERVER, {
      ALERTS_TOKEN: 'short',
      ALERTS_RESOLVE_STATUS: 'closed',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('ALERTS_TOKEN');
    expect(stderr).toContain('ALERTS_RESOLVE_STATUS');
  });

  it('db:migrate creates every table startup would, then exits 0', async () => {
    const database = await createTestDatabase(inject('postgresAdminUrl'));
    try {
      const { code } = await runServiceProcess(MIGRATE, { DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
      expect(code).toBe(0);
      expect(await tablesOf(database.url)).toEqual(
        expect.arrayContaining([...TABLES, 'slo_sli_minutes', 'chaos_faults', 'chaos_audit']),
      );
    } finally {
      await database.drop();
    }
  });
});
