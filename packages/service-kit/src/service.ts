import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { chaosMigrations, chaosPlugin } from '@steadfast/chaos';
import { type HealthPluginOptions, healthPlugin, postgresCheck } from '@steadfast/health';
import { resilience } from '@steadfast/resilience';
import { defaultServiceSlos, type LiveSloDefinition, sloMigrations, sloPlugin } from '@steadfast/slo';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
  type RawServerDefault,
} from 'fastify';
import { type DestinationStream, destination } from 'pino';
import type { BaseConfig } from './config.js';
import { databasePlugin } from './db/database.js';
import { databasePolicy, guardRepository } from './db/database-policy.js';
import type { Migrations } from './db/migrate.js';
import { errorHandlerPlugin } from './error-handler.js';
import { lifecyclePlugin } from './lifecycle.js';
import { loggerOptions } from './logger.js';
import { metricsPlugin } from './metrics.js';
import { openApiPlugin } from './openapi.js';
import { requestIdFrom, traceOf } from './request-context.js';
import { requestLifecyclePlugin } from './request-lifecycle.js';
import { securityPlugin } from './security.js';
import { buildValidator } from './validation.js';

export interface ServiceDefinition {
  /** Short name: logs, metrics, the embedded database and its data folder use it. */
  name: string;
  version: string;
  description?: string;
  migrations: Migrations;
  /** The SLOs recorded from live traffic and served at /v1/slo; an availability and a latency SLO by default. */
  slos?: LiveSloDefinition[];
}

export interface CreateServiceOptions {
  service: ServiceDefinition;
  config: BaseConfig;
  /** Where log lines go (stdout by default); tests read them from a stream. */
  logStream?: DestinationStream;
}

/** A service's own migrations plus the tables of the packages every service registers (SLI counts, chaos). */
export function withPackageMigrations(migrations: Migrations): Migrations {
  return { ...sloMigrations, ...chaosMigrations, ...migrations };
}

export type ServiceApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * A Fastify instance with everything a Steadfast service shares, registered in order: request ids and trace
 * context, the error handler, security headers and rate limits, metrics, OpenAPI, PostgreSQL (migrated), the
 * `database` resilience policy, health probes, live SLIs at /v1/slo, and (when enabled) chaos at /admin/chaos.
 * The app adds its own routes; the database is at `app.db`.
 */
export async function createService({
  service,
  config,
  logStream,
}: CreateServiceOptions): Promise<ServiceApp> {
  const logger = loggerOptions({ service: service.name, level: config.LOG_LEVEL });
  const app = Fastify({
    // Asynchronous stdout: a log line no longer costs the request a write syscall; pino flushes it on exit.
    logger: { ...logger, stream: logStream ?? destination({ dest: 1, sync: false }) },
    genReqId: requestIdFrom,
    trustProxy: config.TRUST_PROXY,
    // One child logger per request, carrying both ids, instead of a second child made in a hook.
    childLoggerFactory: (logger, bindings, options, raw) =>
      logger.child({ ...bindings, traceId: traceOf(raw as IncomingMessage).traceId }, options),
    // The request lifecycle plugin writes one line per request instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Fastify types this factory as Ajv's own compile function, not the route-aware one it calls at runtime.
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // The APIs speak JSON only; any other body type is answered 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');

  await app.register(lifecyclePlugin);
  app.lifecycle.record('config');
  await app.register(requestLifecyclePlugin, { slowRequestMs: config.SLOW_REQUEST_MS });
  await app.register(errorHandlerPlugin);
  await app.register(securityPlugin, {
    rateLimitMax: config.RATE_LIMIT_MAX,
    rateLimitWindowMs: config.RATE_LIMIT_WINDOW_MS,
  });
  await app.register(metricsPlugin, { service: service.name });
  await app.register(openApiPlugin, {
    title: service.name,
    version: service.version,
    ...(service.description ? { description: service.description } : {}),
  });
  await app.register(databasePlugin, {
    service: service.name,
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolMax: config.DB_POOL_MAX,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    migrations: withPackageMigrations(service.migrations),
    migrateOnStart: config.MIGRATE_ON_START,
  });
  const database = databasePolicy({
    timeoutMs: config.DB_QUERY_TIMEOUT_MS,
    breakerOpenMs: config.DB_BREAKER_OPEN_MS,
    breakerFailures: config.DB_BREAKER_FAILURES,
  });
  await app.register(resilience, { policies: { database }, registry: app.metricsRegistry });
  await app.register(healthPlugin, {
    checks: [postgresCheck(app.database.pool)],
    breakers: app.resilience,
    version: service.version,
    environment: config.NODE_ENV,
    serviceId: service.name,
    cacheMs: config.HEALTH_CACHE_MS,
    defaultTimeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
    ...loadShedding(config),
  });
  await app.register(sloPlugin, {
    slos: service.slos ?? defaultServiceSlos(service.name),
    db: app.db,
    registry: app.metricsRegistry,
    flushIntervalMs: config.SLI_FLUSH_INTERVAL_MS,
  });
  await app.register(chaosPlugin, {
    enabled: config.CHAOS_ENABLED,
    adminToken: config.CHAOS_ADMIN_TOKEN ?? '',
    db: app.db,
    listenUrl: app.database.url,
    maxDurationSeconds: config.CHAOS_MAX_DURATION_S,
    maxActiveFaults: config.CHAOS_MAX_ACTIVE_FAULTS,
    headerTargeting: config.CHAOS_HEADER_TARGETING,
    registry: app.metricsRegistry,
    lifecycle: app.lifecycle,
    stopCondition: { check: () => burningTooFast(app, config.CHAOS_STOP_BURN_RATE) },
  });
  const databaseCalls = app.resilience.get('database');
  const chaos = app.hasDecorator('chaos') ? app.chaos : undefined;
  const beforeCall = chaos && ((signal: AbortSignal) => chaos.beforeDependencyCall('database', signal));
  app.decorate('guardDatabase', <T extends object>(repository: T) =>
    guardRepository(databaseCalls, repository, beforeCall),
  );
  return app;
}

/** The chaos stop condition: any SLO burning its error budget at `threshold`x or more over the last 5 minutes. */
async function burningTooFast(app: ServiceApp, threshold: number) {
  const burning = (await app.slo.status()).find((slo) => slo.burnRates['5m'] >= threshold);
  return burning
    ? {
        stop: true,
        reason: `SLO ${burning.name} burns its error budget at ${burning.burnRates['5m']}x over 5m (limit ${threshold}x)`,
      }
    : { stop: false, reason: '' };
}

function loadShedding(config: BaseConfig): Pick<HealthPluginOptions, 'loadShedding'> {
  const limits = {
    ...(config.LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS === undefined
      ? {}
      : { maxEventLoopDelayMs: config.LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS }),
    ...(config.LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION === undefined
      ? {}
      : { maxEventLoopUtilization: config.LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION }),
    ...(config.LOAD_SHED_MAX_HEAP_USED_BYTES === undefined
      ? {}
      : { maxHeapUsedBytes: config.LOAD_SHED_MAX_HEAP_USED_BYTES }),
    ...(config.LOAD_SHED_MAX_RSS_BYTES === undefined ? {} : { maxRssBytes: config.LOAD_SHED_MAX_RSS_BYTES }),
  };
  return Object.keys(limits).length === 0 ? {} : { loadShedding: limits };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs every method of a repository through the `database` policy (breaker + timeout). */
    guardDatabase<T extends object>(repository: T): ReturnType<typeof guardRepository<T>>;
  }
}
