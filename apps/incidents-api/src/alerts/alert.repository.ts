import { type Insertable, type Kysely, sql } from 'kysely';
import type { AlertsTable, Database } from '../db/schema.js';
import { toIncidentAlert } from './alert-facts.js';

/** The alert recorded for (fingerprint, startsAt), if any, locked until the transaction ends. */
export function lockKnownAlert(trx: Kysely<Database>, fingerprint: string, startsAt: string) {
  return trx
    .selectFrom('alerts')
    .select(['id', 'status', 'incident_id'])
    .where('fingerprint', '=', fingerprint)
    .where('starts_at', '=', startsAt)
    .forUpdate()
    .executeTakeFirst();
}

/** Whether it was inserted: a concurrent delivery may have just recorded the same alert. */
export async function insertAlertOnce(
  trx: Kysely<Database>,
  values: Insertable<AlertsTable>,
): Promise<boolean> {
  const inserted = await trx
    .insertInto('alerts')
    .values(values)
    .onConflict((oc) => oc.constraint('alerts_fingerprint_starts_at_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function markAlertResolved(trx: Kysely<Database>, id: number, endsAt: string | null) {
  await trx
    .updateTable('alerts')
    .set({ status: 'resolved', ends_at: endsAt, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

export interface FiringAlert {
  alertname: string | null;
  severity: string | undefined;
  sloth_severity: string | undefined;
  tier: string | undefined;
}

/** The distinct kinds of the incident's firing alerts (by name, severity and tier): what its severity follows. */
export async function firingAlertKinds(db: Kysely<Database>, incidentId: string): Promise<FiringAlert[]> {
  const rows = await db
    .selectFrom('alerts')
    .select([
      'alertname',
      sql<string | null>`labels->>'severity'`.as('severity'),
      sql<string | null>`labels->>'sloth_severity'`.as('sloth_severity'),
      sql<string | null>`labels->>'sloth_tier'`.as('tier'),
    ])
    .distinct()
    .where('incident_id', '=', incidentId)
    .where('status', '=', 'firing')
    .execute();
  return rows.map((row) => ({
    alertname: row.alertname,
    severity: row.severity ?? undefined,
    sloth_severity: row.sloth_severity ?? undefined,
    tier: row.tier ?? undefined,
  }));
}

/** The incident's first `limit` alerts by when they fired, and whether it has more. */
export async function alertsOfIncident(db: Kysely<Database>, incidentId: string, limit: number) {
  const rows = await db
    .selectFrom('alerts')
    .select(['fingerprint', 'alertname', 'status', 'labels', 'annotations', 'starts_at', 'ends_at'])
    .where('incident_id', '=', incidentId)
    .orderBy('starts_at')
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return { alerts: rows.slice(0, limit).map(toIncidentAlert), truncated: rows.length > limit };
}
