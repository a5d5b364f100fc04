import type { Static } from '@sinclair/typebox';
import { ConfigError, type ConfigSchema, loadConfig } from '@steadfast/http';
import type { FastifyInstance } from 'fastify';
import { type DestinationStream, type Logger, pino } from 'pino';
import { type BaseConfig, shutdownDelayMs } from './config.js';
import { type Database, openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { logDestination, loggerOptions } from './logger.js';
import { serviceMigrations } from './migrations.js';
import type { ServiceDefinition } from './service.js';
import { installGracefulShutdown } from './shutdown.js';

export interface RunServiceOptions<S extends ConfigSchema> {
  name: string;
  configSchema: S;
  buildApp: (config: Static<S>) => Promise<FastifyInstance>;
}

function readConfig<S extends ConfigSchema>(name: string, schema: S): Static<S> & BaseConfig {
  try {
    return loadConfig(schema, process.env) as Static<S> & BaseConfig;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(1);
  }
}

/**
 * What a service's `server.ts` does: read the config (exit 1 listing every bad variable), build the app,
 * listen, and wire graceful shutdown. A startup failure is logged and exits 1.
 */
export async function runService<S extends ConfigSchema>({
  name,
  configSchema,
  buildApp,
}: RunServiceOptions<S>) {
  const started = performance.now();
  const config = readConfig(name, configSchema);
  const log = pino(
    loggerOptions({ service: name, level: config.LOG_LEVEL }),
    logDestination(config.NODE_ENV),
  );
  let app: FastifyInstance;
  try {
    app = await buildApp(config);
  } catch (error) {
    log.fatal(
      { err: error },
      `${name} failed to start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
  installGracefulShutdown(app, { delayMs: shutdownDelayMs(config), timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  try {
    const address = await app.listen({ port: config.PORT, host: config.HOST });
    const startupMs = Math.round(performance.now() - started);
    app.log.info({ address, startupMs, docs: `${address}/docs` }, `${name} listening on ${address}`);
  } catch (error) {
    app.log.fatal({ err: error }, `${name} could not listen on ${config.HOST}:${config.PORT}`);
    await app.close();
    process.exit(1);
  }
}

export interface MigrateCommandOptions<S extends ConfigSchema> {
  /** The same definition `createService` gets, so `db:migrate` applies the same set as startup. */
  service: ServiceDefinition;
  configSchema: S;
}

/**
 * What every database script does: read the config (exit 1 listing every bad variable), open one connection to the
 * configured (or embedded) database, run `work`, close. A failure is logged as `<label> failed` and exits 1. Logs go
 * to `logTo` (the service's usual destination by default; stderr when stdout carries the script's output).
 */
export async function runDatabaseCommand<S extends ConfigSchema>(
  { service, configSchema }: MigrateCommandOptions<S>,
  label: string,
  work: (database: Database, config: Static<S> & BaseConfig, log: Logger) => Promise<void>,
  logTo?: DestinationStream,
) {
  const { name } = service;
  const config = readConfig(name, configSchema);
  const log = pino(
    loggerOptions({ service: name, level: config.LOG_LEVEL }),
    logTo ?? logDestination(config.NODE_ENV),
  );
  let database: Database | undefined;
  try {
    database = await openDatabase(
      {
        service: name,
        // Scripts are the operator's: they run as the tables' owner when the service itself is a limited role.
        url: config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL,
        dataDir: config.DATA_DIR,
        embeddedPort: config.EMBEDDED_PG_PORT,
        poolMax: 1,
        connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
        statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      },
      log,
    );
    await work(database, config, log);
    await database.close();
  } catch (error) {
    log.fatal({ err: error }, `${label} failed: ${error instanceof Error ? error.message : String(error)}`);
    await database?.close();
    process.exit(1);
  }
}

/** The `db:migrate` script: applies pending migrations to the configured (or embedded) database and exits. */
export function runMigrations<S extends ConfigSchema>(options: MigrateCommandOptions<S>) {
  return runDatabaseCommand(options, 'migration', async (database, _config, log) => {
    const results = await migrateToLatest(database.db, serviceMigrations(options.service));
    log.info({ applied: results.map((r) => r.migrationName) }, `${results.length} migration(s) applied`);
  });
}
