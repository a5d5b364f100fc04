export { toAppError } from './classify.js';
export {
  type ConfigCheck,
  ConfigError,
  type ConfigFragment,
  type ConfigSchema,
  configFragment,
  configSchema,
  describeValue,
  loadConfig,
} from './config.js';
export {
  DataEnvelope,
  ErrorEnvelopeSchema,
  envelope,
  ListEnvelope,
  MetaSchema,
  type PageMeta,
} from './envelope.js';
export {
  clientErrorHandler,
  ERROR_HANDLER_PLUGIN,
  errorEnvelope,
  errorHandlerPlugin,
  frameworkErrors,
} from './error-handler.js';
export {
  DEFAULT_SHUTDOWN_HANDLER_TIMEOUT_MS,
  LIFECYCLE_PLUGIN,
  Lifecycle,
  lifecyclePlugin,
  type StartupStep,
  type StepState,
} from './lifecycle.js';
export {
  METRICS_REGISTRY_PLUGIN,
  type MetricsRegistryOptions,
  metricSet,
  metricsRegistryPlugin,
} from './metrics-registry.js';
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, PageQuery, PageQueryProperties, UuidParams } from './paging.js';
export {
  fromDatabaseError,
  isClientAbort,
  isDatabaseConnectionError,
  isDatabaseFailure,
  isUniqueViolation,
  rejectingDuplicate,
} from './pg-errors.js';
export {
  hexFlags,
  REQUEST_CONTEXT_PLUGIN,
  remoteContextOf,
  requestContextPlugin,
  requestIdFrom,
  type TraceContext,
  type TraceStarter,
  traceContextFrom,
  traceContextPropagator,
  traceOf,
} from './request-context.js';
export { OPERATIONAL_ROUTE_CONFIG, routeHooks } from './route-config.js';
