import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertWindows, burnRateFactor } from '../src/alert-windows.js';
import { budgetPolicy } from '../src/budget-policy.js';
import { burnRate, burnRateOf, timeToExhaustion } from '../src/burn-rate.js';
import { formatDuration, MINUTES_PER_DAY } from '../src/duration.js';
import { errorBudget, errorBudgetMinutes } from '../src/error-budget.js';
import { InvalidSloInputError } from '../src/errors.js';
import { errorBudgetRatio, objectiveFromPercent } from '../src/objective.js';
import { availability, errorRatio } from '../src/sli.js';

/** Objectives people write: 90 % to 99.9999 %, with up to six decimal digits. */
const objective = fc
  .integer({ min: 1, max: 9_999 })
  .chain((budget) =>
    fc
      .constantFrom(4, 5, 6)
      .filter((digits) => budget < 10 ** digits)
      .map((digits) => ({ budget, digits })),
  )
  .map(({ budget, digits }) => Number(`0.${String(10 ** digits - budget).padStart(digits, '0')}`));
const periodDays = fc.integer({ min: 3, max: 400 });
const counts = fc
  .nat({ max: 1_000_000_000 })
  .chain((total) => fc.nat({ max: total }).map((good) => ({ good, total })));

describe('error budget', () => {
  it('is 43.2 minutes for 99.9 % over 30 days', () => {
    expect(errorBudgetMinutes(0.999, 30)).toBe(43.2);
    expect(errorBudgetRatio(0.999)).toBe(0.001);
  });

  it('keeps full precision for many nines', () => {
    expect(errorBudgetRatio(0.99999)).toBe(0.00001);
    expect(String(errorBudgetRatio(0.99999))).toBe('0.00001');
    expect(objectiveFromPercent(99.999)).toBe(0.99999);
    expect(errorBudgetMinutes(0.99999, 30)).toBe(0.432);
    expect(errorBudgetRatio(objectiveFromPercent(99.99999))).toBe(1e-7);
  });

  it('has remaining + consumed = total for any counts', () => {
    fc.assert(
      fc.property(objective, periodDays, counts, (o, days, period) => {
        const budget = errorBudget(o, days, period);
        expect(budget.remainingMinutes + budget.consumedMinutes).toBeCloseTo(budget.totalMinutes, 9);
        expect(budget.totalMinutes).toBe(errorBudgetMinutes(o, days));
      }),
    );
  });

  it('is spent exactly by a burn rate of 1 over the whole period', () => {
    fc.assert(
      fc.property(objective, periodDays, fc.integer({ min: 1, max: 1000 }), (o, days, scale) => {
        // Counts whose error ratio is exactly the budget ratio: budget digits out of 10^digits events.
        const digits = String(o).length - 2;
        const total = scale * 10 ** digits;
        const bad = Math.round(errorBudgetRatio(o) * 10 ** digits) * scale;
        const budget = errorBudget(o, days, { good: total - bad, total });
        expect(burnRateOf({ good: total - bad, total }, o)).toBe(1);
        expect(budget.consumedMinutes).toBe(budget.totalMinutes);
        expect(budget.remainingMinutes).toBe(0);
        expect(budget.remainingRatio).toBe(0);
        expect(timeToExhaustion(1, 1, days)).toBe(days * 24 * 60);
      }),
    );
  });

  it('lets remainingRatio go below 0 when overspent, down to 1 − 1/budget when everything fails', () => {
    fc.assert(
      fc.property(objective, periodDays, counts, (o, days, period) => {
        const { remainingRatio, remainingMinutes } = errorBudget(o, days, period);
        expect(remainingRatio).toBeLessThanOrEqual(1);
        expect(remainingRatio).toBeGreaterThanOrEqual(1 - 1 / errorBudgetRatio(o) - 1e-9);
        expect(Math.sign(remainingMinutes)).toBe(Math.sign(remainingRatio));
      }),
    );
    expect(errorBudget(0.999, 30, { good: 0, total: 10 }).remainingRatio).toBeCloseTo(-999, 9);
    expect(errorBudget(0.999, 30, { good: 998, total: 1000 }).remainingMinutes).toBeCloseTo(-43.2, 9);
  });
});

describe('zero traffic', () => {
  it('is fully available, burns nothing and spends no budget', () => {
    expect(availability({ good: 0, total: 0 })).toBe(1);
    expect(errorRatio({ good: 0, total: 0 })).toBe(0);
    expect(burnRateOf({ good: 0, total: 0 }, 0.999)).toBe(0);
    expect(errorBudget(0.999, 30, { good: 0, total: 0 })).toEqual({
      totalMinutes: 43.2,
      consumedMinutes: 0,
      remainingMinutes: 43.2,
      remainingRatio: 1,
    });
    expect(timeToExhaustion(1, 0, 30)).toBeNull();
  });

  it('never yields NaN or Infinity for any counts', () => {
    fc.assert(
      fc.property(objective, periodDays, counts, (o, days, c) => {
        const values = [
          availability(c),
          errorRatio(c),
          burnRateOf(c, o),
          ...Object.values(errorBudget(o, days, c)),
          timeToExhaustion(errorBudget(o, days, c).remainingRatio, burnRateOf(c, o), days) ?? 0,
        ];
        for (const v of values) expect(Number.isFinite(v)).toBe(true);
      }),
    );
  });
});

