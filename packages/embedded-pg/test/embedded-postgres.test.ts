import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/embedded-postgres.js';

const dirs: string[] = [];
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'steadfast-embedded-'));
  await chmod(dir, 0o755);
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function query(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  it('creates the database once and keeps its data across restarts', async () => {
    const dataDir = join(await tempDir(), 'svc');
    const first = await startEmbeddedPostgres({ dataDir, database: 'svc_db' });
    expect(first.url).toMatch(/^postgres:\/\/postgres:.+@127\.0\.0\.1:\d+\/svc_db$/);
    await query(first.url, "create table notes (body text); insert into notes values ('kept')");
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, database: 'svc_db' });
    try {
      expect(second.url.split('@')[0]).toBe(first.url.split('@')[0]);
      expect(await query(second.url, 'select body from notes')).toEqual([{ body: 'kept' }]);
    } finally {
      await second.stop();
    }
  }, 60_000);

  it.runIf(process.getuid?.() === 0)('explains a data folder the postgres user cannot reach', async () => {
    const locked = join(await tempDir(), 'locked');
    await mkdir(locked, { mode: 0o700 });
    await chmod(locked, 0o700);
    await expect(startEmbeddedPostgres({ dataDir: join(locked, 'svc'), database: 'x' })).rejects.toThrow(
      /cannot enter .*locked.*DATA_DIR/,
    );
  });
});
