import { createTestDatabase } from '@steadfast/embedded-pg/testing';
import fc from 'fast-check';
import { Migrator } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BURN_RATE_WINDOWS } from '../src/alert-windows.js';
import type { SliMinute } from '../src/sli-buckets.js';
import { sloMigrations } from '../src/sli-migrations.js';
import { HOUR_MS, type SliStore, sliStore } from '../src/sli-store.js';
import {
  burnWindowStarts,
  emptyCounts,
  MINUTE_MS,
  SLI_WINDOWS,
  type SliCounts,
  windowStarts,
} from '../src/sli-windows.js';
import { kyselyOn, type SloTestDatabase, sloTestDatabase } from './database.js';

const DAY_MS = 24 * HOUR_MS;
/** An hour boundary, so generated minutes and windows straddle hours and days on both edges. */
const BASE = Date.UTC(2026, 10, 1);
const SPAN_MINUTES = 33 * 24 * 60;
const SLOS = ['a', 'b'] as const;

/** The sums the store must return, straight from the minute rows: the definition of every window. */
async function naiveCounts(
  database: SloTestDatabase,
  ranges: ReadonlyArray<{ slo: string; since: number }>,
  now: number,
): Promise<Map<string, SliCounts>> {
  const rows = await database.db.selectFrom('slo_sli_minutes').selectAll().execute();
  const result = new Map<string, SliCounts>();
  for (const { slo, since } of ranges) {
    const starts = { period: since, ...burnWindowStarts(now) };
    const counts = emptyCounts();
    let any = false;
    for (const row of rows) {
      const minute = row.minute.getTime();
      if (row.slo !== slo || minute <= since) continue;
      any = true;
      for (const w of SLI_WINDOWS) {
        if (minute > starts[w]) {
          counts[w].good += Number(row.good);
          counts[w].total += Number(row.total);
        }
      }
    }
    if (any) result.set(slo, counts);
  }
  return result;
}

const minuteRow = fc.record({
  slo: fc.constantFrom(...SLOS),
  offset: fc.integer({ min: 0, max: SPAN_MINUTES }),
  good: fc.integer({ min: 0, max: 50 }),
  bad: fc.integer({ min: 0, max: 50 }),
});

/** A flush from one of two replicas, or the retention delete one of them runs. */
const step = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('flush' as const),
      replica: fc.constantFrom(0, 1),
      rows: fc.uniqueArray(minuteRow, { selector: (r) => `${r.slo}@${r.offset}`, maxLength: 12 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('prune' as const),
      replica: fc.constantFrom(0, 1),
      before: fc.integer({ min: 0, max: SPAN_MINUTES * MINUTE_MS }),
    }),
  },
);

