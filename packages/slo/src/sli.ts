import { InvalidSloInputError } from './errors.js';

/** Events observed in one window: how many were good out of how many in total. */
export interface WindowCounts {
  good: number;
  total: number;
}

export function assertCounts(counts: WindowCounts, field = 'counts'): void {
  if (typeof counts !== 'object' || counts === null) {
    throw new InvalidSloInputError(field, counts, 'an object { good, total }');
  }
  const { good, total } = counts;
  if (typeof total !== 'number' || !Number.isFinite(total) || total < 0) {
    throw new InvalidSloInputError(`${field}.total`, total, 'a finite number ≥ 0');
  }
  if (typeof good !== 'number' || !Number.isFinite(good) || good < 0 || good > total) {
    throw new InvalidSloInputError(`${field}.good`, good, `a finite number between 0 and total (${total})`);
  }
}

/** Share of good events. With no traffic nothing has failed, so availability is 1 rather than 0/0. */
export function availability(counts: WindowCounts, field?: string): number {
  assertCounts(counts, field);
  return counts.total === 0 ? 1 : counts.good / counts.total;
}

/** Share of bad events; 0 with no traffic, never NaN. */
export function errorRatio(counts: WindowCounts, field?: string): number {
  assertCounts(counts, field);
  // total − good is exact for integer counts; 1 − good/total would add rounding noise.
  return counts.total === 0 ? 0 : (counts.total - counts.good) / counts.total;
}
