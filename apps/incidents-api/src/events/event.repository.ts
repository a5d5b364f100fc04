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

/**
 * Where a replay after `id` starts so that it sends at most `depth` events: `id` itself when no more than `depth`
 * followed it, else the id just before the latest `depth` (read backwards along the primary key, `depth` rows).
 */
export async function replayStart(db: Kysely<Database>, id: number, depth: number): Promise<number> {
  const row = await db
    .selectFrom('incident_events')
    .select('id')
    .where('id', '>', id)
    .orderBy('id', 'desc')
    .offset(depth)
    .limit(1)
    .executeTakeFirst();
  return row?.id ?? id;
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

/**
 * Deletes up to `batch` of the oldest events that are older than `retentionHours` or beyond the newest `maxRows`;
 * returns how many it deleted (fewer than `batch`: nothing more is due).
 */
export async function pruneIncidentEvents(
  db: Kysely<Database>,
  { retentionHours, maxRows }: { retentionHours: number; maxRows: number },
  batch: number,
): Promise<number> {
  const beyondNewest = db
    .selectFrom('incident_events')
    .select('id')
    .orderBy('id', 'desc')
    .offset(maxRows)
    .limit(1);
  const due = db
    .selectFrom('incident_events')
    .select('id')
    .where((eb) =>
      eb.or([
        eb('created_at', '<', sql<Date>`now() - make_interval(hours => ${retentionHours})`),
        eb('id', '<=', beyondNewest),
      ]),
    )
    .orderBy('id')
    .limit(batch);
  const result = await db.deleteFrom('incident_events').where('id', 'in', due).executeTakeFirst();
  return Number(result.numDeletedRows);
}
