import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Publish } from './effects.js';
import { claimIdempotencyKey, type StoredResponse, storeIdempotentResponse } from './idempotency.js';
import {
  appendTimeline,
  applyChanges,
  findIncidentRow,
  type Incident,
  type IncidentChanges,
  type IncidentFilter,
  type IncidentWithTimeline,
  insertIncident,
  listIncidents,
  type NewIncident,
  preconditionFailed,
  type TimelineEvent,
  timelineOf,
  toIncidentOf,
  touchIncident,
} from './queries.js';
import { transact } from './transaction.js';

export interface IdempotentCreate {
  key: string;
  hash: string;
  /** The response to store for the key, built from the new incident inside the transaction. */
  render: (incident: IncidentWithTimeline) => StoredResponse;
}

/** Incidents as the API sees them: every change in one transaction, its events published after commit. */
export function incidentRepository(db: Kysely<Database>, publish: Publish) {
  const inTransaction = <T>(work: Parameters<typeof transact<T>>[2]) => transact(db, publish, work);

  const detailed = async (trx: Kysely<Database>, incident: Incident): Promise<IncidentWithTimeline> => ({
    ...incident,
    timeline: await timelineOf(trx, incident.id),
  });

  return {
    async create(input: NewIncident): Promise<IncidentWithTimeline> {
      return inTransaction(async (trx, effects) => detailed(trx, await insertIncident(trx, input, effects)));
    },

    /** Creates once per key: a retry gets the first response, even when both arrive at the same time. */
    async createOnce(
      input: NewIncident,
      { key, hash, render }: IdempotentCreate,
    ): Promise<StoredResponse & { replayed: boolean }> {
      return inTransaction(async (trx, effects) => {
        const earlier = await claimIdempotencyKey(trx, key, hash);
        if (earlier) return { ...earlier, replayed: true };
        const response = render(await detailed(trx, await insertIncident(trx, input, effects)));
        await storeIdempotentResponse(trx, key, response);
        return { ...response, replayed: false };
      });
    },

    async get(id: string): Promise<IncidentWithTimeline> {
      return detailed(db, await toIncidentOf(db, await findIncidentRow(db, id)));
    },

    list(filter: IncidentFilter, page: { limit: number; cursor?: string | undefined }) {
      return listIncidents(db, filter, page);
    },

    /** Applies changes; with `expectedVersion` (If-Match) a stale version is 412 and changes nothing. */
    async update(
      id: string,
      changes: IncidentChanges,
      expectedVersion?: number,
    ): Promise<IncidentWithTimeline> {
      return inTransaction(async (trx, effects) => {
        const current = await findIncidentRow(trx, id, { forUpdate: true });
        if (expectedVersion !== undefined && current.version !== expectedVersion) {
          throw preconditionFailed(id, current.version);
        }
        return detailed(trx, await applyChanges(trx, current, changes, effects));
      });
    },

    async addNote(id: string, message: string): Promise<{ event: TimelineEvent; incident: Incident }> {
      return inTransaction(async (trx, effects) => {
        const current = await findIncidentRow(trx, id, { forUpdate: true });
        const event = await appendTimeline(trx, id, 'note', message.trim());
        return { event, incident: await touchIncident(trx, current, effects) };
      });
    },

    async timeline(id: string): Promise<TimelineEvent[]> {
      await findIncidentRow(db, id);
      return timelineOf(db, id);
    },
  };
}

export type IncidentRepository = ReturnType<typeof incidentRepository>;