describe('sliStore', () => {
  let database: SloTestDatabase;
  let replicas: SliStore[];
  let other: ReturnType<typeof kyselyOn>;

  beforeAll(async () => {
    database = await sloTestDatabase();
    other = kyselyOn(new pg.Pool({ connectionString: database.url, max: 2 }));
    replicas = [sliStore(database.db), sliStore(other)];
  });
  afterAll(async () => {
    await other?.destroy();
    await database?.close();
  });

  it('sums over hours and edge minutes exactly what the minute rows sum, whichever replica wrote them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: SPAN_MINUTES * MINUTE_MS }),
        fc.constantFrom(1, 7, 28, 30),
        fc.constantFrom(1, 30),
        async (steps, nowOffset, daysA, daysB) => {
          await database.clear();
          for (const s of steps) {
            const store = replicas[s.replica] as SliStore;
            if (s.kind === 'prune') {
              await store.prune(SLOS.map((slo) => ({ slo, before: BASE + s.before })));
              continue;
            }
            const rows: SliMinute[] = s.rows.map((r) => ({
              slo: r.slo,
              minute: BASE + r.offset * MINUTE_MS,
              good: r.good,
              total: r.good + r.bad,
            }));
            await store.add(rows);
          }
          const now = BASE + nowOffset;
          const ranges = [
            { slo: 'a', since: windowStarts(now, daysA).period },
            { slo: 'b', since: windowStarts(now, daysB).period },
          ];
          const expected = await naiveCounts(database, ranges, now);
          for (const store of replicas) {
            expect(await store.counts(ranges, burnWindowStarts(now))).toEqual(expected);
          }
          // The 30-day chart sums hours; its two-hour steps hold the same counts as the minutes'.
          const from = Math.floor(now / HOUR_MS) * HOUR_MS - 30 * DAY_MS;
          const minutes = await database.db
            .selectFrom('slo_sli_minutes')
            .selectAll()
            .where('slo', '=', 'a')
            .execute();
          const steps2h = new Map<number, { good: number; total: number }>();
          for (const row of minutes) {
            const minute = row.minute.getTime();
            if (minute < from) continue;
            const at = Math.floor(minute / (2 * HOUR_MS)) * 2 * HOUR_MS;
            const sum = steps2h.get(at) ?? { good: 0, total: 0 };
            steps2h.set(at, { good: sum.good + Number(row.good), total: sum.total + Number(row.total) });
          }
          const series = await replicas[0]?.series('a', from, 2 * HOUR_MS);
          expect(series).toEqual(
            [...steps2h].sort(([x], [y]) => x - y).map(([minute, sum]) => ({ slo: 'a', minute, ...sum })),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads no SLO it was not asked about and returns nothing for no ranges', async () => {
    await database.clear();
    await replicas[0]?.add([{ slo: 'a', minute: BASE, good: 1, total: 1 }]);
    expect(await replicas[0]?.counts([], burnWindowStarts(BASE))).toEqual(new Map());
    expect(await replicas[0]?.counts([{ slo: 'b', since: BASE - DAY_MS }], burnWindowStarts(BASE))).toEqual(
      new Map(),
    );
  });
});

describe('the slo_sli_hours migration', () => {
  it('rolls up the minutes already stored, so sums read through hours lose nothing', async () => {
    const created = await createTestDatabase(inject('postgresAdminUrl'));
    const db = kyselyOn(new pg.Pool({ connectionString: created.url, max: 2 }));
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => sloMigrations } });
      const first = await migrator.migrateTo('20261123T1700-slo-sli-minutes');
      expect(first.error).toBeUndefined();
      // Two days of minutes before the upgrade, a few per hour, over two SLOs.
      const rows = Array.from({ length: 2 * 24 * 6 }, (_, i) => ({
        slo: SLOS[i % 2] as string,
        minute: new Date(BASE + i * 10 * MINUTE_MS + (i % 7) * MINUTE_MS),
        good: String(i % 5),
        total: String((i % 5) + (i % 3)),
      }));
      await db.insertInto('slo_sli_minutes').values(rows).execute();
      const latest = await migrator.migrateToLatest();
      expect(latest.error).toBeUndefined();
      expect(latest.results?.map((r) => [r.migrationName, r.status])).toEqual([
        ['20261202T0530-slo-sli-hours', 'Success'],
      ]);

      const hours = await db.selectFrom('slo_sli_hours').selectAll().orderBy('slo').orderBy('hour').execute();
      const expected = new Map<string, { good: number; total: number }>();
      for (const r of rows) {
        const key = `${r.slo}@${Math.floor(r.minute.getTime() / HOUR_MS) * HOUR_MS}`;
        const sum = expected.get(key) ?? { good: 0, total: 0 };
        expected.set(key, { good: sum.good + Number(r.good), total: sum.total + Number(r.total) });
      }
      expect(
        new Map(
          hours.map((h) => [
            `${h.slo}@${h.hour.getTime()}`,
            { good: Number(h.good), total: Number(h.total) },
          ]),
        ),
      ).toEqual(expected);

      const now = BASE + 2 * DAY_MS + 17 * MINUTE_MS;
      const counts = await sliStore(db).counts(
        [{ slo: 'a', since: now - 30 * DAY_MS }],
        burnWindowStarts(now),
      );
      const inA = rows.filter((r) => r.slo === 'a');
      const sum = (from: number) =>
        inA
          .filter((r) => r.minute.getTime() > from)
          .reduce((s, r) => ({ good: s.good + Number(r.good), total: s.total + Number(r.total) }), {
            good: 0,
            total: 0,
          });
      expect(counts.get('a')?.period).toEqual(sum(now - 30 * DAY_MS));
      for (const w of BURN_RATE_WINDOWS) expect(counts.get('a')?.[w]).toEqual(sum(burnWindowStarts(now)[w]));

      const down = await migrator.migrateTo('20261123T1700-slo-sli-minutes');
      expect(down.error).toBeUndefined();
      const tables = await db.introspection.getTables();
      expect(tables.map((t) => t.name)).toEqual(['slo_sli_minutes']);
    } finally {
      await db.destroy();
      await created.drop();
    }
  });
});
