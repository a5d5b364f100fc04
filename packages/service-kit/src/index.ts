export { sloBurnRates } from './chaos-stop.js';
export {
  type BaseConfig,
  BaseConfigSchema,
  baseConfigProperties,
  serverConfig,
  serviceConfigSchema,
  shutdownDelayMs,
} from './config.js';
export {
  BackupError,
  type BackupManifest,
  type BackupOptions,
  type BackupResult,
  backupDatabase,
  restoreDatabase,
} from './db/backup.js';
export { runBackupCommand } from './db/backup-command.js';
export { type PageRequest, pageNewestFirst } from './db/cursor.js';
export { type Database, type DatabaseOptions, databasePlugin, openDatabase } from './db/database.js';
export { databaseConfig } from './db/database-config.js';
export {
  DATABASE_POLICY,
  databaseGuardPlugin,
  databasePolicy,
  guardRepository,
} from './db/database-guard.js';
export { databaseMetrics } from './db/database-metrics.js';
export { MigrationError, type Migrations, migrateToLatest } from './db/migrate.js';
export { MAX_PREPARED_STATEMENTS, prepared } from './db/prepared.js';
export { censorSecrets, type LoggerSettings, loggerOptions } from './logger.js';
export {
  DEFAULT_METRICS_REFRESH_MS,
  type MetricsConfig,
  type MetricsOptions,
  metricsConfig,
  metricsOptionsFrom,
  metricsPlugin,
} from './metrics.js';
export { serviceMigrations } from './migrations.js';
export { openApiPlugin } from './openapi.js';
export {
  DEFAULT_RATE_LIMIT_MAX,
  DEFAULT_RATE_LIMIT_WINDOW_MS,
  DEFAULT_RATE_LIMIT_WRITE_MAX,
  type RateLimitConfig,
  type RateLimitOptions,
  rateLimitConfig,
  rateLimitOptionsFrom,
  rateLimitPlugin,
} from './rate-limit.js';
export { type MigrateCommandOptions, type RunServiceOptions, runMigrations, runService } from './run.js';
export { type SecurityOptions, securityPlugin } from './security.js';
export {
  type CreateServiceOptions,
  createService,
  OMITTABLE_PIECES,
  type OmittablePiece,
  type ServiceApp,
  type ServiceDefinition,
} from './service.js';
export { type GracefulShutdownOptions, installGracefulShutdown } from './shutdown.js';
