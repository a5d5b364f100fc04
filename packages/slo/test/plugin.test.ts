import { lifecyclePlugin, metricsRegistryPlugin } from '@steadfast/http';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BURN_RATE_WINDOWS,
  defaultServiceSlos,
  type LiveSloDefinition,
  type SloPluginOptions,
  sloPlugin,
} from '../src/index.js';
import { type SloTestDatabase, sloTestDatabase, unreachableDb } from './database.js';

const SLOS: LiveSloDefinition[] = [
  {
    name: 'avail',
    description: 'Requests that do not fail with a 5xx',
    kind: 'availability',
    objective: 0.999,
  },
  { name: 'latency', kind: 'latency', objective: 0.99, thresholdMs: 100 },
  {
    name: 'latency-routes',
    kind: 'latency',
    objective: 0.99,
    thresholdMs: 100,
    routeThresholdsMs: { 'GET /slow': 5_000 },
  },
];

let database: SloTestDatabase;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  database = await sloTestDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.clear();
});
afterEach(async () => {
  vi.useRealTimers();
  for (const app of apps.splice(0)) await app.close();
});

/** A bare Fastify app with what the plugin depends on: the lifecycle and a metrics registry. */
async function bareApp() {
  const app = Fastify();
  apps.push(app);
  await app.register(lifecyclePlugin);
  await app.register(metricsRegistryPlugin);
  return app;
}

async function build(options: Partial<SloPluginOptions> = {}, decorate?: (app: FastifyInstance) => void) {
  const app = await bareApp();
  decorate?.(app);
  await app.register(sloPlugin, { slos: SLOS, db: database.db, ...options });
  app.get('/ok', async () => ({ ok: true }));
  app.get('/fail', async (_request, reply) => reply.code(503).send({ error: 'unavailable' }));
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  app.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 250));
    return { ok: true };
  });
  app.get('/health', { config: { operational: true } }, async () => ({ status: 'ok' }));
  await app.ready();
  return app;
}

async function traffic(app: FastifyInstance, urls: string[]) {
  for (const url of urls) await app.inject({ url });
}

const MIXED = ['/ok', '/ok', '/ok', '/fail', '/boom', '/slow', '/health', '/health', '/nope'];

async function events(app: FastifyInstance) {
  return Object.fromEntries((await app.slo.status()).map((s) => [s.name, s.events]));
}

describe('the SLI plugin', () => {
  it('counts mixed traffic per SLO, leaving out operational routes and unmatched URLs', async () => {
    const app = await build();
    await traffic(app, MIXED);
    expect(await events(app)).toEqual({
      avail: { good: 4, total: 6 },
      latency: { good: 5, total: 6 },
      'latency-routes': { good: 6, total: 6 },
    });
  });

  it('flushes on the interval, and not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const app = await build({ flushIntervalMs: 10_000 });
    await traffic(app, ['/ok', '/fail']);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(await database.stored()).toEqual({});
    await vi.advanceTimersByTimeAsync(1);
    await app.slo.status(); // waits for the flush the timer started
    expect(await database.stored()).toMatchObject({ avail: { good: 1, total: 2 } });
    expect(app.slo.pendingMinutes).toBe(0);
    await traffic(app, ['/ok']);
    await vi.advanceTimersByTimeAsync(10_000);
    await app.slo.status();
    expect(await database.stored()).toMatchObject({ avail: { good: 2, total: 3 } });
  });

  it('serves requests while the database is down, keeping the counts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const db = unreachableDb();
    try {
      const app = await build({ db, flushIntervalMs: 1_000 });
      await traffic(app, ['/ok', '/fail']);
      await vi.advanceTimersByTimeAsync(1_000); // a scheduled flush fails, and is logged
      await expect(app.slo.flush()).rejects.toThrow();
      expect((await app.inject({ url: '/ok' })).statusCode).toBe(200);
      expect(app.slo.pendingMinutes).toBe(3);
      expect((await app.inject({ url: '/v1/slo' })).statusCode).toBe(500);
      await app.close(); // the final flush fails too, without failing the close
    } finally {
      await db.destroy();
    }
  });

  it('sums the counts of two apps sharing a database', async () => {
    const [a, b] = await Promise.all([build(), build()]);
    await traffic(a, ['/ok', '/ok', '/ok']);
    await traffic(b, ['/fail']);
    await Promise.all([a.slo.flush(), b.slo.flush()]);
    const [avail] = await a.slo.status(['avail']);
    expect(avail).toMatchObject({ events: { good: 3, total: 4 }, sli: 0.75 });
  });

  it('keeps the window across a restart: close flushes, a new app reads it back', async () => {
    const first = await build();
    await traffic(first, ['/ok', '/fail']);
    await first.close();
    expect(await database.stored()).toMatchObject({ avail: { good: 1, total: 2 } });
    const second = await build();
    await traffic(second, ['/ok']);
    expect((await events(second)).avail).toEqual({ good: 2, total: 3 });
  });

  it('runs the final flush as a shutdown handler, after every onClose hook', async () => {
    let storedDuringClose: unknown;
    const app = await build({}, (instance) =>
      instance.addHook('onClose', async () => {
        storedDuringClose = await database.stored();
      }),
    );
    await traffic(app, ['/ok']);
    await app.close();
    expect(storedDuringClose).toEqual({});
    expect(await database.stored()).toMatchObject({ avail: { good: 1, total: 1 } });
  });

  it('refuses to register without the lifecycle and the metrics registry it uses', async () => {
    const app = Fastify();
    apps.push(app);
    await expect(app.register(sloPlugin, { slos: SLOS, db: database.db }).ready()).rejects.toThrow(
      /dependency '@steadfast\/http\/lifecycle' of plugin '@steadfast\/slo' is not registered/,
    );
  });
});

