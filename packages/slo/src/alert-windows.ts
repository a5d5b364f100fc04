import { formatDuration, MINUTES_PER_DAY, parseDuration } from './duration.js';
import { assertPeriodDays } from './error-budget.js';
import { InvalidSloInputError } from './errors.js';

export type AlertSeverity = 'page' | 'ticket';
/** Fastest first. Alertmanager inhibits a slower tier of the same SLO while a faster one fires. */
export type AlertTier = 'page-fast' | 'page-slow' | 'ticket-fast' | 'ticket-slow';

/** The windows every SLO records by default, shortest first; each alert pairs a long and a short one of them. */
export const BURN_RATE_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type BurnRateWindow = (typeof BURN_RATE_WINDOWS)[number];

/**
 * One alert tier. `W` is the type of its windows: the default windows for the live SLI math, any duration
 * (`'10m'`) for a Sloth AlertWindows file.
 */
export interface AlertWindowDefinition<W extends string = BurnRateWindow> {
  severity: AlertSeverity;
  tier: AlertTier;
  longWindow: W;
  /** A twelfth of the long window in the workbook: it stops the alert soon after the burn stops. */
  shortWindow: W;
  /** Share of the period's budget that, spent within the long window, is worth this alert. */
  budgetPercent: number;
}

/** Google SRE Workbook, chapter 5, "Multiwindow, multi-burn-rate alerts", for a 30-day period. */
export const DEFAULT_ALERT_WINDOWS: readonly AlertWindowDefinition[] = [
  { severity: 'page', tier: 'page-fast', longWindow: '1h', shortWindow: '5m', budgetPercent: 2 },
  { severity: 'page', tier: 'page-slow', longWindow: '6h', shortWindow: '30m', budgetPercent: 5 },
  { severity: 'ticket', tier: 'ticket-fast', longWindow: '1d', shortWindow: '2h', budgetPercent: 10 },
  { severity: 'ticket', tier: 'ticket-slow', longWindow: '3d', shortWindow: '6h', budgetPercent: 10 },
];

/** The workbook's period, and the ones Sloth ships windows for (the same budget shares). */
const WORKBOOK_PERIOD_DAYS = 30;
const SLOTH_PERIOD_DAYS: readonly number[] = [28, 30];

/** Minutes in a window; the windows are checked durations, so this only throws on a programming error. */
export function windowMinutes(window: string): number {
  const minutes = parseDuration(window);
  if (minutes === undefined) throw new InvalidSloInputError('window', window, 'a duration such as 5m or 1h');
  return minutes;
}

/** A period must hold the longest window, or its factor would describe more budget than there is. */
export const MIN_PERIOD_DAYS =
  Math.max(...DEFAULT_ALERT_WINDOWS.map((d) => windowMinutes(d.longWindow))) / MINUTES_PER_DAY;

export interface AlertWindow<W extends string = BurnRateWindow> extends AlertWindowDefinition<W> {
  /** Burn rate both windows must exceed. */
  factor: number;
}

/**
 * budgetPercent × period / longWindow. Both sides are whole numbers, so this is a single correctly
 * rounded division: 2 % of 30 days in 1 hour is the double 14.4 itself, not 14.399999999999999.
 */
export function burnRateFactor(budgetPercent: number, periodDays: number, longWindowMinutes: number): number {
  return (budgetPercent * periodDays * MINUTES_PER_DAY) / (100 * longWindowMinutes);
}

function checkLongest(periodDays: number, definitions: readonly AlertWindowDefinition<string>[]): void {
  assertPeriodDays(periodDays);
  const longest = Math.max(...definitions.map((d) => windowMinutes(d.longWindow)));
  if (periodDays * MINUTES_PER_DAY < longest) {
    throw new InvalidSloInputError(
      'periodDays',
      periodDays,
      `at least as long as the longest alert window (${formatDuration(longest)})`,
    );
  }
}

/**
 * The alert tiers of a period. Given definitions (a Sloth AlertWindows file), their budget shares are
 * used as they are. Without, 30 and 28 days use the workbook's shares, as Sloth does; any other period
 * keeps the workbook's 30-day burn rates (14.4, 6, 3, 1) and spends the matching share of its own budget.
 * Scaling the shares instead would page a 7-day SLO at a burn rate of 0.7 and ticket it at 0.23, below 1,
 * on SLOs that end the week inside their budget; Sloth refuses such periods without a windows file.
 */
export function alertWindows<W extends string = BurnRateWindow>(
  periodDays: number,
  definitions?: readonly AlertWindowDefinition<W>[],
): AlertWindow<W>[] {
  const defs =
    definitions ??
    (DEFAULT_ALERT_WINDOWS as readonly AlertWindowDefinition<string>[] as readonly AlertWindowDefinition<W>[]);
  checkLongest(periodDays, defs);
  const derived = definitions === undefined && !SLOTH_PERIOD_DAYS.includes(periodDays);
  return defs.map(({ severity, tier, longWindow, shortWindow, budgetPercent }) => {
    const long = windowMinutes(longWindow);
    if (!derived) {
      return {
        severity,
        tier,
        longWindow,
        shortWindow,
        budgetPercent,
        factor: burnRateFactor(budgetPercent, periodDays, long),
      };
    }
    return {
      severity,
      tier,
      longWindow,
      shortWindow,
      budgetPercent: (budgetPercent * WORKBOOK_PERIOD_DAYS) / periodDays,
      factor: burnRateFactor(budgetPercent, WORKBOOK_PERIOD_DAYS, long),
    };
  });
}
