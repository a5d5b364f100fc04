import {
  errorHandlerPlugin,
  lifecyclePlugin,
  metricsRegistryPlugin,
  requestContextPlugin,
} from '@steadfast/http';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseDuration } from '../src/duration.js';
import {
  HISTORY_WINDOWS,
  type LiveSloDefinition,
  liveSlis,
  MAX_HISTORY_POINTS,
  sloPlugin,
} from '../src/index.js';
import { historyPlan, historyPoints } from '../src/sli-history.js';
import { type SloTestDatabase, sloTestDatabase } from './database.js';

const SLOS: LiveSloDefinition[] = [
  { name: 'avail', kind: 'availability', objective: 0.99 },
  { name: 'other', kind: 'availability', objective: 0.999 },
];
const MINUTE = 60_000;
const ok = { method: 'GET', route: '/x', statusCode: 200, durationMs: 1 };
const failed = { ...ok, statusCode: 500 };

let database: SloTestDatabase;
let clock: number;
const now = () => clock;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  database = await sloTestDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  clock = Date.UTC(2026, 10, 23, 12, 3, 30);
  await database.clear();
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

describe('historyPlan', () => {
  it('cuts every window into at most MAX_HISTORY_POINTS aligned steps ending with the current minute', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HISTORY_WINDOWS),
        fc.integer({ min: 31 * 1440 * MINUTE, max: 4_000_000_000_000 }),
        (window, at) => {
          const plan = historyPlan(at, window);
          const minutes = parseDuration(window) as number;
          expect(plan.count).toBeLessThanOrEqual(MAX_HISTORY_POINTS);
          expect(plan.stepMs % MINUTE).toBe(0);
          expect(plan.from % plan.stepMs).toBe(0);
          expect(plan.count * plan.stepMs).toBeGreaterThanOrEqual(minutes * MINUTE);
          const lastStart = plan.from + (plan.count - 1) * plan.stepMs;
          expect(at).toBeGreaterThanOrEqual(lastStart);
          expect(at).toBeLessThan(lastStart + plan.stepMs);
        },
      ),
    );
  });

  it('gives 6h one point a minute and 30d one every two hours', () => {
    expect(historyPlan(clock, '6h')).toMatchObject({ stepMs: MINUTE, count: 360 });
    expect(historyPlan(clock, '1h')).toMatchObject({ stepMs: MINUTE, count: 60 });
    expect(historyPlan(clock, '30d')).toMatchObject({ stepMs: 120 * MINUTE, count: 360 });
  });
});

describe('historyPoints', () => {
  it('sums rows per step, leaves steps without traffic null and drops rows before the window', () => {
    const plan = { window: '1h' as const, stepMs: 2 * MINUTE, from: 10 * MINUTE, count: 3 };
    const points = historyPoints(
      plan,
      [
        { minute: 8 * MINUTE, good: 5, total: 5 },
        { minute: 10 * MINUTE, good: 9, total: 10 },
        { minute: 11 * MINUTE, good: 10, total: 10 },
        { minute: 14 * MINUTE, good: 0, total: 4 },
      ],
      0.99,
    );
    expect(points).toEqual([
      { at: 10 * MINUTE, good: 19, total: 20, sli: 0.95, burnRate: expect.closeTo(5, 9) },
      { at: 12 * MINUTE, good: 0, total: 0, sli: null, burnRate: null },
      { at: 14 * MINUTE, good: 0, total: 4, sli: 0, burnRate: expect.closeTo(100, 9) },
    ]);
  });
});

describe('liveSlis.history', () => {
  it('reads flushed minutes and adds the ones not yet flushed, one SLO only', async () => {
    const core = liveSlis({ slos: SLOS, db: database.db, now });
    clock -= 10 * MINUTE;
    core.record(ok);
    core.record(failed);
    await core.flush();
    clock += 10 * MINUTE;
    core.record(ok);
    const history = await core.history('avail', '1h');
    expect(history).toMatchObject({ name: 'avail', window: '1h', stepMinutes: 1, objective: 0.99 });
    expect(history?.alerts.map((a) => [a.tier, a.factor])).toEqual([
      ['page-fast', 14.4],
      ['page-slow', 6],
      ['ticket-fast', 3],
      ['ticket-slow', 1],
    ]);
    const points = history?.points ?? [];
    expect(points).toHaveLength(60);
    const traffic = points.filter((p) => p.total > 0);
    expect(traffic).toEqual([
      { at: Date.UTC(2026, 10, 23, 11, 53), good: 1, total: 2, sli: 0.5, burnRate: expect.closeTo(50, 9) },
      { at: Date.UTC(2026, 10, 23, 12, 3), good: 1, total: 1, sli: 1, burnRate: 0 },
    ]);
    expect(points.at(-1)?.at).toBe(Date.UTC(2026, 10, 23, 12, 3));
  });

  it('leaves out minutes older than the window and answers undefined for an unknown SLO', async () => {
    const core = liveSlis({ slos: SLOS, db: database.db, now });
    clock -= 2 * 60 * MINUTE;
    core.record(failed);
    await core.flush();
    clock += 2 * 60 * MINUTE;
    expect((await core.history('avail', '1h'))?.points.every((p) => p.total === 0)).toBe(true);
    expect((await core.history('avail', '6h'))?.points.filter((p) => p.total > 0)).toHaveLength(1);
    expect(await core.history('nope', '1h')).toBeUndefined();
  });
});

describe('GET /v1/slo/:name/history', () => {
  async function build() {
    const app = Fastify();
    apps.push(app);
    await app.register(lifecyclePlugin);
    await app.register(requestContextPlugin);
    await app.register(errorHandlerPlugin);
    await app.register(metricsRegistryPlugin);
    await app.register(sloPlugin, { slos: SLOS, db: database.db });
    app.get('/fail', async (_request, reply) => reply.code(503).send({ error: 'unavailable' }));
    await app.ready();
    return app;
  }

  it('returns the series of the default 6h window with the thresholds', async () => {
    const app = await build();
    await app.inject({ url: '/fail' });
    const response = await app.inject({ url: '/v1/slo/avail/history' });
    expect(response.statusCode).toBe(200);
    const { data } = response.json();
    expect(data).toMatchObject({ name: 'avail', window: '6h', stepMinutes: 1, objective: 0.99 });
    expect(data.points).toHaveLength(360);
    expect(data.points.at(-1)).toMatchObject({ good: 0, total: 1, sli: 0, burnRate: 100 });
    expect(data.alerts[0]).toEqual({
      severity: 'page',
      tier: 'page-fast',
      longWindow: '1h',
      shortWindow: '5m',
      budgetPercent: 2,
      factor: 14.4,
    });
    const week = await app.inject({ url: '/v1/slo/avail/history?window=7d' });
    expect(week.json().data).toMatchObject({ window: '7d', stepMinutes: 28 });
  });

  it('answers 400 in the error envelope for a window it does not draw', async () => {
    const app = await build();
    for (const query of ['window=2h', 'window=', 'window=6h&window=1d']) {
      const response = await app.inject({ url: `/v1/slo/avail/history?${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error.code, query).toBe('VALIDATION_FAILED');
    }
  });

  it('answers 404 for an unknown SLO', async () => {
    const app = await build();
    const response = await app.inject({ url: '/v1/slo/nope/history?window=1h' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.message).toBe('SLO nope does not exist');
  });
});
