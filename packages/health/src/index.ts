export {
  type CheckOutcome,
  type CheckResult,
  type CheckStatus,
  DEFAULT_CHECK_TIMEOUT_MS,
  type HealthCheck,
  runCheck,
} from './check.js';
export { type HealthConfig, healthConfig, healthOptionsFrom } from './config.js';
export { HEALTH_JSON, healthJson, wantsHealthJson } from './health-json.js';
export {
  type BreakerStatesLike,
  DEFAULT_READINESS_CACHE_MS,
  DEFAULT_SHED_RETRY_AFTER_S,
  HEALTH_ROUTES,
  type HealthApi,
  type HealthPluginOptions,
  healthPlugin,
  type LoadSheddingOptions,
  type ReadinessReport,
} from './plugin.js';
export {
  DEFAULT_POOL_BUSY_RATIO,
  DEFAULT_POSTGRES_SLOW_MS,
  type PoolLike,
  type PostgresCheckOptions,
  postgresCheck,
} from './postgres-check.js';
export {
  DEFAULT_EVENT_LOOP_DEGRADED_MS,
  DEFAULT_EVENT_LOOP_UNHEALTHY_MS,
  DEFAULT_HEAP_DEGRADED_RATIO,
  type EventLoopCheckOptions,
  eventLoopCheck,
  type MemoryCheckOptions,
  memoryCheck,
} from './process-checks.js';
export { httpStatusOf, type InstanceState, type Readiness, readiness } from './readiness.js';
