import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { notifyIncidentEvents, recordIncidentEvent } from '../events/event.repository.js';
import type { IncidentEvent } from '../events/incident-event.js';
import { type Effects, newEffects, type Publish } from './effects.js';
import { findIncidentRows, withServices } from './incident.repository.js';

/**
 * Runs `work` in a transaction, stores one event per changed incident at its end, and publishes the effects once
 * it has committed. Event ids come from a sequence, so without care a later id could commit before an earlier
 * one and a resuming stream would skip it: a transaction-scoped advisory lock, taken last (after every row lock,
 * so it cannot deadlock), makes events commit in id order.
 */
export async function transact<T>(
  db: Kysely<Database>,
  publish: Publish,
  work: (trx: Kysely<Database>, effects: Effects) => Promise<T>,
): Promise<T> {
  const effects = newEffects();
  const result = await db.transaction().execute(async (trx) => {
    const value = await work(trx, effects);
    effects.events = await recordEvents(trx, effects);
    return value;
  });
  publish(effects);
  return result;
}

async function recordEvents(trx: Kysely<Database>, effects: Effects): Promise<IncidentEvent[]> {
  if (effects.changed.size === 0) return [];
  await sql`select pg_advisory_xact_lock(hashtext('incidents-api:incident_events'))`.execute(trx);
  const rows = await findIncidentRows(trx, [...effects.changed.keys()]);
  const events: IncidentEvent[] = [];
  for (const incident of await withServices(trx, rows)) {
    const type = effects.changed.get(incident.id);
    if (type) events.push(await recordIncidentEvent(trx, type, incident.id, incident));
  }
  // Delivered on commit to every replica's relay (this one's included; its bus drops what it already has).
  await notifyIncidentEvents(trx, events);
  return events;
}
