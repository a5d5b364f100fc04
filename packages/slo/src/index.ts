export {
  type AlertSeverity,
  type AlertTier,
  type AlertWindow,
  type AlertWindowDefinition,
  alertWindows,
  BURN_RATE_WINDOWS,
  type BurnRateWindow,
  burnRateFactor,
  DEFAULT_ALERT_WINDOWS,
} from './alert-windows.js';
export { type PeriodAlertWindows, parseAlertWindows } from './alert-windows-spec.js';
export {
  type BudgetPolicy,
  type BudgetPolicyThresholds,
  budgetPolicy,
  DEFAULT_POLICY_THRESHOLDS,
} from './budget-policy.js';
export { burnRate, burnRateOf, timeToExhaustion } from './burn-rate.js';
export { type SloConfig, sloConfig, sloOptionsFrom } from './config.js';
export {
  DEFAULT_AVAILABILITY_OBJECTIVE,
  DEFAULT_LATENCY_OBJECTIVE,
  DEFAULT_LATENCY_THRESHOLD_MS,
  defaultServiceSlos,
} from './default-slos.js';
export { type ErrorBudget, errorBudget, errorBudgetMinutes } from './error-budget.js';
export { InvalidSloInputError, isInvalidSloInputError, isSloSpecError, SloSpecError } from './errors.js';
export {
  type FlushResult,
  type LiveSlis,
  type LiveSlisOptions,
  type LiveSloStatus,
  liveSlis,
  PRUNE_INTERVAL_MS,
  RETENTION_MARGIN_DAYS,
  type SloHistory,
} from './live-slis.js';
export type { LiveSlo, LiveSloDefinition, SliKind } from './live-slo.js';
export { errorBudgetRatio, objectiveFromPercent } from './objective.js';
export { parseOpenSloDocuments } from './openslo-spec.js';
export {
  DEFAULT_FLUSH_INTERVAL_MS,
  MIN_FLUSH_INTERVAL_MS,
  SLI_FLUSH_HANDLER,
  type SloPluginOptions,
  sloPlugin,
} from './plugin.js';
export {
  type AlertingRule,
  type GenerateOptions,
  generateRules,
  type KubernetesObject,
  type RecordingRule,
  type RuleFile,
  type RuleGroup,
  renderPrometheusRule,
  renderRules,
} from './rules.js';
export { availability, errorRatio, type WindowCounts } from './sli.js';
export type { ServedRequest } from './sli-event.js';
export {
  DEFAULT_HISTORY_WINDOW,
  HISTORY_WINDOWS,
  type HistoryWindow,
  MAX_HISTORY_POINTS,
  type SliHistoryPoint,
} from './sli-history.js';
export { sloMigrations } from './sli-migrations.js';
export type { SliHoursTable, SliMinutesTable, SloDatabase } from './sli-store.js';
export type {
  SeverityAlerting,
  SliQueries,
  SloAlerting,
  SloDefinition,
  SpecFormat,
} from './slo-definition.js';
export {
  type SloHistoryQuery,
  SloHistoryQuerySchema,
  SloHistoryResponseSchema,
  SloHistorySchema,
  SloListResponseSchema,
  SloParamsSchema,
  SloResponseSchema,
  SloStatusSchema,
} from './slo-schema.js';
export { type SloAlertStatus, type SloStatus, type SloStatusInput, sloStatus } from './slo-status.js';
export { parseSlothCrd, parseSlothSpec, SLOTH_SPEC_VERSION, type SlothSpec } from './sloth-spec.js';
export { DEFAULT_PERIOD_DAYS, type ParseSpecsOptions, parseSpecs } from './specs.js';
