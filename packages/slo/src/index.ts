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
export {
  type BudgetPolicy,
  type BudgetPolicyThresholds,
  budgetPolicy,
  DEFAULT_POLICY_THRESHOLDS,
} from './budget-policy.js';
export { burnRate, burnRateOf, timeToExhaustion } from './burn-rate.js';
export { type ErrorBudget, errorBudget, errorBudgetMinutes } from './error-budget.js';
export { InvalidSloInputError, isInvalidSloInputError, isSloSpecError, SloSpecError } from './errors.js';
export { errorBudgetRatio, objectiveFromPercent } from './objective.js';
export { parseOpenSloDocuments } from './openslo-spec.js';
export {
  type AlertingRule,
  generateRules,
  type RecordingRule,
  type RuleFile,
  type RuleGroup,
  renderRules,
} from './rules.js';
export { availability, errorRatio, type WindowCounts } from './sli.js';
export type { SeverityAlerting, SloAlerting, SloDefinition } from './slo-definition.js';
export { type SloAlertStatus, type SloStatus, type SloStatusInput, sloStatus } from './slo-status.js';
export { parseSlothSpec, SLOTH_SPEC_VERSION, type SlothSpec } from './sloth-spec.js';
export { DEFAULT_PERIOD_DAYS, type ParseSpecsOptions, parseSpecs } from './specs.js';
