import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { authOptionsFrom, authPlugin } from '@steadfast/auth';
import { chaosOptionsFrom, chaosPlugin } from '@steadfast/chaos';
import { InvalidOptionError } from '@steadfast/errors';
import { healthOptionsFrom, healthPlugin, postgresCheck } from '@steadfast/health';
import {
  errorHandlerPlugin,
  lifecyclePlugin,
  metricsRegistryPlugin,
  requestContextPlugin,
  requestIdFrom,
  traceOf,
} from '@steadfast/http';
import { resilience } from '@steadfast/resilience';
import { defaultServiceSlos, type LiveSloDefinition, sloOptionsFrom, sloPlugin } from '@steadfast/slo';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
  type RawServerDefault,
} from 'fastify';
import type { DestinationStream } from 'pino';
import { accessLogPlugin } from './access-log.js';
import { sloBurnRates } from './chaos-stop.js';
import { allowedHostsFrom, type BaseConfig, corsOriginsFrom } from './config.js';
import { databasePlugin } from './db/database.js';
import { DATABASE_POLICY, databaseGuardPlugin, databasePolicy } from './db/database-guard.js';
import { databaseMetrics } from './db/database-metrics.js';
import type { Migrations } from './db/migrate.js';
import { logDestination, loggerOptions } from './logger.js';
import { metricsOptionsFrom, metricsPlugin } from './metrics.js';
import { serviceMigrations } from './migrations.js';
import { openApiPlugin } from './openapi.js';
import { rateLimitOptionsFrom } from './rate-limit.js';
import { requestOriginPlugin } from './request-origin.js';
import { securityPlugin } from './security.js';
import { connectionLimitsPlugin, serverLimits } from './server-limits.js';
import { buildValidator } from './validation.js';

export interface ServiceDefinition {
  /** Short name: logs, metrics, the embedded database and its data folder use it. */
  name: string;
  version: string;
  description?: string;
  /**
   * The service's own Kysely migrations, by timestamped name. Absent: the service has no database (no pool,
   * no `database` policy, no PostgreSQL check), which needs `slos: false` and `chaos: false`, both of which
   * keep their state in it.
   */
  migrations?: Migrations;
  /**
   * The SLOs recorded from live traffic and served at /v1/slo; an availability and a latency SLO by default.
   * `false` leaves the SLO plugin out (no /v1/slo, no SLI tables, no chaos stop condition).
   */
  slos?: LiveSloDefinition[] | false;
  /** `false` leaves chaos out entirely, whatever CHAOS_ENABLED says (no admin API, no chaos tables). */
  chaos?: boolean;
}

export interface CreateServiceOptions {
  service: ServiceDefinition;
  config: BaseConfig;
  /** Where log lines go (stdout by default); tests read them from a stream. */
  logStream?: DestinationStream;
}

export type ServiceApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * Fastify fails a plugin that takes longer than 10 s to load. The database plugin's first start runs initdb
 * (2.5–5 s on an idle machine, far longer when services start together on a busy one), and a slow machine must
 * not fail startup; a start that truly hangs is the startup probe's to catch.
 */
const PLUGIN_TIMEOUT_MS = 120_000;

