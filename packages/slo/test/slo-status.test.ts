import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BURN_RATE_WINDOWS, type BurnRateWindow } from '../src/alert-windows.js';
import { InvalidSloInputError } from '../src/errors.js';
import type { WindowCounts } from '../src/sli.js';
import { type SloStatusInput, sloStatus } from '../src/slo-status.js';

const everyWindow = (counts: WindowCounts): Record<BurnRateWindow, WindowCounts> =>
  Object.fromEntries(BURN_RATE_WINDOWS.map((w) => [w, counts])) as Record<BurnRateWindow, WindowCounts>;

const input = (overrides: Partial<SloStatusInput> = {}): SloStatusInput => ({
  name: 'requests-availability',
  description: 'Requests that do not fail with a 5xx',
  objective: 0.999,
  periodDays: 30,
  period: { good: 999_500, total: 1_000_000 },
  windows: everyWindow({ good: 9_995, total: 10_000 }),
  ...overrides,
});

describe('sloStatus', () => {
  it('reports the shape the /v1/slo endpoint returns', () => {
    const status = sloStatus(input());
    expect(status).toMatchObject({
      name: 'requests-availability',
      description: 'Requests that do not fail with a 5xx',
      objective: 0.999,
      periodDays: 30,
      sli: 0.9995,
      policy: 'cautious',
    });
    expect(status.errorBudget.totalMinutes).toBe(43.2);
    expect(status.errorBudget.consumedMinutes).toBeCloseTo(21.6, 9);
    expect(status.errorBudget.remainingMinutes).toBeCloseTo(21.6, 9);
    expect(status.errorBudget.remainingRatio).toBeCloseTo(0.5, 9);
    expect(Object.keys(status.burnRates)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
    expect(status.burnRates['1h']).toBeCloseTo(0.5, 9);
    expect(
      status.alerts.map(({ severity, longWindow, shortWindow, factor, firing }) => ({
        severity,
        longWindow,
        shortWindow,
        factor,
        firing,
      })),
    ).toEqual([
      { severity: 'page', longWindow: '1h', shortWindow: '5m', factor: 14.4, firing: false },
      { severity: 'page', longWindow: '6h', shortWindow: '30m', factor: 6, firing: false },
      { severity: 'ticket', longWindow: '1d', shortWindow: '2h', factor: 3, firing: false },
      { severity: 'ticket', longWindow: '3d', shortWindow: '6h', factor: 1, firing: false },
    ]);
    expect(JSON.parse(JSON.stringify(status))).toEqual(status);
  });

  it('fires a page only when both its windows burn faster than the factor', () => {
    const windows = everyWindow({ good: 1000, total: 1000 });
    windows['1h'] = { good: 980, total: 1000 }; // burn 20
    windows['5m'] = { good: 980, total: 1000 };
    const firing = sloStatus(input({ windows })).alerts.filter((a) => a.firing);
    expect(firing.map((a) => a.tier)).toEqual(['page-fast']);

    windows['5m'] = { good: 1000, total: 1000 }; // the burn has stopped
    expect(sloStatus(input({ windows })).alerts.some((a) => a.firing)).toBe(false);
  });

  it('is all quiet with no traffic at all', () => {
    const status = sloStatus(
      input({ period: { good: 0, total: 0 }, windows: everyWindow({ good: 0, total: 0 }) }),
    );
    expect(status.sli).toBe(1);
    expect(Object.values(status.burnRates)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(status.alerts.some((a) => a.firing)).toBe(false);
    expect(status.errorBudget.remainingRatio).toBe(1);
    expect(status.policy).toBe('normal');
  });

  it('never reports NaN or Infinity', () => {
    const counts = fc
      .nat({ max: 1e9 })
      .chain((total) => fc.nat({ max: total }).map((good) => ({ good, total })));
    fc.assert(
      fc.property(counts, fc.array(counts, { minLength: 7, maxLength: 7 }), (period, list) => {
        const windows = Object.fromEntries(
          BURN_RATE_WINDOWS.map((w, i) => [w, list[i]]),
        ) as SloStatusInput['windows'];
        const status = sloStatus(input({ period, windows }));
        const numbers = [
          status.sli,
          ...Object.values(status.errorBudget),
          ...Object.values(status.burnRates),
        ];
        for (const n of numbers) expect(Number.isFinite(n)).toBe(true);
      }),
    );
  });

  it('names the window with bad counts', () => {
    const windows = everyWindow({ good: 1, total: 1 });
    windows['6h'] = { good: 5, total: 1 };
    expect(() => sloStatus(input({ windows }))).toThrow(InvalidSloInputError);
    expect(() => sloStatus(input({ windows }))).toThrow(/windows\.6h\.good must be .* got 5/);
    expect(() => sloStatus(input({ objective: 99.9 }))).toThrow(/objective must be a ratio/);
    expect(() => sloStatus(input({ name: '' }))).toThrow(/name must be a non-empty string/);
  });
});
