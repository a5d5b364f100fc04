import { burnRateOf } from './burn-rate.js';
import { parseDuration } from './duration.js';
import type { SliMinute } from './sli-buckets.js';
import { MINUTE_MS, minuteOf } from './sli-windows.js';

/** The spans `GET /v1/slo/:name/history` draws; the longest is the default period. */
export const HISTORY_WINDOWS = ['1h', '6h', '1d', '3d', '7d', '30d'] as const;
export type HistoryWindow = (typeof HISTORY_WINDOWS)[number];
export const DEFAULT_HISTORY_WINDOW: HistoryWindow = '6h';
/** A chart is a few hundred pixels wide: longer windows get wider steps, never more points. */
export const MAX_HISTORY_POINTS = 360;

/** The steps a window is cut into: `count` buckets of `stepMs`, the first starting at `from`, the last now. */
export interface HistoryPlan {
  window: HistoryWindow;
  stepMs: number;
  from: number;
  count: number;
}

/**
 * Buckets are aligned on multiples of the step since the epoch, so two reads a minute apart share all their
 * buckets but the newest; the last one holds the current minute and is still filling.
 */
export function historyPlan(now: number, window: HistoryWindow): HistoryPlan {
  const minutes = parseDuration(window) as number;
  const stepMs = Math.ceil(minutes / MAX_HISTORY_POINTS) * MINUTE_MS;
  const count = Math.ceil((minutes * MINUTE_MS) / stepMs);
  const last = bucketOf(minuteOf(now), stepMs);
  return { window, stepMs, from: last - (count - 1) * stepMs, count };
}

export const bucketOf = (minute: number, stepMs: number): number => Math.floor(minute / stepMs) * stepMs;

export interface SliHistoryPoint {
  /** Start of the step, ms since the epoch. */
  at: number;
  good: number;
  total: number;
  /** good / total in this step; null without traffic (a gap, not a perfect score). */
  sli: number | null;
  /** The step's error ratio over the error budget; null without traffic. */
  burnRate: number | null;
}

/** One point per step of the plan, oldest first, summing every row whose minute falls in it. */
export function historyPoints(
  plan: HistoryPlan,
  rows: readonly Pick<SliMinute, 'minute' | 'good' | 'total'>[],
  objective: number,
): SliHistoryPoint[] {
  const sums = new Map<number, { good: number; total: number }>();
  for (const { minute, good, total } of rows) {
    const at = bucketOf(minute, plan.stepMs);
    if (at < plan.from) continue;
    const sum = sums.get(at) ?? { good: 0, total: 0 };
    sum.good += good;
    sum.total += total;
    sums.set(at, sum);
  }
  return Array.from({ length: plan.count }, (_, i) => {
    const at = plan.from + i * plan.stepMs;
    const counts = sums.get(at) ?? { good: 0, total: 0 };
    const traffic = counts.total > 0;
    return {
      at,
      ...counts,
      sli: traffic ? counts.good / counts.total : null,
      burnRate: traffic ? burnRateOf(counts, objective) : null,
    };
  });
}
