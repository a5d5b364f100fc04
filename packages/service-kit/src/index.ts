export {
  type BaseConfig,
  BaseConfigSchema,
  baseConfigProperties,
  ConfigError,
  loadConfig,
  serviceConfigSchema,
  shutdownDelayMs,
} from './config.js';
export { type PageRequest, pageNewestFirst } from './db/cursor.js';
export { type Database, type DatabaseOptions, databasePlugin, openDatabase } from './db/database.js';
export { MigrationError, type Migrations, migrateToLatest } from './db/migrate.js';
export { fromDatabaseError, isDatabaseConnectionError, isUniqueViolation } from './db/pg-errors.js';
export {
  DataEnvelope,
  ErrorEnvelopeSchema,
  envelope,
  ListEnvelope,
  MetaSchema,
  type PageMeta,
} from './envelope.js';
export { errorEnvelope, errorHandlerPlugin, toAppError } from './error-handler.js';
export { tracedFetch } from './http-client.js';
export {
  DEFAULT_SHUTDOWN_HANDLER_TIMEOUT_MS,
  Lifecycle,
  lifecyclePlugin,
  type StartupStep,
  type StepState,
} from './lifecycle.js';
export { type LoggerSettings, loggerOptions, REDACT_PATHS } from './logger.js';
export { metricsPlugin } from './metrics.js';
export { openApiPlugin } from './openapi.js';
export { PageQueryProperties, PageQuerySchema } from './page-query.js';
export {
  currentRequestContext,
  propagationHeaders,
  type RequestContext,
  requestIdFrom,
  runWithRequestContext,
  type TraceContext,
  traceContextFrom,
} from './request-context.js';
export { requestLifecyclePlugin } from './request-lifecycle.js';
export { type MigrateCommandOptions, type RunServiceOptions, runMigrations, runService } from './run.js';
export { OPERATIONAL_ROUTE_CONFIG, securityPlugin } from './security.js';
export {
  type CreateServiceOptions,
  createService,
  type ServiceApp,
  type ServiceDefinition,
} from './service.js';
export { type GracefulShutdownOptions, installGracefulShutdown } from './shutdown.js';
