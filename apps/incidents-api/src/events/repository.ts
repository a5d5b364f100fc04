import type { Kysely } from 'kysely';
import type { Database, IncidentEventRow, IncidentEventType } from '../db/schema.js';
import type { IncidentEvent } from './bus.js';

const toEvent = (row: IncidentEventRow): IncidentEvent => ({
  id: row.id,
  type: row.type,
  incidentId: row.incident_id,
  createdAt: row.created_at.toISOString(),
  incident: row.payload,
});

/** Stores an event in the caller's transaction; it is published once that transaction commits. */
export async function recordIncidentEvent(
  db: Kysely<Database>,
  type: IncidentEventType,
  incidentId: string,
  payload: unknown,
): Promise<IncidentEvent> {
  const row = await db
    .insertInto('incident_events')
    .values({ type, incident_id: incidentId, payload: JSON.stringify(payload) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toEvent(row);
}

/** Events after `id`, oldest first: what a reconnecting stream missed. */
export async function incidentEventsAfter(
  db: Kysely<Database>,
  id: number,
  limit: number,
): Promise<IncidentEvent[]> {
  const rows = await db
    .selectFrom('incident_events')
    .selectAll()
    .where('id', '>', id)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toEvent);
}

/** The events with these ids, oldest first. */
export async function incidentEventsByIds(
  db: Kysely<Database>,
  ids: readonly number[],
): Promise<IncidentEvent[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('incident_events')
    .selectAll()
    .where('id', 'in', ids)
    .orderBy('id')
    .execute();
  return rows.map(toEvent);
}
