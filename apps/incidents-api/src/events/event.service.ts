import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { incidentEventsAfter, incidentEventsByIds, replayStart } from './event.repository.js';

/** The stored events the stream replays and the relay loads; the app runs both through the database guard. */
export function incidentEventService(db: Kysely<Database>) {
  return {
    /** What a stream resuming after `id` missed, oldest first, at most `limit` of them. */
    after: (id: number, limit: number) => incidentEventsAfter(db, id, limit),
    /** Where a replay after `id` starts to send at most `depth` events. */
    replayStart: (id: number, depth: number) => replayStart(db, id, depth),
    /** The events a notification named, oldest first. */
    byIds: (ids: readonly number[]) => incidentEventsByIds(db, ids),
  };
}

export type IncidentEventService = ReturnType<typeof incidentEventService>;
