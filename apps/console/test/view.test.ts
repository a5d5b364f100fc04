import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Incident, IncidentEvent, SloHistory } from '../src/web/types.js';
import {
  age,
  applyIncidentEvent,
  BURN_AXIS_FLOOR,
  budgetTone,
  budgetWidth,
  burn,
  burnLegend,
  burnOnAxis,
  burnRange,
  burnTick,
  duration,
  failureMessage,
  historyColumns,
  incidentFilters,
  incidentQuery,
  incidentsHash,
  legalTransitions,
  thresholdLines,
} from '../src/web/view.js';

const incident = (id: string, status: Incident['status'] = 'open', version = 1): Incident => ({
  id,
  title: `incident ${id}`,
  description: null,
  severity: 'high',
  priority: 'P2',
  status,
  version,
  serviceIds: [],
  services: [],
  groupKey: null,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  acknowledgedAt: null,
  resolvedAt: null,
});
const event = (changed: Incident): IncidentEvent => ({
  id: 1,
  type: 'incident.updated',
  incidentId: changed.id,
  createdAt: changed.updatedAt,
  incident: changed,
});

describe('the budget bar', () => {
  it('is green, amber or red by the budget policy tier', () => {
    expect(budgetTone('normal')).toBe('good');
    expect(budgetTone('cautious')).toBe('warn');
    expect(budgetTone('slow')).toBe('bad');
    expect(budgetTone('freeze')).toBe('bad');
  });

  it('is as wide as the remaining budget, clamped to 0–100 %', () => {
    expect(budgetWidth(0.5)).toBe('50%');
    expect(budgetWidth(-3)).toBe('0%');
    expect(budgetWidth(1.2)).toBe('100%');
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (ratio) => {
        const width = Number.parseInt(budgetWidth(ratio), 10);
        expect(width).toBeGreaterThanOrEqual(0);
        expect(width).toBeLessThanOrEqual(100);
      }),
    );
  });
});

describe('texts', () => {
  it('write durations and ages coarsely', () => {
    expect(duration(42)).toBe('42s');
    expect(duration(125)).toBe('2m 5s');
    expect(duration(3 * 3600 + 300)).toBe('3h 5m');
    expect(duration(2 * 86400 + 4 * 3600)).toBe('2d 4h');
    expect(age('2026-12-01T10:00:00.000Z', Date.parse('2026-12-01T10:12:00.000Z'))).toBe('12m 0s');
    expect(age('2026-12-01T10:00:00.000Z', Date.parse('2026-12-01T09:00:00.000Z'))).toBe('0s');
  });

  it('write burn rates with three significant digits', () => {
    expect(burn(0)).toBe('0');
    expect(burn(14.4)).toBe('14.4×');
    expect(burn(1000 / 3)).toBe('333×');
  });

  it('explain each failure in words, a conflict above all', () => {
    expect(
      failureMessage({ status: 412, code: 'PRECONDITION_FAILED', message: 'x' }, 'incidents-api'),
    ).toContain('Someone else changed this incident');
    expect(
      failureMessage({ status: 503, code: 'DEPENDENCY_UNAVAILABLE', message: '' }, 'users-api'),
    ).toContain('users-api is down');
    expect(failureMessage({ status: 0, code: 'NETWORK', message: '' }, 'users-api')).toContain('down');
    expect(failureMessage({ status: 401, code: 'UNAUTHENTICATED', message: '' }, 's')).toContain('token');
    expect(failureMessage({ status: 422, code: 'INVALID', message: 'Nope' }, 's')).toBe('Nope');
  });
});

describe('the status buttons', () => {
  it('offer only the moves the service accepts', () => {
    expect(legalTransitions('open')).toEqual(['investigating', 'identified', 'monitoring', 'resolved']);
    expect(legalTransitions('monitoring')).toEqual(['resolved']);
    expect(legalTransitions('resolved')).toEqual(['investigating']);
  });
});

describe('the live list of active incidents', () => {
  it('puts a new incident first, replaces a changed one in place and drops a resolved one', () => {
    const list = [incident('a'), incident('b')];
    expect(applyIncidentEvent(list, event(incident('c'))).map((i) => i.id)).toEqual(['c', 'a', 'b']);
    const changed = applyIncidentEvent(list, event(incident('b', 'investigating', 2)));
    expect(changed.map((i) => [i.id, i.status])).toEqual([
      ['a', 'open'],
      ['b', 'investigating'],
    ]);
    expect(applyIncidentEvent(list, event(incident('a', 'resolved', 3))).map((i) => i.id)).toEqual(['b']);
  });

  it('never holds an incident twice, whatever the events', () => {
    const ids = ['a', 'b', 'c'];
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.constantFrom(...ids), resolved: fc.boolean() }), { maxLength: 30 }),
        (events) => {
          let list: Incident[] = [];
          for (const e of events)
            list = applyIncidentEvent(list, event(incident(e.id, e.resolved ? 'resolved' : 'open')));
          expect(new Set(list.map((i) => i.id)).size).toBe(list.length);
          expect(list.every((i) => i.status !== 'resolved')).toBe(true);
        },
      ),
    );
  });
});

