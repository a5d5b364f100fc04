import { formatDuration, MINUTES_PER_DAY } from './duration.js';
import { assertPeriodDays } from './error-budget.js';
import { InvalidSloInputError } from './errors.js';

export type AlertSeverity = 'page' | 'ticket';
/** Fastest first. Alertmanager inhibits a slower tier of the same SLO while a faster one fires. */
export type AlertTier = 'page-fast' | 'page-slow' | 'ticket-fast' | 'ticket-slow';

/** The windows every SLO records, shortest first; each alert pairs a long and a short one of them. */
export const BURN_RATE_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type BurnRateWindow = (typeof BURN_RATE_WINDOWS)[number];

export interface AlertWindowDefinition {
  severity: AlertSeverity;
  tier: AlertTier;
  longWindow: BurnRateWindow;
  /** A twelfth of the long window: it stops the alert soon after the burn stops. */
  shortWindow: BurnRateWindow;
  /** Share of the period's budget that, spent within the long window, is worth this alert. */
  budgetPercent: number;
}

/** Google SRE Workbook, chapter 5, "Multiwindow, multi-burn-rate alerts". */
export const DEFAULT_ALERT_WINDOWS: readonly AlertWindowDefinition[] = [
  { severity: 'page', tier: 'page-fast', longWindow: '1h', shortWindow: '5m', budgetPercent: 2 },
  { severity: 'page', tier: 'page-slow', longWindow: '6h', shortWindow: '30m', budgetPercent: 5 },
  { severity: 'ticket', tier: 'ticket-fast', longWindow: '1d', shortWindow: '2h', budgetPercent: 10 },
  { severity: 'ticket', tier: 'ticket-slow', longWindow: '3d', shortWindow: '6h', budgetPercent: 10 },
];

const WINDOW_MINUTES: Record<BurnRateWindow, number> = {
  '5m': 5,
  '30m': 30,
  '1h': 60,
  '2h': 120,
  '6h': 360,
  '1d': MINUTES_PER_DAY,
  '3d': 3 * MINUTES_PER_DAY,
};

/** A period must hold the longest window, or its factor would describe more budget than there is. */
export const MIN_PERIOD_DAYS =
  Math.max(...DEFAULT_ALERT_WINDOWS.map((d) => WINDOW_MINUTES[d.longWindow])) / MINUTES_PER_DAY;

export const windowMinutes = (window: BurnRateWindow): number => WINDOW_MINUTES[window];

export interface AlertWindow {
  severity: AlertSeverity;
  tier: AlertTier;
  longWindow: BurnRateWindow;
  shortWindow: BurnRateWindow;
  budgetPercent: number;
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

export function alertWindows(
  periodDays: number,
  definitions: readonly AlertWindowDefinition[] = DEFAULT_ALERT_WINDOWS,
): AlertWindow[] {
  assertPeriodDays(periodDays);
  const longest = Math.max(...definitions.map((d) => WINDOW_MINUTES[d.longWindow]));
  if (periodDays * MINUTES_PER_DAY < longest) {
    throw new InvalidSloInputError(
      'periodDays',
      periodDays,
      `at least as long as the longest alert window (${formatDuration(longest)})`,
    );
  }
  return definitions.map(({ severity, tier, longWindow, shortWindow, budgetPercent }) => ({
    severity,
    tier,
    longWindow,
    shortWindow,
    budgetPercent,
    factor: burnRateFactor(budgetPercent, periodDays, WINDOW_MINUTES[longWindow]),
  }));
}
