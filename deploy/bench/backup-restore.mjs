// Times users-api's db:backup and db:restore on 1,000,000 users (BENCH_USERS to change it), the real scripts as
// their own processes against one embedded PostgreSQL: fill, back up, restore into a freshly migrated database,
// compare every row. Run after `pnpm build`: `pnpm --filter @steadfast/deploy bench:backup`.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEmbeddedPostgres } from '@steadfast/embedded-pg';
import pg from 'pg';

const USERS = Number(process.env.BENCH_USERS ?? 1_000_000);
const APP = new URL('../../apps/users-api/', import.meta.url).pathname;
const node = promisify(execFile);

/** Runs one of users-api's database scripts; resolves with its stdout and how long the process took. */
async function script(name, env, ...args) {
  const started = performance.now();
  const { stdout } = await node(process.execPath, [join(APP, 'dist', `${name}.js`), ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return { stdout, ms: performance.now() - started };
}

// Every column of every row, in one digest: equal digests mean equal tables.
const DIGEST = `SELECT count(*)::int AS rows, md5(string_agg(u::text, '' ORDER BY id)) AS digest FROM users u`;

const root = mkdtempSync(join(tmpdir(), 'backup-bench-'));
chmodSync(root, 0o755);
const server = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), database: 'users_api' });
const source = server.url;
const target = Object.assign(new URL(server.url), { pathname: '/users_api_restored' }).href;
const sourceClient = new pg.Client({ connectionString: source });
const targetClient = new pg.Client({ connectionString: target });
try {
  await sourceClient.connect();
  await sourceClient.query('CREATE DATABASE users_api_restored');
  await script('migrate', { DATABASE_URL: source });
  await script('migrate', { DATABASE_URL: target });
  const query = async (client, sql) => (await client.query(sql)).rows;

  const fillStarted = performance.now();
  await query(
    sourceClient,
    `INSERT INTO users (name, email, muted, device_id, device_label, created_at, updated_at)
     SELECT 'User ' || i, 'user' || i || '@example.com', i % 7 = 0,
            CASE WHEN i % 3 = 0 THEN 'device-' || i END, CASE WHEN i % 3 = 0 THEN 'Phone ' || i END,
            now() - make_interval(secs => i), now()
     FROM generate_series(1, ${USERS}) AS i`,
  );
  const fillMs = performance.now() - fillStarted;
  const [{ size: tableBytes }] = await query(
    sourceClient,
    `SELECT pg_total_relation_size('users')::bigint AS size`,
  );

  const env = { BACKUP_DIR: join(root, 'backups') };
  const backup = await script('backup', { ...env, DATABASE_URL: source });
  const file = backup.stdout.trim().split('\n').at(-1);
  const manifest = JSON.parse(await readFile(file.replace(/\.backup\.gz$/, '.manifest.json'), 'utf8'));
  const restore = await script('restore', { ...env, DATABASE_URL: target }, file);

  await targetClient.connect();
  const [before] = await query(sourceClient, DIGEST);
  const [after] = await query(targetClient, DIGEST);
  const mib = (bytes) => `${(Number(bytes) / 1024 / 1024).toFixed(1)} MiB`;
  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const rows = [
    ['users', USERS.toLocaleString('en')],
    ['fill (one INSERT … SELECT generate_series)', seconds(fillMs)],
    ['users table with its indexes', mib(tableBytes)],
    ['`db:backup` (process start to exit)', seconds(backup.ms)],
    ['backup file (gzip)', `${mib(statSync(file).size)} (manifest: ${manifest.bytes} bytes)`],
    ['`db:restore` into a freshly migrated database (process start to exit)', seconds(restore.ms)],
    ['rows and digest after restore', before.digest === after.digest ? `${after.rows}, equal` : 'DIFFERENT'],
  ];
  console.log(`| measure | result |\n| --- | --- |\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`);
  if (before.digest !== after.digest || after.rows !== USERS) process.exitCode = 1;
} finally {
  await Promise.all([sourceClient.end(), targetClient.end()]);
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
