import { type Kysely, sql } from 'kysely';

const SEVERITIES = sql`('critical', 'high', 'medium', 'low')`;
const STATUSES = sql`('open', 'investigating', 'identified', 'monitoring', 'resolved')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('services')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (col) => col.notNull().check(sql`char_length(name) between 1 and 100`))
    .addColumn('owner', 'text')
    .addColumn('tier', 'integer', (col) => col.check(sql`tier between 1 and 4`))
    .addColumn('description', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    .addUniqueConstraint('services_name_key', ['name'])
    .execute();
  await db.schema
    .createIndex('services_created_at_id_idx')
    .on('services')
    .columns(['created_at desc', 'id desc'])
    .execute();

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('title', 'text', (col) => col.notNull().check(sql`char_length(title) between 1 and 200`))
    .addColumn('description', 'text')
    .addColumn('severity', 'text', (col) => col.notNull().check(sql`severity in ${SEVERITIES}`))
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('open').check(sql`status in ${STATUSES}`))
    .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('group_key', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('resolved_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('incidents_created_at_id_idx')
    .on('incidents')
    .columns(['created_at desc', 'id desc'])
    .execute();
  // At most one unresolved incident per Alertmanager group: concurrent deliveries cannot open two.
  await db.schema
    .createIndex('incidents_open_group_key')
    .on('incidents')
    .column('group_key')
    .unique()
    .where(sql.ref('status'), '<>', 'resolved')
    .execute();

  await db.schema
    .createTable('incident_services')
    .addColumn('incident_id', 'uuid', (col) => col.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('service_id', 'uuid', (col) => col.notNull().references('services.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('incident_services_pkey', ['incident_id', 'service_id'])
    .execute();
  await db.schema
    .createIndex('incident_services_service_idx')
    .on('incident_services')
    .column('service_id')
    .execute();

  await db.schema
    .createTable('timeline_events')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('incident_id', 'uuid', (col) => col.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('message', 'text', (col) => col.notNull())
    .addColumn('details', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
  await db.schema
    .createIndex('timeline_events_incident_idx')
    .on('timeline_events')
    .columns(['incident_id', 'id'])
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('incident_id', 'uuid', (col) => col.references('incidents.id').onDelete('set null'))
    .addColumn('group_key', 'text', (col) => col.notNull())
    .addColumn('fingerprint', 'text', (col) => col.notNull())
    .addColumn('starts_at', 'timestamptz', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('firing', 'resolved')`))
    .addColumn('alertname', 'text')
    .addColumn('labels', 'jsonb', (col) => col.notNull())
    .addColumn('annotations', 'jsonb', (col) => col.notNull())
    .addColumn('ends_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    // One row per firing of one alert: Alertmanager's re-sends land on it instead of adding rows.
    .addUniqueConstraint('alerts_fingerprint_starts_at_key', ['fingerprint', 'starts_at'])
    .execute();
  await db.schema.createIndex('alerts_incident_idx').on('alerts').column('incident_id').execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('request_hash', 'text', (col) => col.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('headers', 'jsonb')
    .addColumn('body', 'jsonb')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();

  await db.schema
    .createTable('incident_events')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('incident_id', 'uuid', (col) => col.notNull())
    .addColumn('payload', 'jsonb', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'incident_events',
    'idempotency_keys',
    'alerts',
    'timeline_events',
    'incident_services',
    'incidents',
    'services',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
