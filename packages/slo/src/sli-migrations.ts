import { type Kysely, type Migration, sql } from 'kysely';

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
};
