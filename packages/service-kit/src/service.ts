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
  REQUEST_CONTEXT_PLUGIN,
  requestContextPlugin,
  requestIdFrom,
  type TraceContext,
  type TraceStarter,
  traceOf,
} from '@steadfast/http';
import { resilience } from '@steadfast/resilience';
import {
  DEFAULT_LATENCY_THRESHOLD_MS,
  defaultServiceSlos,
  type LiveSloDefinition,
  sloOptionsFrom,
  sloPlugin,
} from '@steadfast/slo';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
  type RawServerDefault,
} from 'fastify';
import fp from 'fastify-plugin';
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
import { startTracing, tracingOptionsFrom, tracingPlugin } from './tracing.js';
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

/** The cross-cutting pieces a measurement may leave out (`CreateServiceOptions.omit`). */
export const OMITTABLE_PIECES = [
  'access-log',
  'helmet',
  'rate-limit',
  'metrics',
  'host-check',
  'request-context',
  'auth',
] as const;
export type OmittablePiece = (typeof OMITTABLE_PIECES)[number];

export interface CreateServiceOptions {
  service: ServiceDefinition;
  config: BaseConfig;
  /** Where log lines go (stdout by default); tests read them from a stream. */
  logStream?: DestinationStream;
  /**
   * Pieces left out, so a benchmark can put a number on each (the users-api bench's ablation). Not configuration:
   * no service sets it, and no environment variable reaches it.
   */
  omit?: ReadonlySet<OmittablePiece>;
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

function server(
  service: ServiceDefinition,
  config: BaseConfig,
  logStream: DestinationStream | undefined,
  requestContext: boolean,
  startTrace: TraceStarter | undefined,
) {
  const logger = loggerOptions({ service: service.name, level: config.LOG_LEVEL });
  const app = Fastify({
    logger: { ...logger, stream: logStream ?? logDestination(config.NODE_ENV) },
    ...(requestContext
      ? {
          genReqId: requestIdFrom,
          // One child logger per request, carrying its ids, instead of a second child made in a hook. With tracing
          // on, this is where the request's span starts, so its span id is in every line.
          childLoggerFactory: startTrace
            ? (logger, bindings, options, raw) => {
                const { traceId, spanId } = traceOf(raw as IncomingMessage, startTrace);
                return logger.child({ ...bindings, traceId, spanId }, options);
              }
            : (logger, bindings, options, raw) =>
                logger.child({ ...bindings, traceId: traceOf(raw as IncomingMessage).traceId }, options),
        }
      : {}),
    ...serverLimits(config),
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

/** What `omit: ['request-context']` registers instead: the name the error handler depends on, no per-request work. */
const withoutRequestContext = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('trace', undefined as unknown as TraceContext);
  },
  { name: REQUEST_CONTEXT_PLUGIN, fastify: '5.x' },
);

/** A traced request is kept whatever the sampler says once it misses the tightest latency SLO. */
function keepSlowerThanMs(slos: LiveSloDefinition[]): number {
  const thresholds = slos.flatMap((slo) =>
    slo.kind === 'latency' && slo.thresholdMs !== undefined ? [slo.thresholdMs] : [],
  );
  return thresholds.length > 0 ? Math.min(...thresholds) : DEFAULT_LATENCY_THRESHOLD_MS;
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
  omit = new Set(),
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
  const slos = service.slos === false ? [] : (service.slos ?? defaultServiceSlos(service.name));
  const tracingOptions = tracingOptionsFrom(config, service, keepSlowerThanMs(slos));
  const tracing = tracingOptions ? await startTracing(tracingOptions) : undefined;
  const app = server(service, config, logStream, !omit.has('request-context'), tracing?.start);

  await app.register(lifecyclePlugin);
  app.lifecycle.record('config');
  if (tracing) await app.register(tracingPlugin, { tracing });
  await app.register(omit.has('request-context') ? withoutRequestContext : requestContextPlugin);
  await app.register(connectionLimitsPlugin, {
    maxConnections: config.MAX_CONNECTIONS,
    headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
  });
  if (!omit.has('access-log')) await app.register(accessLogPlugin, { slowRequestMs: config.SLOW_REQUEST_MS });
  await app.register(errorHandlerPlugin);
  await app.register(requestOriginPlugin, {
    allowedHosts: omit.has('host-check') ? ['*'] : allowedHostsFrom(config),
    corsOrigins: corsOriginsFrom(config),
  });
  await app.register(metricsRegistryPlugin, { service: service.name });
  await app.register(securityPlugin, {
    headers: !omit.has('helmet'),
    rateLimit: omit.has('rate-limit') ? false : rateLimitOptionsFrom(config, service.name),
  });
  // A route's scope check runs before its rate limit, so the limit is per token subject where there is one.
  await app.register(authPlugin, omit.has('auth') ? { mode: 'off' } : authOptionsFrom(config, service.name));
  if (!omit.has('metrics')) await app.register(metricsPlugin, metricsOptionsFrom(config));
  await app.register(openApiPlugin, {
    title: service.name,
    version: service.version,
    ...(service.description ? { description: service.description } : {}),
  });
  if (withDatabase) {
    const dbMetrics = databaseMetrics(app.metricsRegistry);
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
      onQuery: tracing
        ? (event) => {
            dbMetrics.onQuery(event);
            tracing.onQuery(event);
          }
        : dbMetrics.onQuery,
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
      slos,
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
  if (withDatabase) await app.register(databaseGuardPlugin, { budgetMs: config.DB_QUERY_TIMEOUT_MS });
  return app;
}