describe('the SLO chart', () => {
  const history: SloHistory = {
    name: 'avail',
    window: '1h',
    stepMinutes: 1,
    objective: 0.99,
    alerts: [
      {
        severity: 'page',
        tier: 'page-fast',
        longWindow: '1h',
        shortWindow: '5m',
        budgetPercent: 2,
        factor: 14.4,
      },
    ],
    points: [
      { at: 60_000, good: 0, total: 0, sli: null, burnRate: null },
      { at: 120_000, good: 9, total: 10, sli: 0.9, burnRate: 10 },
    ],
  };

  it('gets seconds on x, the SLI in percent and gaps where there was no traffic', () => {
    expect(historyColumns(history)).toEqual([
      [60, 120],
      [null, 90],
      [null, 10],
    ]);
  });

  it('puts a burn rate of 0 on the log axis floor, and keeps steps without traffic as gaps', () => {
    const quiet = {
      ...history,
      points: [
        { at: 60_000, good: 10, total: 10, sli: 1, burnRate: 0 },
        { at: 120_000, good: 0, total: 0, sli: null, burnRate: null },
        { at: 180_000, good: 0, total: 10, sli: 0, burnRate: 1000 },
      ],
    };
    expect(historyColumns(quiet)[2]).toEqual([BURN_AXIS_FLOOR, null, 1000]);
    expect(burnOnAxis(0.003)).toBe(BURN_AXIS_FLOOR);
    expect(burnOnAxis(1)).toBe(1);
    expect(burnOnAxis(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('spans powers of ten from the floor over every rate and every threshold, so 1× and 1000× both read', () => {
    expect(burnRange(history)).toEqual([BURN_AXIS_FLOOR, 100]);
    const burning = { ...history, points: [{ at: 60_000, good: 0, total: 10, sli: 0, burnRate: 1000 }] };
    expect(burnRange(burning)).toEqual([BURN_AXIS_FLOOR, 10_000]);
    const quiet = { ...history, alerts: [], points: [] };
    expect(burnRange(quiet)).toEqual([BURN_AXIS_FLOOR, 10]);
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: null })),
        fc.array(fc.double({ min: 0.1, max: 1e4, noNaN: true })),
        (rates, factors) => {
          const chart = {
            ...history,
            alerts: factors.map((factor) => ({
              ...(history.alerts[0] as SloHistory['alerts'][number]),
              factor,
            })),
            points: rates.map((burnRate, i) => ({ at: i * 60_000, good: 0, total: 1, sli: 0, burnRate })),
          };
          const [low, high] = burnRange(chart);
          expect(Number.isInteger(Math.log10(high))).toBe(true);
          for (const value of [...historyColumns(chart)[2], ...factors, 1]) {
            if (value === null) continue;
            expect(value).toBeGreaterThanOrEqual(low);
            expect(value).toBeLessThan(high);
          }
        },
      ),
    );
  });

  it('labels the powers of ten only, and says when a rate sits on the floor', () => {
    expect([0.01, 0.1, 0.5, 1, 2, 10, 100, 1000].map(burnTick)).toEqual([
      '0.01×',
      '0.1×',
      '',
      '1×',
      '',
      '10×',
      '100×',
      '1000×',
    ]);
    expect([null, undefined, BURN_AXIS_FLOOR, 14.4].map(burnLegend)).toEqual(['—', '—', '≤ 0.01×', '14.4×']);
  });

  it('draws one labelled line per alert tier', () => {
    expect(thresholdLines(history)).toEqual([
      { label: 'page-fast 14.4× (1h/5m)', value: 14.4, severity: 'page' },
    ]);
  });
});

describe('the incident list query', () => {
  it('leaves empty filters out', () => {
    expect(incidentQuery({ status: 'open', severity: '', cursor: '' })).toBe('limit=20&status=open');
    expect(incidentQuery({ cursor: 'abc' }, 5)).toBe('limit=5&cursor=abc');
    expect(incidentQuery({ service: 'checkout api', status: '' })).toBe('limit=20&service=checkout+api');
  });

  it('keeps the filters in the page address and reads back the same filters', () => {
    expect(incidentsHash({ status: '', severity: '', service: '' })).toBe('#/incidents');
    expect(incidentsHash({ status: 'open', severity: '', service: 'a&b' })).toBe(
      '#/incidents?status=open&service=a%26b',
    );
    expect(incidentFilters(new URLSearchParams('service=%20x%20&other=1'))).toEqual({
      status: '',
      severity: '',
      service: 'x',
    });
    const filter = fc.string({ maxLength: 20 }).map((s) => s.trim());
    fc.assert(
      fc.property(filter, filter, filter, (status, severity, service) => {
        const filters = { status, severity, service };
        const hash = incidentsHash(filters);
        expect(incidentFilters(new URLSearchParams(hash.split('?')[1] ?? ''))).toEqual(filters);
      }),
    );
  });
});
