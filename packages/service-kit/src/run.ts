import type { Static } from '@sinclair/typebox';
import { ConfigError, type ConfigSchema, loadConfig } from '@steadfast/http';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { type BaseConfig, shutdownDelayMs } from './config.js';
import { openDatabase } from './db/database.js';
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

export function readConfig<S extends ConfigSchema>(name: string, schema: S): Static<S> & BaseConfig {
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

/** The `db:migrate` script: applies pending migrations to the configured (or embedded) database and exits. */
export async function runMigrations<S extends ConfigSchema>({
  service,
  configSchema,
}: MigrateCommandOptions<S>) {
  const { name } = service;
  const config = readConfig(name, configSchema);
  const log = pino(
    loggerOptions({ service: name, level: config.LOG_LEVEL }),
    logDestination(config.NODE_ENV),
  );
  let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    database = await openDatabase(
      {
        service: name,
        url: config.DATABASE_URL,
        dataDir: config.DATA_DIR,
        poolMax: 1,
        connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
        statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      },
      log,
    );
    const results = await migrateToLatest(database.db, serviceMigrations(service));
    log.info({ applied: results.map((r) => r.migrationName) }, `${results.length} migration(s) applied`);
    await database.close();
  } catch (error) {
    log.fatal({ err: error }, `migration failed: ${error instanceof Error ? error.message : String(error)}`);
    await database?.close();
    process.exit(1);
  }
}
