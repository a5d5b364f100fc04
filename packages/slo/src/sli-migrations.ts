import { type Kysely, type Migration, sql } from 'kysely';
import { HOUR_OF_MINUTE } from './sli-store.js';

/**
 * The table behind the live SLIs. One row per SLO and minute, summed over every replica. The primary key
 * (slo, minute) is also the index of every query here: the windows and the retention delete all read one
 * SLO's minutes in a time range, so a separate index on minute alone would only slow the upserts.
 */
export const sloMigrations: Record<string, Migration> = {
  '20261123T1700-slo-sli-minutes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('slo_sli_minutes')
        .addColumn('slo', 'text', (c) => c.notNull())
        .addColumn('minute', 'timestamptz', (c) => c.notNull())
        .addColumn('good', 'bigint', (c) => c.notNull())
        .addColumn('total', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('slo_sli_minutes_pkey', ['slo', 'minute'])
        .addCheckConstraint('slo_sli_minutes_counts', sql`good >= 0 and good <= total`)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('slo_sli_minutes').execute();
    },
  },
  /**
   * One row per SLO and hour holding the sum of that hour's minutes, kept so by every write (same
   * transaction), so a 30-day sum reads ≤ 720 hours plus the minutes of one partial hour instead of 43,200
   * minutes. The backfill rolls up the minutes already stored.
   */
  '20261202T0530-slo-sli-hours': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('slo_sli_hours')
        .addColumn('slo', 'text', (c) => c.notNull())
        .addColumn('hour', 'timestamptz', (c) => c.notNull())
        .addColumn('good', 'bigint', (c) => c.notNull())
        .addColumn('total', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('slo_sli_hours_pkey', ['slo', 'hour'])
        .addCheckConstraint('slo_sli_hours_counts', sql`good >= 0 and good <= total`)
        .execute();
      await sql`
        insert into slo_sli_hours (slo, hour, good, total)
        select slo, ${HOUR_OF_MINUTE}, sum(good), sum(total) from slo_sli_minutes group by 1, 2`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('slo_sli_hours').execute();
    },
  },
};
