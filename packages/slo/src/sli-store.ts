import { type Kysely, sql } from 'kysely';
import { BURN_RATE_WINDOWS, type BurnRateWindow } from './alert-windows.js';
import type { SliMinute } from './sli-buckets.js';
import { emptyCounts, SLI_WINDOWS, type SliCounts } from './sli-windows.js';

/** `slo_sli_minutes`, created by `sloMigrations`. */
export interface SliMinutesTable {
  slo: string;
  minute: Date;
  /** bigint: pg returns it as a string. */
  good: string;
  total: string;
}

export interface SloDatabase {
  slo_sli_minutes: SliMinutesTable;
}

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
  /** Adds the counts to what is stored, in one statement: all rows are written or none. */
  add(rows: readonly SliMinute[]): Promise<void>;
  /**
   * Per SLO, the sums over its period (rows after `since`) and over each burn-rate window (rows after
   * `windowStarts[w]`), in one query. SLOs without rows are absent.
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
  /** Deletes each SLO's rows whose minute starts before its bound; returns how many went. */
  prune(cutoffs: readonly SloCutoff[]): Promise<number>;
}

/** Storage of the per-minute counts; `db` may have any other tables. */
export function sliStore(db: Kysely<unknown>): SliStore {
  const kysely = db as unknown as Kysely<SloDatabase>;
  return {
    async add(rows) {
      if (rows.length === 0) return;
      // unnest keeps the statement at four parameters however many minutes piled up while the database
      // was away; several replicas add to the same rows, hence count + excluded.count.
      await sql`
        insert into slo_sli_minutes (slo, minute, good, total)
        select * from unnest(
          ${rows.map((r) => r.slo)}::text[],
          ${rows.map((r) => new Date(r.minute).toISOString())}::timestamptz[],
          ${rows.map((r) => r.good)}::bigint[],
          ${rows.map((r) => r.total)}::bigint[]
        )
        on conflict (slo, minute) do update set
          good = slo_sli_minutes.good + excluded.good,
          total = slo_sli_minutes.total + excluded.total`.execute(kysely);
    },

    async counts(ranges, windowStarts) {
      const result = new Map<string, SliCounts>();
      if (ranges.length === 0) return result;
      const rows = await kysely
        .selectFrom('slo_sli_minutes')
        .select((eb) => [
          'slo',
          eb.fn.sum<string>('good').as('good_period'),
          eb.fn.sum<string>('total').as('total_period'),
          ...BURN_RATE_WINDOWS.flatMap((w) => {
            const inWindow = eb('minute', '>', new Date(windowStarts[w]));
            return [
              eb.fn.sum<string | null>('good').filterWhere(inWindow).as(`good_${w}`),
              eb.fn.sum<string | null>('total').filterWhere(inWindow).as(`total_${w}`),
            ];
          }),
        ])
        .where((eb) =>
          eb.or(
            ranges.map(({ slo, since }) => eb.and([eb('slo', '=', slo), eb('minute', '>', new Date(since))])),
          ),
        )
        .groupBy('slo')
        .execute();
      for (const row of rows as unknown as Array<Record<string, string | null>>) {
        const counts = emptyCounts();
        for (const w of SLI_WINDOWS) {
          counts[w] = { good: Number(row[`good_${w}`] ?? 0), total: Number(row[`total_${w}`] ?? 0) };
        }
        result.set(row.slo as string, counts);
      }
      return result;
    },

    async series(slo, from, stepMs) {
      const step = sql.lit(stepMs);
      const { rows } = await sql<{ minute: string; good: string; total: string }>`
        select (floor(extract(epoch from minute) * 1000 / ${step}) * ${step})::bigint as minute,
          sum(good) as good, sum(total) as total
        from slo_sli_minutes
        where slo = ${slo} and minute >= ${new Date(from).toISOString()}::timestamptz
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
      const result = await kysely
        .deleteFrom('slo_sli_minutes')
        .where((eb) =>
          eb.or(
            cutoffs.map(({ slo, before }) =>
              eb.and([eb('slo', '=', slo), eb('minute', '<', new Date(before))]),
            ),
          ),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
