import { type Kysely, sql } from 'kysely';

/**
 * A btree entry holds at most about 2,700 bytes: an Alertmanager groupKey of 2,000 multibyte characters did not fit
 * (54000). The unique index of a group's unresolved incident holds the key's md5 instead; queries name both the
 * md5 (to use the index) and the key itself (so a collision can never join two groups). The event log and the
 * idempotency keys get an index on their age, which pruning deletes by.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('incidents_open_group_key').execute();
  await sql`create unique index incidents_open_group_key on incidents (md5(group_key)) where status <> 'resolved'`.execute(
    db,
  );
  await db.schema
    .createIndex('incident_events_created_at_idx')
    .on('incident_events')
    .column('created_at')
    .execute();
  await db.schema
    .createIndex('idempotency_keys_created_at_idx')
    .on('idempotency_keys')
    .column('created_at')
    .execute();
  await db.schema
    .createIndex('timeline_events_incident_notes_idx')
    .on('timeline_events')
    .column('incident_id')
    .where(sql.ref('kind'), '=', 'note')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('timeline_events_incident_notes_idx').execute();
  await db.schema.dropIndex('idempotency_keys_created_at_idx').execute();
  await db.schema.dropIndex('incident_events_created_at_idx').execute();
  await db.schema.dropIndex('incidents_open_group_key').execute();
  await db.schema
    .createIndex('incidents_open_group_key')
    .on('incidents')
    .column('group_key')
    .unique()
    .where(sql.ref('status'), '<>', 'resolved')
    .execute();
}