function server(service: ServiceDefinition, config: BaseConfig, logStream: DestinationStream | undefined) {
  const logger = loggerOptions({ service: service.name, level: config.LOG_LEVEL });
  const app = Fastify({
    logger: { ...logger, stream: logStream ?? logDestination(config.NODE_ENV) },
    genReqId: requestIdFrom,
    ...serverLimits(config),
    // One child logger per request, carrying both ids, instead of a second child made in a hook.
    childLoggerFactory: (logger, bindings, options, raw) =>
      logger.child({ ...bindings, traceId: traceOf(raw as IncomingMessage).traceId }, options),
    // The access log writes one line per request instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    pluginTimeout: PLUGIN_TIMEOUT_MS,
    // Fastify types this factory as Ajv's own compile function, not the route-aware one it calls at runtime.
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // The APIs speak JSON only; any other body type is answered 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');
  return app;
}

/**
 * A Fastify instance with everything a Steadfast service shares, registered in order: the lifecycle, request ids
 * and trace context, the access log, the error handler, security headers and rate limits, bearer-JWT auth, metrics, OpenAPI,
 * PostgreSQL (migrated), the `database` resilience policy, health probes, live SLIs at /v1/slo, chaos at
 * /admin/chaos (when enabled), and `app.guardDatabase`. The app adds its own routes; the database is at `app.db`.
 * A service without `migrations` gets everything but the database and what lives in it.
 */
export async function createService({
  service,
  config,
  logStream,
}: CreateServiceOptions): Promise<ServiceApp> {
  const withDatabase = service.migrations !== undefined;
  if (!withDatabase) {
    for (const option of ['slos', 'chaos'] as const) {
      if (service[option] !== false) {
        throw new InvalidOptionError(
          `service.${option}`,
          service[option],
          'false in a service without migrations',
        );
      }
    }
  }
  const app = server(service, config, logStream);

  await app.register(lifecyclePlugin);
  app.lifecycle.record('config');
  await app.register(requestContextPlugin);
  await app.register(connectionLimitsPlugin, {
    maxConnections: config.MAX_CONNECTIONS,
    headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
  });
  await app.register(accessLogPlugin, { slowRequestMs: config.SLOW_REQUEST_MS });
  await app.register(errorHandlerPlugin);
  await app.register(requestOriginPlugin, {
    allowedHosts: allowedHostsFrom(config),
    corsOrigins: corsOriginsFrom(config),
  });
  await app.register(metricsRegistryPlugin, { service: service.name });
  await app.register(securityPlugin, { rateLimit: rateLimitOptionsFrom(config, service.name) });
  // A route's scope check runs before its rate limit, so the limit is per token subject where there is one.
  await app.register(authPlugin, authOptionsFrom(config, service.name));
  await app.register(metricsPlugin, metricsOptionsFrom(config));
  await app.register(openApiPlugin, {
    title: service.name,
    version: service.version,
    ...(service.description ? { description: service.description } : {}),
  });
  const dbMetrics = databaseMetrics(app.metricsRegistry);
  if (withDatabase) {
    await app.register(databasePlugin, {
      service: service.name,
      url: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      embeddedPort: config.EMBEDDED_PG_PORT,
      poolMax: config.DB_POOL_MAX,
      connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
      // The database cancels (and rolls back) a statement over the guard's budget itself, before the guard gives up.
      statementTimeoutMs: Math.min(config.DB_STATEMENT_TIMEOUT_MS, config.DB_QUERY_TIMEOUT_MS),
      migrations: serviceMigrations(service),
      migrateOnStart: config.MIGRATE_ON_START,
      onQuery: dbMetrics.onQuery,
      migrationUrl: config.DATABASE_MIGRATION_URL,
    });
    dbMetrics.observePool(app.database.pool);
  }
  await app.register(resilience, {
    policies: withDatabase
      ? {
          [DATABASE_POLICY]: databasePolicy({
            timeoutMs: config.DB_QUERY_TIMEOUT_MS,
            breakerOpenMs: config.DB_BREAKER_OPEN_MS,
            breakerFailures: config.DB_BREAKER_FAILURES,
          }),
        }
      : {},
    registry: app.metricsRegistry,
  });
  await app.register(healthPlugin, {
    ...healthOptionsFrom(config),
    checks: withDatabase ? [postgresCheck(app.database.pool)] : [],
    breakers: app.resilience,
    version: service.version,
    environment: config.NODE_ENV,
    serviceId: service.name,
  });
  if (service.slos !== false) {
    await app.register(sloPlugin, {
      ...sloOptionsFrom(config),
      slos: service.slos ?? defaultServiceSlos(service.name),
      db: app.db,
    });
  }
  if (service.chaos !== false) {
    await app.register(chaosPlugin, {
      ...chaosOptionsFrom(config, { service: service.name }),
      db: app.db,
      listenUrl: app.database.url,
      ...(app.hasDecorator('slo') ? { burnRates: sloBurnRates(app.slo) } : {}),
    });
  }
  if (withDatabase) await app.register(databaseGuardPlugin);
  return app;
}
