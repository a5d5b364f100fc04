import { type Kysely, sql } from 'kysely';
import { BURN_RATE_WINDOWS, type BurnRateWindow } from './alert-windows.js';
import type { SliMinute } from './sli-buckets.js';
import { emptyCounts, MINUTE_MS, minuteOf, type SliCounts, type SliWindow } from './sli-windows.js';

/** `slo_sli_minutes`, created by `sloMigrations`. */
export interface SliMinutesTable {
  slo: string;
  minute: Date;
  /** bigint: pg returns it as a string. */
  good: string;
  total: string;
}

/** `slo_sli_hours`: per SLO and hour, the sum of that hour's rows of `slo_sli_minutes`. */
export interface SliHoursTable {
  slo: string;
  hour: Date;
  good: string;
  total: string;
}

export interface SloDatabase {
  slo_sli_minutes: SliMinutesTable;
  slo_sli_hours: SliHoursTable;
}

export const HOUR_MS = 60 * MINUTE_MS;
const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** The hour a `minute` column falls in, in SQL; UTC whatever the session's time zone. */
export const HOUR_OF_MINUTE = sql`date_bin('1 hour', minute, timestamptz 'epoch')`;

/** One SLO's rows whose minute starts after `since`, ms since the epoch. */
export interface SloRange {
  slo: string;
  since: number;
}

/** One SLO's rows whose minute starts before `before`, ms since the epoch. */
export interface SloCutoff {
  slo: string;
  before: number;
}

export interface SliStore {
  /**
   * Adds the counts to what is stored, minutes and their hours in one transaction: all rows are written or
   * none, and every hour row stays the sum of its minutes.
   */
  add(rows: readonly SliMinute[]): Promise<void>;
  /**
   * Per SLO, the sums over its period (rows after `since`) and over each burn-rate window (rows after
   * `windowStarts[w]` and `since`), in one query. SLOs without rows are absent.
   */
  counts(
    ranges: readonly SloRange[],
    windowStarts: Record<BurnRateWindow, number>,
  ): Promise<Map<string, SliCounts>>;
  /**
   * One SLO's counts from `from` on, summed per step of `stepMs` (aligned on multiples of it since the epoch):
   * one row per step that had traffic, oldest first, whatever the number of minutes stored.
   */
  series(slo: string, from: number, stepMs: number): Promise<SliMinute[]>;
  /**
   * Deletes each SLO's minutes and hours that start before the hour holding its bound, so no hour is left
   * with part of its minutes; returns how many minutes went.
   */
  prune(cutoffs: readonly SloCutoff[]): Promise<number>;
}

/** The rows one window of one SLO sums: minutes from `first` up to the hour `hour`, then hours from it on. */
interface WindowBounds {
  slo: string;
  window: SliWindow;
  first: number;
  hour: number;
}

/** A window counts the minutes starting after `start`: the first is the one after the minute holding it. */
function windowBounds(slo: string, window: SliWindow, start: number): WindowBounds {
  const first = minuteOf(start) + MINUTE_MS;
  return { slo, window, first, hour: Math.ceil(first / HOUR_MS) * HOUR_MS };
}

const timestamps = (ms: readonly number[]) => ms.map((m) => new Date(m).toISOString());

