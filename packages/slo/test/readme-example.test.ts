import { expect, it } from 'vitest';
import { BURN_RATE_WINDOWS, type BurnRateWindow, sloStatus, type WindowCounts } from '../src/index.js';

it('gives the numbers the README example shows', () => {
  const windows = Object.fromEntries(
    BURN_RATE_WINDOWS.map((w) => [w, { good: 9_990, total: 10_000 }]),
  ) as Record<BurnRateWindow, WindowCounts>;
  windows['5m'] = windows['1h'] = { good: 9_000, total: 10_000 }; // 10 % errors in the last hour

  const status = sloStatus({
    name: 'requests-availability',
    description: 'Requests that do not fail with a 5xx',
    objective: 0.999,
    periodDays: 30,
    period: { good: 9_996_000, total: 10_000_000 },
    windows,
  });
  expect(status.errorBudget).toEqual({
    totalMinutes: 43.2,
    consumedMinutes: 17.28,
    remainingMinutes: 25.92,
    remainingRatio: 0.6,
  });
  expect(status.burnRates).toMatchObject({ '5m': 100, '30m': 1, '1h': 100 });
  expect(status.alerts[0]).toEqual({
    severity: 'page',
    tier: 'page-fast',
    longWindow: '1h',
    shortWindow: '5m',
    budgetPercent: 2,
    factor: 14.4,
    firing: true,
  });
  expect(status.policy).toBe('cautious');
});
