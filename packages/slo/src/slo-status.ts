import { type AlertWindow, alertWindows, BURN_RATE_WINDOWS, type BurnRateWindow } from './alert-windows.js';
import { type BudgetPolicy, budgetPolicy } from './budget-policy.js';
import { burnRateOf } from './burn-rate.js';
import { type ErrorBudget, errorBudget } from './error-budget.js';
import { InvalidSloInputError } from './errors.js';
import { assertObjective } from './objective.js';
import { availability, type WindowCounts } from './sli.js';

export interface SloStatusInput {
  name: string;
  description?: string;
  /** A ratio: 0.999 for 99.9 %. */
  objective: number;
  periodDays: number;
  /** Counts over the whole rolling period; they give the SLI and the budget. */
  period: WindowCounts;
  /** Counts over each alerting window; they give the burn rates and the alerts. */
  windows: Record<BurnRateWindow, WindowCounts>;
}

export interface SloAlertStatus extends AlertWindow {
  firing: boolean;
}

export interface SloStatus {
  name: string;
  description: string;
  objective: number;
  periodDays: number;
  /** Availability over the period: good / total, 1 with no traffic. */
  sli: number;
  errorBudget: ErrorBudget;
  burnRates: Record<BurnRateWindow, number>;
  alerts: SloAlertStatus[];
  policy: BudgetPolicy;
}

/** Everything the /v1/slo endpoint reports about one SLO, from counts the caller has already gathered. */
export function sloStatus(input: SloStatusInput): SloStatus {
  const { name, description = '', objective, periodDays, period, windows } = input;
  if (typeof name !== 'string' || name === '') {
    throw new InvalidSloInputError('name', name, 'a non-empty string');
  }
  assertObjective(objective);
  if (typeof windows !== 'object' || windows === null) {
    throw new InvalidSloInputError(
      'windows',
      windows,
      `an object with counts for ${BURN_RATE_WINDOWS.join(', ')}`,
    );
  }
  const burnRates = Object.fromEntries(
    BURN_RATE_WINDOWS.map((w) => [w, burnRateOf(windows[w], objective, `windows.${w}`)]),
  ) as Record<BurnRateWindow, number>;
  // A page needs both windows above the factor: the long one proves the burn is significant, the short
  // one that it is still going on.
  const alerts = alertWindows(periodDays).map((a) => ({
    ...a,
    firing: burnRates[a.longWindow] > a.factor && burnRates[a.shortWindow] > a.factor,
  }));
  const budget = errorBudget(objective, periodDays, period);
  return {
    name,
    description,
    objective,
    periodDays,
    sli: availability(period, 'period'),
    errorBudget: budget,
    burnRates,
    alerts,
    policy: budgetPolicy(budget.remainingRatio),
  };
}
