import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { integerAtLeast } from '@steadfast/errors';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

export const DEFAULT_BACKUP_KEEP = 7;
export const DEFAULT_BACKUP_MAX_AGE_DAYS = 7;
const BACKUP_SUFFIX = '.backup.gz';
const MANIFEST_SUFFIX = '.manifest.json';
const MANIFEST_FORMAT = 1;
const DAY_MS = 86_400_000;
/** Kysely's bookkeeping: restored by running the same migrations, never copied. */
const MIGRATION_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);
/** COPY's text format escapes newlines inside values, so this line only ever ends a table's data. */
const END_OF_DATA = '\\.';

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  service: string;
  createdAt: string;
  /** The last migration applied when the snapshot was taken; a restore target must be at the same one. */
  migration: string;
  /** SHA-256 of the compressed backup file. */
  sha256: string;
  bytes: number;
  tables: { name: string; rows: number }[];
}

export interface BackupOptions {
  service: string;
  dir: string;
  keep?: number;
  maxAgeDays?: number;
  now?: () => Date;
}

export interface BackupResult {
  file: string;
  manifest: BackupManifest;
  /** Older backups retention removed. */
  removed: string[];
}

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The public tables, parents before children, so a restore's COPYs never break a foreign key. */
async function tablesInDependencyOrder(client: pg.ClientBase): Promise<string[]> {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
  );
  const { rows: edges } = await client.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
     JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f' AND n.nspname = 'public' AND c.oid <> p.oid`,
  );
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (ordered.includes(name) || visiting.has(name)) return;
    visiting.add(name);
    for (const edge of edges) if (edge.child === name) visit(edge.parent);
    ordered.push(name);
  };
  for (const { name } of tables) if (!MIGRATION_TABLES.has(name)) visit(name);
  return ordered;
}

async function latestMigration(client: pg.ClientBase): Promise<string> {
  const { rows } = await client
    .query<{ name: string }>(`SELECT name FROM kysely_migration ORDER BY name DESC LIMIT 1`)
    .catch((error: { code?: string }) => {
      if (error.code === '42P01') return { rows: [] };
      throw error;
    });
  const name = rows[0]?.name;
  if (!name) throw new BackupError('the database has no applied migrations (run db:migrate first)');
  return name;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Writes every public table of the database to one gzip file: a consistent snapshot, because every COPY runs in
 * one REPEATABLE READ transaction. Each table is a JSON header line, COPY's text rows, and `\.`.
 */
export async function backupDatabase(pool: pg.Pool, options: BackupOptions): Promise<BackupResult> {
  const keep = integerAtLeast('keep', options.keep ?? DEFAULT_BACKUP_KEEP, 1);
  const maxAgeDays = integerAtLeast('maxAgeDays', options.maxAgeDays ?? DEFAULT_BACKUP_MAX_AGE_DAYS, 1);
  const now = options.now?.() ?? new Date();
  await mkdir(options.dir, { recursive: true });
  const base = `${options.service}-${now.toISOString().replaceAll(':', '-')}`;
  const file = join(options.dir, `${base}${BACKUP_SUFFIX}`);
  const partial = `${file}.partial`;

  const client = await pool.connect();
  const tables: BackupManifest['tables'] = [];
  let migration: string;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // Backups of a large table outlast the pool's statement timeout by design.
    await client.query('SET LOCAL statement_timeout = 0');
    migration = await latestMigration(client);
    const names = await tablesInDependencyOrder(client);
    const out = new PassThrough();
    const written = pipeline(out, createGzip(), createWriteStream(partial));
    for (const name of names) {
      out.write(`${JSON.stringify({ table: name })}\n`);
      const copy = client.query(copyTo(`COPY ${quote(name)} TO STDOUT`));
      for await (const chunk of copy) if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      out.write(`${END_OF_DATA}\n`);
      tables.push({ name, rows: copy.rowCount });
    }
    out.end();
    await written;
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    await rm(partial, { force: true });
    throw error;
  } finally {
    client.release();
  }

  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    service: options.service,
    createdAt: now.toISOString(),
    migration,
    sha256: await sha256Of(partial),
    bytes: (await stat(partial)).size,
    tables,
  };
  await writeFile(manifestPath(file), `${JSON.stringify(manifest, null, 2)}\n`);
  // The backup appears under its final name only once its manifest exists, so retention never sees half of one.
  await rename(partial, file);
  const removed = await applyRetention(options.dir, options.service, { keep, maxAgeDays, now });
  return { file, manifest, removed };
}

const manifestPath = (file: string) => `${file.slice(0, -BACKUP_SUFFIX.length)}${MANIFEST_SUFFIX}`;

