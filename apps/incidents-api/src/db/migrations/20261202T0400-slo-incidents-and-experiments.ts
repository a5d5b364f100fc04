import { type Kysely, sql } from 'kysely';

/**
 * An incident's identity becomes `incident_key`: the SLO (`slo:<service>/<sloth_slo>`) for generated SLO alerts,
 * whose page and ticket tiers reach us from different Alertmanager routes with different groupKeys, else the
 * Alertmanager group (`group:<groupKey>`). Existing incidents keep their group as their key, so an unresolved one is
 * still found by the next notification of its group. `group_key` stays: the group that opened the incident.
 *
 * `experiment_events` holds what chaos announces (one row per experiment and event, so that re-sends change
 * nothing); the postmortem lists the experiments that overlapped an incident on its services.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('incidents').addColumn('incident_key', 'text').execute();
  await sql`update incidents set incident_key = 'group:' || group_key where group_key is not null`.execute(
    db,
  );
  await db.schema.dropIndex('incidents_open_group_key').execute();
  await sql`create unique index incidents_open_incident_key on incidents (md5(incident_key)) where status <> 'resolved'`.execute(
    db,
  );
  // The quiet-period sweep looks for monitoring incidents only.
  await db.schema
    .createIndex('incidents_monitoring_idx')
    .on('incidents')
    .column('updated_at')
    .where(sql.ref('status'), '=', 'monitoring')
    .execute();

  await db.schema
    .createTable('experiment_events')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('experiment_id', 'text', (col) => col.notNull())
    .addColumn('event', 'text', (col) => col.notNull().check(sql`event in ('started', 'ended')`))
    .addColumn('service', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull())
    .addColumn('at', 'timestamptz', (col) => col.notNull())
    .addColumn('ends_at', 'timestamptz')
    .addColumn('ended_by', 'text')
    .addColumn('stop_condition', 'jsonb')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    .addUniqueConstraint('experiment_events_experiment_event_key', ['experiment_id', 'event'])
    .execute();
  await db.schema
    .createIndex('experiment_events_service_at_idx')
    .on('experiment_events')
    .columns(['service', 'at'])
    .execute();
  await db.schema
    .createIndex('experiment_events_created_at_idx')
    .on('experiment_events')
    .column('created_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('experiment_events').execute();
  await db.schema.dropIndex('incidents_monitoring_idx').execute();
  await db.schema.dropIndex('incidents_open_incident_key').execute();
  // Two unresolved incidents of one SLO may have opened from two groups: only one of them keeps its group.
  await sql`create unique index incidents_open_group_key on incidents (md5(group_key)) where status <> 'resolved'`.execute(
    db,
  );
  await db.schema.alterTable('incidents').dropColumn('incident_key').execute();
}
