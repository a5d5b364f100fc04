import type { Insertable, Kysely } from 'kysely';
import type { AlertsTable, Database } from '../db/schema.js';

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

export async function hasFiringAlerts(db: Kysely<Database>, incidentId: string): Promise<boolean> {
  const firing = await db
    .selectFrom('alerts')
    .select('id')
    .where('incident_id', '=', incidentId)
    .where('status', '=', 'firing')
    .limit(1)
    .executeTakeFirst();
  return firing !== undefined;
}
