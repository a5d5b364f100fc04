import { type Kysely, sql } from 'kysely';
import type { Database, IncidentEventType } from '../db/schema.js';
import { type IncidentEvent, toIncidentEvent } from './incident-event.js';

/** The channel a transaction that stores incident events notifies, with their ids, when it commits. */
export const INCIDENT_EVENTS_CHANNEL = 'incident_events';

/** Stores an event in the caller's transaction; it is published once that transaction commits. */
export async function recordIncidentEvent(
  trx: Kysely<Database>,
  type: IncidentEventType,
  incidentId: string,
  payload: unknown,
): Promise<IncidentEvent> {
  const row = await trx
    .insertInto('incident_events')
    .values({ type, incident_id: incidentId, payload: JSON.stringify(payload) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toIncidentEvent(row);
}

/** Tells every replica's relay, once the caller's transaction commits, which events it stored. */
export async function notifyIncidentEvents(trx: Kysely<Database>, events: readonly IncidentEvent[]) {
  const ids = events.map((event) => event.id).join(',');
  await sql`select pg_notify(${INCIDENT_EVENTS_CHANNEL}, ${ids})`.execute(trx);
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
  return rows.map(toIncidentEvent);
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
  return rows.map(toIncidentEvent);
}