/** Storage of the per-minute counts and their hourly sums; `db` may have any other tables. */
// biome-ignore lint/suspicious/noExplicitAny: each app passes its own Kysely<AppDatabase>
export function sliStore(db: Kysely<any>): SliStore {
  const kysely = db as Kysely<SloDatabase>;
  return {
    async add(rows) {
      if (rows.length === 0) return;
      // unnest keeps each statement at four parameters however many minutes piled up while the database
      // was away; several replicas add to the same rows, hence count + excluded.count, and both statements
      // lock their rows in key order, so two replicas' flushes wait for each other instead of deadlocking.
      const input = sql`unnest(
        ${rows.map((r) => r.slo)}::text[],
        ${timestamps(rows.map((r) => r.minute))}::timestamptz[],
        ${rows.map((r) => r.good)}::bigint[],
        ${rows.map((r) => r.total)}::bigint[]
      ) as input (slo, minute, good, total)`;
      await kysely.transaction().execute(async (trx) => {
        await sql`
          insert into slo_sli_minutes (slo, minute, good, total)
          select * from ${input} order by slo, minute
          on conflict (slo, minute) do update set
            good = slo_sli_minutes.good + excluded.good,
            total = slo_sli_minutes.total + excluded.total`.execute(trx);
        await sql`
          insert into slo_sli_hours (slo, hour, good, total)
          select slo, ${HOUR_OF_MINUTE}, sum(good), sum(total) from ${input} group by 1, 2 order by 1, 2
          on conflict (slo, hour) do update set
            good = slo_sli_hours.good + excluded.good,
            total = slo_sli_hours.total + excluded.total`.execute(trx);
      });
    },

    async counts(ranges, windowStarts) {
      const result = new Map<string, SliCounts>();
      if (ranges.length === 0) return result;
      // A window reads the minutes of its partial first hour and the hours after it (the current hour's row
      // already holds every minute written so far): a 30-day period is ≤ 59 minutes and 721 hours. The
      // lateral subqueries make each window its own primary-key range scan; a join on the bounds would let
      // the planner hash-join a sequential scan of every minute.
      const bounds = ranges.flatMap(({ slo, since }) => [
        windowBounds(slo, 'period', since),
        ...BURN_RATE_WINDOWS.map((w) => windowBounds(slo, w, Math.max(since, windowStarts[w]))),
      ]);
      const { rows } = await sql<{ slo: string; win: SliWindow; good: string; total: string }>`
        with bounds (slo, win, first_minute, first_hour) as (
          select * from unnest(
            ${bounds.map((b) => b.slo)}::text[],
            ${bounds.map((b) => b.window)}::text[],
            ${timestamps(bounds.map((b) => b.first))}::timestamptz[],
            ${timestamps(bounds.map((b) => b.hour))}::timestamptz[]
          )
        )
        select b.slo, b.win, coalesce(m.good, 0) + coalesce(h.good, 0) as good,
          coalesce(m.total, 0) + coalesce(h.total, 0) as total
        from bounds b
        cross join lateral (
          select sum(good) as good, sum(total) as total from slo_sli_minutes
          where slo = b.slo and minute >= b.first_minute and minute < b.first_hour
        ) m
        cross join lateral (
          select sum(good) as good, sum(total) as total from slo_sli_hours where slo = b.slo and hour >= b.first_hour
        ) h
        where m.total is not null or h.total is not null`.execute(kysely);
      for (const row of rows) {
        const counts = result.get(row.slo) ?? emptyCounts();
        counts[row.win] = { good: Number(row.good), total: Number(row.total) };
        result.set(row.slo, counts);
      }
      return result;
    },

    async series(slo, from, stepMs) {
      const step = sql.lit(stepMs);
      // Steps of whole hours starting on an hour (the 30-day chart) sum hours: 360 rows instead of 43,200.
      const hourly = stepMs % HOUR_MS === 0 && from % HOUR_MS === 0;
      const table = sql.table(hourly ? 'slo_sli_hours' : 'slo_sli_minutes');
      const at = sql.ref(hourly ? 'hour' : 'minute');
      const { rows } = await sql<{ minute: string; good: string; total: string }>`
        select (floor(extract(epoch from ${at}) * 1000 / ${step}) * ${step})::bigint as minute,
          sum(good) as good, sum(total) as total
        from ${table}
        where slo = ${slo} and ${at} >= ${new Date(from).toISOString()}::timestamptz
        group by 1 order by 1`.execute(kysely);
      return rows.map((r) => ({
        slo,
        minute: Number(r.minute),
        good: Number(r.good),
        total: Number(r.total),
      }));
    },

    async prune(cutoffs) {
      if (cutoffs.length === 0) return 0;
      const hours = cutoffs.map(({ slo, before }) => ({ slo, before: new Date(hourOf(before)) }));
      return kysely.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('slo_sli_hours')
          .where((eb) =>
            eb.or(hours.map(({ slo, before }) => eb.and([eb('slo', '=', slo), eb('hour', '<', before)]))),
          )
          .execute();
        const result = await trx
          .deleteFrom('slo_sli_minutes')
          .where((eb) =>
            eb.or(hours.map(({ slo, before }) => eb.and([eb('slo', '=', slo), eb('minute', '<', before)]))),
          )
          .executeTakeFirst();
        return Number(result.numDeletedRows);
      });
    },
  };
}