describe('burn rate', () => {
  it('is the error ratio over the budget ratio', () => {
    expect(burnRate(0.0144, 0.999)).toBeCloseTo(14.4, 12);
    expect(burnRateOf({ good: 900, total: 1000 }, 0.999)).toBeCloseTo(100, 9);
  });

  it('runs out the budget in period / rate', () => {
    expect(timeToExhaustion(1, 14.4, 30)).toBe(3000);
    expect(timeToExhaustion(0.5, 2, 30)).toBe(10_800);
    expect(timeToExhaustion(-0.2, 2, 30)).toBe(0);
  });

  it('consumes 2 % of a 30-day budget in one hour at 14.4', () => {
    // 14.4 × 0.001 of an hour's requests fail: 0.864 of the 43.2 budget minutes.
    const consumed = 14.4 * 0.001 * 60;
    expect(consumed / errorBudgetMinutes(0.999, 30)).toBeCloseTo(0.02, 12);
  });
});

describe('alert windows', () => {
  it('are the workbook factors for 30 days, as exact numbers', () => {
    expect(alertWindows(30).map((w) => [w.severity, w.tier, w.longWindow, w.shortWindow, w.factor])).toEqual([
      ['page', 'page-fast', '1h', '5m', 14.4],
      ['page', 'page-slow', '6h', '30m', 6],
      ['ticket', 'ticket-fast', '1d', '2h', 3],
      ['ticket', 'ticket-slow', '3d', '6h', 1],
    ]);
  });

  it('scale with the period', () => {
    expect(alertWindows(28).map((w) => w.factor)).toEqual([13.44, 5.6, 2.8, 28 / 30]);
    // Other periods keep the 30-day burn rates and spend a larger share of their smaller budget.
    expect(alertWindows(7).map((w) => w.factor)).toEqual([14.4, 6, 3, 1]);
    expect(alertWindows(7).map((w) => w.budgetPercent)).toEqual([60 / 7, 150 / 7, 300 / 7, 300 / 7]);
  });

  it('spend budgetPercent of the budget over the long window at exactly the factor', () => {
    fc.assert(
      fc.property(periodDays, (days) => {
        for (const w of alertWindows(days)) {
          const longMinutes = { '1h': 60, '6h': 360, '1d': 1440, '3d': 4320 }[w.longWindow as '1h'];
          expect((w.factor * longMinutes) / (days * 1440)).toBeCloseTo(w.budgetPercent / 100, 12);
          if (days === 28 || days === 30)
            expect(w.factor).toBe(burnRateFactor(w.budgetPercent, days, longMinutes));
          expect(w.factor).toBeGreaterThanOrEqual(days === 28 ? 28 / 30 : 1);
        }
      }),
    );
  });

  it('reject periods shorter than the longest window', () => {
    expect(() => alertWindows(2)).toThrow(
      /periodDays must be at least as long as the longest alert window \(3d\); got 2/,
    );
  });
});

describe('budget policy', () => {
  it.each([
    [1, 'normal'],
    [0.75, 'normal'],
    [0.7499, 'cautious'],
    [0.5, 'cautious'],
    [0.49, 'slow'],
    [0.25, 'slow'],
    [0.2499, 'freeze'],
    [0, 'freeze'],
    [-3, 'freeze'],
  ] as const)('maps %s remaining to %s', (remaining, policy) => {
    expect(budgetPolicy(remaining)).toBe(policy);
  });
});

describe('invalid input', () => {
  it.each([
    [() => errorBudgetRatio(99.9), /objective must be a ratio strictly between 0 and 1.*got 99.9/],
    [() => errorBudgetRatio(1), /objective .* got 1$/],
    [() => errorBudgetMinutes(0.999, 0), /periodDays must be a whole number of days ≥ 1; got 0/],
    [() => errorBudgetMinutes(0.999, 1.5), /periodDays .* got 1.5/],
    [() => availability({ good: 11, total: 10 }), /counts.good must be .* got 11/],
    [() => errorRatio({ good: 1, total: -1 }), /counts.total must be .* got -1/],
    [() => errorRatio({ good: Number.NaN, total: 3 }), /counts.good .* got NaN/],
    [() => burnRate(2, 0.999), /errorRatio must be a ratio between 0 and 1; got 2/],
    [() => timeToExhaustion(1, -1, 30), /burnRate must be a finite number ≥ 0; got -1/],
    [() => budgetPolicy(Number.NaN), /remainingRatio must be a number; got NaN/],
  ])('throws a named error (%#)', (call, message) => {
    expect(call).toThrow(InvalidSloInputError);
    expect(call).toThrow(message);
  });
});

describe('formatDuration', () => {
  it('writes durations as Prometheus and Sloth do: exact weeks as weeks', () => {
    expect([7, 14, 28, 30, 90, 365].map((days) => formatDuration(days * MINUTES_PER_DAY))).toEqual([
      '1w',
      '2w',
      '4w',
      '30d',
      '90d',
      '1y',
    ]);
    expect([5, 30, 60, 90, 360, 4320].map(formatDuration)).toEqual(['5m', '30m', '1h', '1h30m', '6h', '3d']);
  });

  it('always adds up to the duration it was given', () => {
    const minutesIn = { y: 365 * MINUTES_PER_DAY, w: 7 * MINUTES_PER_DAY, d: MINUTES_PER_DAY, h: 60, m: 1 };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (minutes) => {
        const parts = [...formatDuration(minutes).matchAll(/(\d+)([ywdhm])/g)];
        const sum = parts.reduce((total, [, n, unit]) => total + Number(n) * minutesIn[unit as 'm'], 0);
        expect(sum).toBe(minutes);
      }),
    );
  });
});
