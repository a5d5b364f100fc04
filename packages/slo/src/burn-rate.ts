import { MINUTES_PER_DAY } from './duration.js';
import { InvalidSloInputError } from './errors.js';
import { errorBudgetRatio } from './objective.js';
import { errorRatio, type WindowCounts } from './sli.js';

/**
 * How fast the budget is being spent relative to spending exactly all of it by the end of the period:
 * 1 uses up the budget in one period, 14.4 uses 2 % of a 30-day budget in one hour.
 */
export function burnRate(ratioOfErrors: number, objective: number): number {
  if (typeof ratioOfErrors !== 'number' || !(ratioOfErrors >= 0 && ratioOfErrors <= 1)) {
    throw new InvalidSloInputError('errorRatio', ratioOfErrors, 'a ratio between 0 and 1');
  }
  return ratioOfErrors / errorBudgetRatio(objective);
}

/** Burn rate of one window's counts; 0 with no traffic. */
export function burnRateOf(counts: WindowCounts, objective: number, field?: string): number {
  return burnRate(errorRatio(counts, field), objective);
}

/**
 * Minutes until the remaining budget is gone at a steady burn rate, or null when it never will be
 * (null rather than Infinity so the value survives JSON). An overspent budget is exhausted now: 0.
 */
export function timeToExhaustion(remainingRatio: number, rate: number, periodDays: number): number | null {
  if (typeof remainingRatio !== 'number' || Number.isNaN(remainingRatio) || remainingRatio > 1) {
    throw new InvalidSloInputError('remainingRatio', remainingRatio, 'a number ≤ 1');
  }
  if (typeof rate !== 'number' || !(rate >= 0) || !Number.isFinite(rate)) {
    throw new InvalidSloInputError('burnRate', rate, 'a finite number ≥ 0');
  }
  if (!Number.isInteger(periodDays) || periodDays < 1) {
    throw new InvalidSloInputError('periodDays', periodDays, 'a whole number of days ≥ 1');
  }
  if (remainingRatio <= 0) return 0;
  if (rate === 0) return null;
  // The budget is budgetRatio × period and it drains at errorRatio = rate × budgetRatio per minute;
  // budgetRatio cancels out, so the objective is not needed.
  return (remainingRatio * periodDays * MINUTES_PER_DAY) / rate;
}
