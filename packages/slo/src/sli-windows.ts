import { BURN_RATE_WINDOWS, type BurnRateWindow, windowMinutes } from './alert-windows.js';
import { MINUTES_PER_DAY } from './duration.js';
import type { WindowCounts } from './sli.js';

export const MINUTE_MS = 60_000;

/** The start of the minute holding `ms`: the key of its bucket. */
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** Every window `sloStatus()` needs: the whole period and the burn-rate windows. */
export type SliWindow = 'period' | BurnRateWindow;
export const SLI_WINDOWS: readonly SliWindow[] = ['period', ...BURN_RATE_WINDOWS];
export type SliCounts = Record<SliWindow, WindowCounts>;

/**
 * For each window, the bound a minute bucket must start after to be counted. With `now` at 12:03:30 the
 * 5m window holds the buckets 11:59 … 12:03: five buckets, the last one still filling.
 */
export function windowStarts(now: number, periodDays: number): Record<SliWindow, number> {
  return { period: now - periodDays * MINUTES_PER_DAY * MINUTE_MS, ...burnWindowStarts(now) };
}

/** The burn-rate windows alone, which do not depend on the period. */
export function burnWindowStarts(now: number): Record<BurnRateWindow, number> {
  return Object.fromEntries(BURN_RATE_WINDOWS.map((w) => [w, now - windowMinutes(w) * MINUTE_MS])) as Record<
    BurnRateWindow,
    number
  >;
}

export function emptyCounts(): SliCounts {
  return Object.fromEntries(SLI_WINDOWS.map((w) => [w, { good: 0, total: 0 }])) as SliCounts;
}

export function addCounts(a: SliCounts, b: SliCounts): SliCounts {
  return Object.fromEntries(
    SLI_WINDOWS.map((w) => [w, { good: a[w].good + b[w].good, total: a[w].total + b[w].total }]),
  ) as SliCounts;
}
