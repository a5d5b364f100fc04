import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultServiceSlos, type LiveSloDefinition, liveSlis, type ServedRequest } from '../src/index.js';
import { sliStore } from '../src/sli-store.js';
import { minuteOf } from '../src/sli-windows.js';
import { type SloTestDatabase, sloTestDatabase, unreachableDb } from './database.js';

const SLOS: LiveSloDefinition[] = [
  { name: 'avail', description: 'Not a 5xx', kind: 'availability', objective: 0.999 },
  {
    name: 'fast',
    kind: 'latency',
    objective: 0.99,
    thresholdMs: 100,
    routeThresholdsMs: { 'POST /reports': 1000, '/export': 300 },
  },
];
const MINUTE = 60_000;
const DAY = 1440 * MINUTE;

const served = (statusCode: number, durationMs: number, route = '/users', method = 'GET'): ServedRequest => ({
  method,
  route,
  statusCode,
  durationMs,
});

/** avail: 7 good of 9; fast: 5 good of 9. */
const MIXED: ServedRequest[] = [
  served(200, 10), // good, good
  served(503, 10), // bad, good: a fast 5xx only spends the availability budget
  served(200, 100), // good, good: the threshold itself is within it
  served(200, 150), // good, bad
  served(500, 150), // bad, bad
  served(200, 800, '/reports', 'POST'), // good, good: the route's threshold
  served(200, 800, '/reports', 'GET'), // good, bad: the route threshold is for POST only
  served(200, 250, '/export', 'GET'), // good, good: a route threshold for every method
  served(200, 350, '/export', 'DELETE'), // good, bad
];

let database: SloTestDatabase;
let clock: number;
const now = () => clock;
const slis = (db = database.db) => liveSlis({ slos: SLOS, db, now });
const events = async (core: ReturnType<typeof slis>) =>
  Object.fromEntries((await core.status()).map((s) => [s.name, s.events]));

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

