import { InvalidSloInputError } from './errors.js';

/** What the team does with the error budget left: ship as usual, carefully, slowly, or only fixes. */
export type BudgetPolicy = 'normal' | 'cautious' | 'slow' | 'freeze';

export interface BudgetPolicyThresholds {
  /** Remaining ratio at or above which the policy is `normal`. */
  normal: number;
  cautious: number;
  slow: number;
}

export const DEFAULT_POLICY_THRESHOLDS: BudgetPolicyThresholds = { normal: 0.75, cautious: 0.5, slow: 0.25 };

/** Each tier includes its lower bound: exactly 75 % left is still `normal`; an overspent budget is `freeze`. */
export function budgetPolicy(
  remainingRatio: number,
  thresholds: BudgetPolicyThresholds = DEFAULT_POLICY_THRESHOLDS,
): BudgetPolicy {
  if (typeof remainingRatio !== 'number' || Number.isNaN(remainingRatio)) {
    throw new InvalidSloInputError('remainingRatio', remainingRatio, 'a number');
  }
  if (remainingRatio >= thresholds.normal) return 'normal';
  if (remainingRatio >= thresholds.cautious) return 'cautious';
  if (remainingRatio >= thresholds.slow) return 'slow';
  return 'freeze';
}