describe('GET /v1/slo', () => {
  it('lists every SLO in the data envelope, with requests just served', async () => {
    const app = await build();
    await traffic(app, ['/ok', '/ok', '/ok', '/boom']);
    const response = await app.inject({ url: '/v1/slo', headers: { 'request-id': 'r1' } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.meta).toEqual({ requestId: expect.any(String), durationMs: expect.any(Number), count: 3 });
    expect(body.data.map((s: { name: string }) => s.name)).toEqual(['avail', 'latency', 'latency-routes']);
    expect(body.data[0]).toEqual({
      name: 'avail',
      description: 'Requests that do not fail with a 5xx',
      kind: 'availability',
      thresholdMs: null,
      objective: 0.999,
      periodDays: 30,
      sli: 0.75,
      events: { good: 3, total: 4 },
      errorBudget: {
        totalMinutes: 43.2,
        consumedMinutes: expect.any(Number),
        remainingMinutes: expect.any(Number),
        remainingRatio: -249, // 25 % failed: 250 budgets spent
      },
      burnRates: Object.fromEntries(BURN_RATE_WINDOWS.map((w) => [w, 250])),
      alerts: [
        expect.objectContaining({
          severity: 'page',
          longWindow: '1h',
          shortWindow: '5m',
          factor: 14.4,
          firing: true,
        }),
        expect.objectContaining({ severity: 'page', longWindow: '6h', shortWindow: '30m', factor: 6 }),
        expect.objectContaining({ severity: 'ticket', longWindow: '1d', shortWindow: '2h', factor: 3 }),
        expect.objectContaining({ severity: 'ticket', longWindow: '3d', shortWindow: '6h', factor: 1 }),
      ],
      policy: 'freeze',
    });
    expect(body.data[1]).toMatchObject({ kind: 'latency', thresholdMs: 100, sli: 1, policy: 'normal' });
    // The endpoint itself is operational: reading it counts nothing.
    expect((await events(app)).avail).toEqual({ good: 3, total: 4 });
  });

  it('returns one SLO by name, and 404 for an unknown one', async () => {
    const app = await build();
    const one = await app.inject({ url: '/v1/slo/latency' });
    expect(one.statusCode).toBe(200);
    expect(one.json().data).toMatchObject({ name: 'latency', sli: 1 });
    expect(Object.keys(one.json().meta)).toEqual(['requestId', 'durationMs']);
    const missing = await app.inject({ url: '/v1/slo/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toBe('SLO nope does not exist');
  });
});

describe('the gauges', () => {
  it('read the same figures at scrape time, per app registry', async () => {
    const app = await build();
    const registry = app.metricsRegistry;
    const other = (await build({ slos: [{ name: 'elsewhere', kind: 'availability', objective: 0.99 }] }))
      .metricsRegistry;
    await traffic(app, ['/ok', '/ok', '/ok', '/fail']);
    const text = await registry.metrics();
    expect(text).toContain('slo_sli_ratio{slo="avail"} 0.75');
    expect(text).toContain('slo_error_budget_remaining_ratio{slo="avail"} -249');
    expect(text).toContain('slo_error_budget_remaining_ratio{slo="latency"} 1');
    for (const window of BURN_RATE_WINDOWS)
      expect(text).toContain(`slo_burn_rate{slo="avail",window="${window}"} 250`);
    expect(text).not.toContain('elsewhere');
    expect(await other.metrics()).toContain('slo_sli_ratio{slo="elsewhere"} 1');
    await app.close();
    expect(await registry.metrics()).not.toContain('slo="avail"');
  });

  it('leave the SLO series out, without failing the scrape, while the database is down', async () => {
    const db = unreachableDb();
    try {
      const app = await build({ db });
      const registry = app.metricsRegistry;
      await traffic(app, ['/ok']);
      const text = await registry.metrics();
      expect(text).toContain('# TYPE slo_sli_ratio gauge');
      expect(text).not.toContain('slo_sli_ratio{');
      await app.close();
    } finally {
      await db.destroy();
    }
  });
});

describe('options', () => {
  const rejects = async (options: Partial<SloPluginOptions>, message: RegExp) => {
    const app = await bareApp();
    app.get('/ok', async () => ({ ok: true }));
    await expect(
      app.register(sloPlugin, { slos: SLOS, db: database.db, ...options }).ready(),
    ).rejects.toThrow(message);
  };

  it('throw at registration, naming the option and the value', async () => {
    await rejects(
      { flushIntervalMs: 0 },
      /^Invalid option flushIntervalMs: 0 \(expected an integer >= 100\)$/,
    );
    await rejects(
      { flushIntervalMs: 1.5 },
      /^Invalid option flushIntervalMs: 1\.5 \(expected an integer >= 100\)$/,
    );
    await rejects(
      { flushIntervalMs: 2 ** 31 },
      /^Invalid option flushIntervalMs: 2147483648 \(expected at most 2147483647 ms\)$/,
    );
    await rejects(
      { db: undefined as unknown as Kysely<unknown> },
      /^Invalid option db: undefined \(expected a Kysely instance\)$/,
    );
    await rejects(
      { slos: [{ ...SLOS[0]!, objective: 99.9 }] },
      /^slos\[0\]\.objective must be a ratio .*; got 99\.9$/,
    );
  });

  it('reject a route threshold for a route that does not exist, once the routes are known', async () => {
    await rejects(
      { slos: [{ ...SLOS[2]!, routeThresholdsMs: { '/ok': 100, 'GET /okay': 100 } }] },
      /^slos\[0\]\.routeThresholdsMs must be keys that name registered routes; got "GET \/okay"$/,
    );
  });
});

describe('the README example', () => {
  it('registers the default SLOs and one with a route threshold', async () => {
    const app = await bareApp();
    await app.register(sloPlugin, {
      db: database.db,
      slos: [
        ...defaultServiceSlos('users-api'),
        {
          name: 'reports-latency',
          description: 'Reports answered within 2 s (10 s to create one)',
          kind: 'latency',
          objective: 0.95,
          periodDays: 28,
          thresholdMs: 2_000,
          routeThresholdsMs: { 'POST /v1/reports': 10_000 },
        },
      ],
      flushIntervalMs: 10_000,
    });
    app.get('/v1/users/:id', async () => ({ id: 1 }));
    app.post('/v1/reports', async () => ({ id: 1 }));
    app.get('/health/live', { config: { operational: true } }, async () => ({ status: 'alive' }));

    await app.inject({ url: '/v1/users/1' });
    await app.inject({ url: '/health/live' });
    const [availability] = await app.slo.status(['requests-availability']);
    expect(availability).toMatchObject({ objective: 0.999, periodDays: 30, events: { good: 1, total: 1 } });
    const list = (await app.inject({ url: '/v1/slo' })).json();
    expect(list.data.map((s: { name: string }) => s.name)).toEqual([
      'requests-availability',
      'requests-latency',
      'reports-latency',
    ]);
    expect(list.data[2]).toMatchObject({ periodDays: 28, thresholdMs: 2_000 });
  });
});