/** Keeps the newest `keep` backups and drops any older than `maxAgeDays`; the newest one always stays. */
async function applyRetention(
  dir: string,
  service: string,
  { keep, maxAgeDays, now }: { keep: number; maxAgeDays: number; now: Date },
): Promise<string[]> {
  const files = (await readdir(dir))
    .filter((name) => name.startsWith(`${service}-`) && name.endsWith(BACKUP_SUFFIX))
    .sort()
    .reverse();
  const removed: string[] = [];
  for (const [index, name] of files.entries()) {
    const file = join(dir, name);
    const manifest = await readManifest(file).catch(() => undefined);
    const createdAt = manifest ? Date.parse(manifest.createdAt) : now.getTime();
    const tooOld = now.getTime() - createdAt > maxAgeDays * DAY_MS;
    if (index === 0 || (index < keep && !tooOld)) continue;
    await rm(file, { force: true });
    await rm(manifestPath(file), { force: true });
    removed.push(file);
  }
  return removed;
}

async function readManifest(file: string): Promise<BackupManifest> {
  if (!file.endsWith(BACKUP_SUFFIX))
    throw new BackupError(`${file} is not a backup (expected *${BACKUP_SUFFIX})`);
  let text: string;
  try {
    text = await readFile(manifestPath(file), 'utf8');
  } catch {
    throw new BackupError(`${file} has no manifest (expected ${manifestPath(file)})`);
  }
  return JSON.parse(text) as BackupManifest;
}

/** Splits the backup stream into tables and feeds each one to a COPY FROM, inside the caller's transaction. */
async function copyTablesFrom(client: pg.ClientBase, file: string, expected: Set<string>) {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let copy: Transform | undefined;
  let done: Promise<void> | undefined;
  const restored = new Set<string>();
  for await (const line of lines) {
    if (!copy) {
      const { table } = JSON.parse(line) as { table: string };
      if (!expected.has(table))
        throw new BackupError(`the backup holds table ${table}, which the manifest lacks`);
      copy = client.query(copyFrom(`COPY ${quote(table)} FROM STDIN`)) as unknown as Transform;
      done = new Promise((resolve, reject) => copy?.on('finish', resolve).on('error', reject));
      restored.add(table);
    } else if (line === END_OF_DATA) {
      copy.end();
      await done;
      copy = undefined;
    } else if (!copy.write(`${line}\n`)) {
      await new Promise((resolve) => copy?.once('drain', resolve));
    }
  }
  if (copy) throw new BackupError('the backup ends in the middle of a table');
  return restored;
}

/** Moves every owned sequence past the restored rows, so the next insert does not collide. */
async function resetSequences(client: pg.ClientBase) {
  const { rows } = await client.query<{ seq: string; tbl: string; col: string }>(
    `SELECT s.oid::regclass::text AS seq, t.relname AS tbl, a.attname AS col FROM pg_class s
     JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
     JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
     JOIN pg_namespace n ON n.oid = t.relnamespace WHERE s.relkind = 'S' AND n.nspname = 'public'`,
  );
  for (const { seq, tbl, col } of rows) {
    await client.query(
      `SELECT setval($1::regclass, COALESCE((SELECT max(${quote(col)}) FROM ${quote(tbl)}), 0) + 1, false)`,
      [seq],
    );
  }
}

/**
 * Replaces the database's rows with the backup's, in one transaction: refuses a file whose checksum does not
 * match its manifest, or a database whose last migration is not the one the backup was taken at.
 */
export async function restoreDatabase(pool: pg.Pool, file: string): Promise<BackupManifest> {
  const manifest = await readManifest(file);
  const actual = await sha256Of(file);
  if (actual !== manifest.sha256) {
    throw new BackupError(`${file} does not match its manifest's checksum (sha256 ${actual})`);
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL statement_timeout = 0');
    const migration = await latestMigration(client);
    if (migration !== manifest.migration) {
      throw new BackupError(
        `${file} was taken at migration ${manifest.migration}; the database is at ${migration}`,
      );
    }
    const tables = await tablesInDependencyOrder(client);
    const expected = new Set(manifest.tables.map((table) => table.name));
    const missing = [...expected].filter((name) => !tables.includes(name));
    if (missing.length > 0) throw new BackupError(`the database lacks table(s) ${missing.join(', ')}`);
    if (tables.length > 0) await client.query(`TRUNCATE ${tables.map(quote).join(', ')} CASCADE`);
    const restored = await copyTablesFrom(client, file, expected);
    if (restored.size !== expected.size) throw new BackupError(`${file} is truncated`);
    await resetSequences(client);
    await client.query('COMMIT');
    return manifest;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
