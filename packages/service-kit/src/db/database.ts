import type { EmbeddedPostgresHandle } from '@steadfast/embedded-pg';
import { LIFECYCLE_PLUGIN } from '@steadfast/http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type Migrations, migrateToLatest } from './migrate.js';
import { PreparingKysely, preparingPool } from './prepared.js';
import { budgetedDialect, type QueryObserver } from './transaction-budget.js';

export const DEFAULT_DATA_DIR = '.data';
export const DEFAULT_POOL_MAX = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
/** How long the embedded server may take to stop after the pool has closed. */
const EMBEDDED_STOP_TIMEOUT_MS = 10_000;

export interface DatabaseOptions {
  /** Names the embedded database and the connections (`application_name`). */
  service: string;
  /** Connect here; without it an embedded PostgreSQL is started with its data in `dataDir`. */
  url?: string | undefined;
  dataDir: string;
  /** The embedded server's port (EMBEDDED_PG_PORT); a free one when absent. */
  embeddedPort?: number | undefined;
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** Called after every statement with its duration and outcome (the kit's query metrics and spans). */
  onQuery?: QueryObserver | undefined;
}

export interface Database {
  // biome-ignore lint/suspicious/noExplicitAny: each app narrows this to its own schema (Kysely<AppDatabase>)
  db: Kysely<any>;
  pool: pg.Pool;
  /** Where it connects (DATABASE_URL or the embedded server's); holds the password, so never log it. */
  url: string;
  /** The embedded server this process started, if it started one. */
  embedded: EmbeddedPostgresHandle | undefined;
  /** Closes the pool, then stops the embedded server if there is one. */
  close(): Promise<void>;
}

// int8 (count(*), bigserial) arrives as a string by default; these services never exceed 2^53. Set on this pool's
// connections only: changing pg's process-wide parsers would change every other pool in the process.
const parseInt8 = (value: string) => Number.parseInt(value, 10);
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * The embedded server is an optional dependency: production images install without it (`pnpm deploy --prod
 * --no-optional`) and always set DATABASE_URL, so it is loaded only when it is about to be started.
 */
async function loadEmbeddedPostgres() {
  try {
    return await import('@steadfast/embedded-pg');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'DATABASE_URL is not set and the embedded PostgreSQL (@steadfast/embedded-pg, an optional dependency) ' +
        'is not installed: set DATABASE_URL, or install with optional dependencies',
      { cause: error },
    );
  }
}

export async function openDatabase(options: DatabaseOptions, log: FastifyBaseLogger): Promise<Database> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let url = options.url;
  if (!url) {
    const { startEmbeddedPostgres } = await loadEmbeddedPostgres();
    const started = Date.now();
    embedded = await startEmbeddedPostgres({
      dataDir: options.dataDir,
      database: options.service.replaceAll('-', '_'),
      ...(options.embeddedPort ? { port: options.embeddedPort } : {}),
      log: (message) => log.debug({ component: 'embedded-postgres' }, message),
    });
    url = embedded.url;
    log.info(
      { port: embedded.port, dataDir: options.dataDir, ms: Date.now() - started },
      'embedded PostgreSQL started',
    );
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    application_name: options.service,
    types: TYPES,
  });
  // An idle client losing its server emits on the pool; unhandled, that would crash the process.
  pool.on('error', (error) => log.warn({ err: error }, 'idle database connection lost'));
  // So does a checked-out one whose session the server ends between two queries (a restart, a terminated backend).
  pool.on('connect', (client) => {
    client.on('error', (error) => log.warn({ err: error }, 'database connection lost'));
  });
  const db = new PreparingKysely(
    {
      // Transactions in a guarded call share one budget (transaction-budget.ts); statements marked `prepared` go out
      // by name (prepared.ts), straight from the pool when run on this handle.
      dialect: budgetedDialect(
        new PostgresDialect({ pool: preparingPool(pool) }),
        options.statementTimeoutMs,
        options.onQuery,
      ),
    },
    pool,
    options.onQuery,
  );

  const close = async () => {
    await db.destroy();
    // Kysely ends the pool only if it ever ran a query; a script that used the pool alone (db:backup) would
    // otherwise keep an idle connection, and the process, alive until the pool's idle timeout.
    if (!pool.ended) await pool.end();
    await embedded?.stop();
  };
  return { db, pool, url, embedded, close };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The service's Kysely handle; apps narrow it to their schema. */
    // biome-ignore lint/suspicious/noExplicitAny: see Database.db
    db: Kysely<any>;
    database: Database;
  }
}

export interface DatabasePluginOptions extends DatabaseOptions {
  migrations: Migrations;
  migrateOnStart: boolean;
  /**
   * The owner's connection string, for migrations only, when the service itself connects (`url`) as a role that may
   * only read and write its tables. Without it migrations use the service's own connection.
   */
  migrationUrl?: string | undefined;
}

/** Runs `work` on a connection of its own, closed afterwards: migrations as the tables' owner. */
async function withOwnConnection<T>(
  url: string,
  options: Pick<DatabaseOptions, 'service' | 'connectTimeoutMs'>,
  // biome-ignore lint/suspicious/noExplicitAny: see Database.db
  work: (db: Kysely<any>) => Promise<T>,
): Promise<T> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: `${options.service} migrations`,
  });
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

export const databasePlugin = fp<DatabasePluginOptions>(
  async (app: FastifyInstance, options) => {
    const { lifecycle } = app;
    const database = await lifecycle.step('database', async () => {
      const opened = await openDatabase(options, app.log);
      try {
        await opened.db.selectNoFrom((eb) => eb.val(1).as('ok')).execute();
      } catch (error) {
        await opened.close();
        throw error;
      }
      return opened;
    });
    try {
      if (options.migrateOnStart) {
        await lifecycle.step('migrations', async () => {
          const { migrationUrl } = options;
          const results = migrationUrl
            ? await withOwnConnection(migrationUrl, options, (db) => migrateToLatest(db, options.migrations))
            : await migrateToLatest(database.db, options.migrations);
          app.log.info(
            { applied: results.map((r) => r.migrationName) },
            'database migrations are up to date',
          );
        });
      }
    } catch (error) {
      await database.close();
      throw error;
    }
    app.decorate('database', database);
    app.decorate('db', database.db);
    // Handlers run last-registered first: the pool closes, then the server it talks to stops.
    const { embedded } = database;
    if (embedded) {
      lifecycle.addShutdownHandler(
        'embedded PostgreSQL stop',
        () => embedded.stop(),
        EMBEDDED_STOP_TIMEOUT_MS,
      );
    }
    lifecycle.addShutdownHandler('database pool close', () => database.db.destroy());
  },
  { name: '@steadfast/service-kit/database', fastify: '5.x', dependencies: [LIFECYCLE_PLUGIN] },
);