describe('liveSlis', () => {
  it('counts each request good or bad for every SLO, before any flush', async () => {
    const core = slis();
    for (const request of MIXED) core.record(request);
    expect(await events(core)).toEqual({ avail: { good: 7, total: 9 }, fast: { good: 5, total: 9 } });
    expect(await database.stored()).toEqual({});
  });

  it('flushes the counts once: after a flush they come from the database alone', async () => {
    const core = slis();
    for (const request of MIXED) core.record(request);
    expect(await core.flush()).toEqual({ rows: 2, pruned: 0 });
    expect(core.pendingMinutes).toBe(0);
    expect(await database.stored()).toEqual({ avail: { good: 7, total: 9 }, fast: { good: 5, total: 9 } });
    expect(await events(core)).toEqual({ avail: { good: 7, total: 9 }, fast: { good: 5, total: 9 } });
    expect(await core.flush()).toMatchObject({ rows: 0 });
    core.record(served(500, 10));
    expect(await events(core)).toEqual({ avail: { good: 7, total: 10 }, fast: { good: 6, total: 10 } });
    expect((await database.stored()).avail).toEqual({ good: 7, total: 9 });
  });

  it('keeps the counts of a failed flush and writes them once with the next', async () => {
    const core = slis();
    for (const request of MIXED) core.record(request);
    await sql`alter table slo_sli_minutes rename to slo_sli_minutes_away`.execute(database.db);
    try {
      await expect(core.flush()).rejects.toThrow(/slo_sli_minutes/);
      expect(core.pendingMinutes).toBe(2);
      clock += MINUTE; // meanwhile, requests keep coming, into another minute
      core.record(served(500, 10));
      await expect(core.flush()).rejects.toThrow();
    } finally {
      await sql`alter table slo_sli_minutes_away rename to slo_sli_minutes`.execute(database.db);
    }
    expect(core.pendingMinutes).toBe(4);
    expect(await core.flush()).toMatchObject({ rows: 4 });
    expect(await database.stored()).toEqual({ avail: { good: 7, total: 10 }, fast: { good: 6, total: 10 } });
  });

  it('keeps counting when the database cannot be reached', async () => {
    const db = unreachableDb();
    try {
      const core = slis(db);
      core.record(served(200, 10));
      await expect(core.flush()).rejects.toThrow(/ECONNREFUSED|connect/);
      core.record(served(200, 10));
      expect(core.pendingMinutes).toBe(2);
      await expect(core.status()).rejects.toThrow();
    } finally {
      await db.destroy();
    }
  });

  it('adds up replicas writing into the same minutes', async () => {
    const [a, b] = [slis(), slis()];
    for (const request of MIXED) a.record(request);
    b.record(served(500, 10));
    b.record(served(200, 10));
    await Promise.all([a.flush(), b.flush()]);
    expect(await database.stored()).toEqual({ avail: { good: 8, total: 11 }, fast: { good: 7, total: 11 } });
    expect((await a.status(['avail']))[0]).toMatchObject({ name: 'avail', sli: 8 / 11 });
  });

  it('moves requests out of the windows as time passes, alike in memory and in the database', async () => {
    const core = slis();
    core.record(served(500, 10));
    clock += 10 * MINUTE;
    core.record(served(200, 10));
    const check = async () => {
      const [avail] = await core.status(['avail']);
      expect(avail?.events).toEqual({ good: 1, total: 2 });
      expect(avail?.burnRates['5m']).toBe(0);
      expect(avail?.burnRates['30m']).toBeCloseTo(500); // half failed / 0.001
      expect(avail?.alerts.find((a) => a.tier === 'page-fast')?.firing).toBe(false); // the 5m window is clean
    };
    await check();
    await core.flush();
    await check();
  });

  it('leaves rows older than the period out, and prunes them a day later', async () => {
    const row = (slo: string, ageMs: number) => ({ slo, minute: minuteOf(clock - ageMs), good: 1, total: 2 });
    await sliStore(database.db).add([
      row('avail', 29 * DAY),
      row('avail', 30.5 * DAY),
      row('avail', 32 * DAY),
      row('other', 90 * DAY),
    ]);
    const core = slis();
    const [avail] = await core.status(['avail']);
    expect(avail?.events).toEqual({ good: 1, total: 2 });
    expect(avail?.burnRates['3d']).toBe(0);
    expect(await core.flush()).toEqual({ rows: 0, pruned: 1 });
    // Another service's SLO in the same database is not ours to delete.
    expect(await database.stored()).toEqual({ avail: { good: 2, total: 4 }, other: { good: 1, total: 2 } });
  });

  it('rejects bad definitions, naming the field and the value', () => {
    const bad: Array<[unknown, RegExp]> = [
      [[], /^slos must be a non-empty array/],
      [[{ ...SLOS[0], objective: 99.9 }], /^slos\[0\]\.objective must be a ratio .*; got 99\.9$/],
      [
        [SLOS[0], { ...SLOS[1], kind: 'speed' }],
        /^slos\[1\]\.kind must be "availability" or "latency"; got "speed"$/,
      ],
      [
        [{ ...SLOS[1], thresholdMs: undefined }],
        /^slos\[0\]\.thresholdMs must be a number of milliseconds > 0/,
      ],
      [[{ ...SLOS[1], thresholdMs: 0 }], /^slos\[0\]\.thresholdMs .*; got 0$/],
      [
        [{ ...SLOS[0], periodDays: 2 }],
        /^slos\[0\]\.periodDays must be a whole number of days ≥ 3.*; got 2$/,
      ],
      [[{ ...SLOS[0], name: 'a b' }], /^slos\[0\]\.name .*; got "a b"$/],
      [[SLOS[0], SLOS[0]], /^slos\[1\]\.name must be unique among the SLOs; got "avail"$/],
      [[{ ...SLOS[0], thresholdMs: 100 }], /^slos\[0\]\.thresholdMs must be absent on an availability SLO/],
      [
        [{ ...SLOS[1], routeThresholdsMs: { reports: 10 } }],
        /^slos\[0\]\.routeThresholdsMs .*; got "reports"$/,
      ],
      [
        [{ ...SLOS[1], routeThresholdsMs: { '/r': -1 } }],
        /^slos\[0\]\.routeThresholdsMs\["\/r"\] .*; got -1$/,
      ],
    ];
    for (const [slos, message] of bad) {
      expect(
        () => liveSlis({ slos: slos as LiveSloDefinition[], db: database.db }),
        JSON.stringify(slos),
      ).toThrow(message);
    }
  });
});

describe('defaultServiceSlos', () => {
  it('are an availability and a 500 ms latency SLO that the plugin accepts', () => {
    const defaults = defaultServiceSlos('users-api');
    expect(defaults.map((s) => [s.name, s.kind, s.thresholdMs])).toEqual([
      ['requests-availability', 'availability', undefined],
      ['requests-latency', 'latency', 500],
    ]);
    expect(() => liveSlis({ slos: defaults, db: database.db })).not.toThrow();
  });

  it('needs a service name', () => {
    expect(() => defaultServiceSlos('')).toThrow(/^service must be a service name/);
  });
});
