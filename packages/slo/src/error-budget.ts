import { burnRateOf } from './burn-rate.js';
import { decimal, multiply, toNumber } from './decimal.js';
import { MINUTES_PER_DAY } from './duration.js';
import { InvalidSloInputError } from './errors.js';
import { assertObjective, errorBudgetRatio } from './objective.js';
import type { WindowCounts } from './sli.js';

export interface ErrorBudget {
  /** Minutes of full outage the period allows: 43.2 for 99.9 % over 30 days. */
  totalMinutes: number;
  consumedMinutes: number;
  /** totalMinutes − consumedMinutes; negative once the budget is overspent. */
  remainingMinutes: number;
  /** 1 − consumed/total: 1 untouched, 0 exhausted, below 0 overspent (down to 1 − 1/budgetRatio). */
  remainingRatio: number;
}

export function assertPeriodDays(periodDays: number, field = 'periodDays'): void {
  if (!Number.isInteger(periodDays) || periodDays < 1) {
    throw new InvalidSloInputError(field, periodDays, 'a whole number of days ≥ 1');
  }
}

/** (1 − objective) × period, in decimal so 99.9 % over 30 days is exactly 43.2. */
export function errorBudgetMinutes(objective: number, periodDays: number): number {
  assertObjective(objective);
  assertPeriodDays(periodDays);
  return toNumber(multiply(decimal(errorBudgetRatio(objective)), decimal(periodDays * MINUTES_PER_DAY)));
}

/**
 * The budget of a rolling period given the counts over that period. Overspending is not clamped: the
 * status endpoint and the `slo:period_error_budget_remaining:ratio` record then report the same number.
 */
export function errorBudget(objective: number, periodDays: number, period: WindowCounts): ErrorBudget {
  const totalMinutes = errorBudgetMinutes(objective, periodDays);
  // The period burn rate is the fraction of the budget spent: burn 1 for a whole period spends all of it.
  const consumedRatio = burnRateOf(period, objective, 'period');
  const consumedMinutes = consumedRatio * totalMinutes;
  return {
    totalMinutes,
    consumedMinutes,
    remainingMinutes: totalMinutes - consumedMinutes,
    remainingRatio: 1 - consumedRatio,
  };
}
