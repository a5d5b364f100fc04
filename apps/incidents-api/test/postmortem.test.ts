import { describe, expect, it } from 'vitest';
import { alertFacts, type IncidentAlert } from '../src/alerts/alert-facts.js';
import { budgetConsumed } from '../src/incidents/postmortem.js';

const alert = (
  annotations: Record<string, string>,
  startsAt: string,
  endsAt: string | null,
): IncidentAlert => ({
  fingerprint: 'f',
  alertname: 'A',
  status: endsAt === null ? 'firing' : 'resolved',
  summary: null,
  startsAt,
  endsAt,
  ...alertFacts({ sloth_tier: 'page-fast' }, annotations),
});

describe('the error budget an incident consumed', () => {
  it('is the worst error ratio over the firing time, as a share of the period’s budget', () => {
    // 1 % errors for an hour against 99.9 % over 30 days: 36 s of 2,592 s of budget.
    const facts = { error_ratio: '0.01', objective: '99.9', period_days: '30' };
    const consumed = budgetConsumed(
      [
        alert(facts, '2026-12-02T10:00:00Z', '2026-12-02T10:30:00Z'),
        alert({ ...facts, error_ratio: '0.005' }, '2026-12-02T10:10:00Z', '2026-12-02T11:00:00Z'),
      ],
      new Date('2026-12-02T12:00:00Z'),
    );
    expect(consumed).toBeCloseTo(36 / 2592, 12);
  });

  it('counts a firing alert up to now, and is unknown without error ratio, objective or period', () => {
    const now = new Date('2026-12-02T10:30:00Z');
    const facts = { error_ratio: '0.02', objective: '99', period_days: '28' };
    expect(budgetConsumed([alert(facts, '2026-12-02T10:00:00Z', null)], now)).toBeCloseTo(
      (0.02 * 1800) / (0.01 * 28 * 86_400),
      12,
    );
    expect(
      budgetConsumed([alert({ error_ratio: '0.02', objective: '99' }, '2026-12-02T10:00:00Z', null)], now),
    ).toBeNull();
    expect(
      budgetConsumed(
        [alert({ error_ratio: 'NaN', objective: '99', period_days: '28' }, '2026-12-02T10:00:00Z', null)],
        now,
      ),
    ).toBeNull();
    expect(budgetConsumed([], now)).toBeNull();
  });

  it('reads windows from the alert before the tier’s defaults, and refuses objectives outside (0, 100)', () => {
    expect(alertFacts({ sloth_tier: 'page-fast' }, { long_window: '2h', short_window: '10m' })).toMatchObject(
      {
        longWindow: '2h',
        shortWindow: '10m',
        defaultWindows: false,
      },
    );
    expect(alertFacts({}, {})).toMatchObject({ longWindow: null, shortWindow: null, defaultWindows: false });
    expect(alertFacts({}, { objective: '100' }).objective).toBeNull();
    expect(alertFacts({}, { objective: '0' }).objective).toBeNull();
    expect(alertFacts({}, { burn_rate_threshold: '14.4' }).burnRateThreshold).toBe(14.4);
  });
});
