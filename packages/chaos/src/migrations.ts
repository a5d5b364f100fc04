import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The chaos tables, for the service's own Migrator. Faults are never deleted: an ended fault keeps its row
 * with `ended_at` and `end_reason`, and every change also lands in `chaos_audit`.
 */
export const chaosMigrations: Record<string, Migration> = {
  '20261123T1710-chaos-faults': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('chaos_faults')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('latency', 'error', 'abort')`))
        .addColumn('target_route', 'text')
        .addColumn('target_method', 'text')
        .addColumn('target_dependency', 'text')
        .addColumn('target_header', 'boolean', (col) => col.notNull().defaultTo(false))
        .addColumn('probability', 'double precision', (col) =>
          col.notNull().check(sql`probability >= 0 and probability <= 1`),
        )
        .addColumn('latency_ms', 'integer')
        .addColumn('jitter_ms', 'integer')
        .addColumn('status', 'integer')
        .addColumn('duration_seconds', 'integer', (col) => col.notNull())
        .addColumn('ramp', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('origin', 'text', (col) => col.notNull().defaultTo('api'))
        .addColumn('created_by', 'text', (col) => col.notNull())
        .addColumn('created_at', 'timestamptz', (col) => col.notNull())
        .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
        .addColumn('ended_at', 'timestamptz')
        .addColumn('end_reason', 'text')
        .addColumn('ended_by', 'text')
        .execute();
      await db.schema
        .createIndex('chaos_faults_active_idx')
        .on('chaos_faults')
        .column('expires_at')
        .where(sql.ref('ended_at'), 'is', null)
        .execute();
      await db.schema
        .createTable('chaos_settings')
        .addColumn('id', 'integer', (col) => col.primaryKey().check(sql`id = 1`))
        .addColumn('injection_enabled', 'boolean', (col) => col.notNull())
        .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addColumn('updated_by', 'text', (col) => col.notNull())
        .execute();
      await sql`insert into chaos_settings (id, injection_enabled, updated_by) values (1, true, 'migration')`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('chaos_settings').execute();
      await db.schema.dropTable('chaos_faults').execute();
    },
  },
  '20261123T1711-chaos-audit': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('chaos_audit')
        .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addColumn('actor', 'text', (col) => col.notNull())
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('fault_id', 'text')
        .addColumn('reason', 'text')
        .addColumn('details', 'jsonb')
        .execute();
      await db.schema.createIndex('chaos_audit_fault_idx').on('chaos_audit').column('fault_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('chaos_audit').execute();
    },
  },
  // Stop conditions: a fault's own (`stop_when`), the service-wide default of faults without one, and the verdict
  // of the condition that ended a fault.
  '20261202T0400-chaos-stop-conditions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('chaos_faults')
        .addColumn('stop_when', 'jsonb')
        .addColumn('stop_verdict', 'jsonb')
        .execute();
      await db.schema.alterTable('chaos_settings').addColumn('default_stop_when', 'jsonb').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('chaos_settings').dropColumn('default_stop_when').execute();
      await db.schema.alterTable('chaos_faults').dropColumn('stop_when').dropColumn('stop_verdict').execute();
    },
  },
};
