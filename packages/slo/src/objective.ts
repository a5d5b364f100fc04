import { decimal, shiftRight, subtract, toNumber } from './decimal.js';
import { InvalidSloInputError } from './errors.js';

const ONE = decimal(1);

/** Objectives are ratios in the math (0.999); specs write percentages (99.9) and convert at the edge. */
export function assertObjective(objective: number, field = 'objective'): void {
  if (typeof objective !== 'number' || !(objective > 0 && objective < 1)) {
    throw new InvalidSloInputError(
      field,
      objective,
      'a ratio strictly between 0 and 1, e.g. 0.999 for 99.9 %',
    );
  }
}

/** The fraction of events allowed to fail, computed in decimal so 1 − 0.99999 is exactly 0.00001. */
export function errorBudgetRatio(objective: number): number {
  assertObjective(objective);
  return toNumber(subtract(ONE, decimal(objective)));
}

/** 99.999 → 0.99999 without float noise (99.999 / 100 is 0.9999899999999999). */
export function objectiveFromPercent(percent: number, field = 'objective'): number {
  if (typeof percent !== 'number' || !(percent > 0 && percent < 100)) {
    throw new InvalidSloInputError(field, percent, 'a percentage strictly between 0 and 100, e.g. 99.9');
  }
  return toNumber(shiftRight(decimal(percent), 2));
}
