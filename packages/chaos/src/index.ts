export {
  type Announcement,
  type AnnounceOptions,
  DEFAULT_ANNOUNCE_BACKOFF_MS,
  DEFAULT_ANNOUNCE_RETRIES,
  DEFAULT_ANNOUNCE_TIMEOUT_MS,
  type EndedBy,
} from './announce.js';
export { type ChaosConfig, chaosConfig, chaosOptionsFrom } from './config.js';
export {
  DEFAULT_DEPENDENCY_ERROR_STATUS,
  DEFAULT_HTTP_ERROR_STATUS,
  type Decision,
  type Delay,
  decideDependencyCall,
  decideRequest,
  type Failure,
  type Random,
} from './decision.js';
export {
  currentStep,
  describeFault,
  describeTarget,
  type EndReason,
  type Fault,
  type FaultKind,
  type FaultStep,
  type FaultTarget,
  faultJson,
  isExpired,
  type RampStep,
} from './fault.js';
export { buildFault, type FaultRules, faultProblems } from './fault-input.js';
export { type FaultSource, type InjectionCounts, Injector, type WarnLogger } from './injector.js';
export { type ActiveFaultSource, ChaosMetrics, metricsFor } from './metrics.js';
export { chaosMigrations } from './migrations.js';
export {
  ADMIN_PREFIX,
  type ChaosApi,
  type ChaosPluginOptions,
  chaosPlugin,
  DEFAULT_DURATION_SECONDS,
  DEFAULT_MAX_ACTIVE_FAULTS,
  DEFAULT_MAX_DURATION_SECONDS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_TOKEN_NAME,
} from './plugin.js';
export { type ActiveFaultJson, activeFaultJson, type ChaosStatus } from './status.js';
export {
  type BurnRateSource,
  checkStopWhen,
  DEFAULT_STOP_CHECK_INTERVAL_MS,
  describeStopWhen,
  type SloFigures,
  type StopVerdict,
  type StopWhen,
} from './stop-condition.js';
export { type AuditAction, type AuditEntry, CHAOS_CHANNEL } from './store.js';
export {
  FAULT_HEADER,
  globMatches,
  type RequestFacts,
  routeMatches,
  targetsDependency,
  targetsRequest,
} from './targeting.js';
