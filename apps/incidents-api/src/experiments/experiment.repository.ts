import { type Kysely, sql } from 'kysely';
import type { Database, ExperimentEventRow } from '../db/schema.js';
import { type Experiment, type ExperimentAnnouncement, toExperiment } from './experiment.js';

/** Whether it was stored: every replica of chaos may send the same announcement. */
export async function insertExperimentEventOnce(
  trx: Kysely<Database>,
  a: ExperimentAnnouncement,
): Promise<boolean> {
  const inserted = await trx
    .insertInto('experiment_events')
    .values({
      experiment_id: a.experimentId,
      event: a.event,
      service: a.service,
      description: a.description,
      at: a.at,
      ends_at: a.endsAt ?? null,
      ended_by: a.endedBy ?? null,
      stop_condition: a.stopCondition ? JSON.stringify(a.stopCondition) : null,
    })
    .onConflict((oc) => oc.constraint('experiment_events_experiment_event_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Experiments on these services that started, have not ended and have not expired. */
export function activeExperimentsOn(
  db: Kysely<Database>,
  services: readonly string[],
): Promise<ExperimentEventRow[]> {
  if (services.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('experiment_events as started')
    .selectAll('started')
    .where('started.event', '=', 'started')
    .where('started.service', 'in', services)
    .where((eb) => eb.or([eb('started.ends_at', 'is', null), eb('started.ends_at', '>', sql<Date>`now()`)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('experiment_events as ended')
            .select('ended.id')
            .whereRef('ended.experiment_id', '=', 'started.experiment_id')
            .where('ended.event', '=', 'ended'),
        ),
      ),
    )
    .orderBy('started.at')
    .execute();
}

/** Experiments on these services that ran at some time between `from` and `to` (null: still going). */
export async function experimentsOverlapping(
  db: Kysely<Database>,
  services: readonly string[],
  from: string,
  to: string | null,
): Promise<Experiment[]> {
  if (services.length === 0) return [];
  const rows = await db
    .selectFrom('experiment_events')
    .selectAll()
    .where('experiment_id', 'in', (eb) =>
      eb
        .selectFrom('experiment_events as started')
        .select('started.experiment_id')
        .where('started.service', 'in', services)
        .where('started.at', '<=', to ?? sql<Date>`now()`),
    )
    .orderBy('at')
    .limit(1000)
    .execute();
  const byId = new Map<string, { started?: ExperimentEventRow; ended?: ExperimentEventRow }>();
  for (const row of rows) {
    const pair = byId.get(row.experiment_id) ?? {};
    pair[row.event] = row;
    byId.set(row.experiment_id, pair);
  }
  const start = Date.parse(from);
  return [...byId.values()]
    .map(({ started, ended }) => toExperiment(started, ended))
    .filter((experiment) => experiment.endedAt === null || Date.parse(experiment.endedAt) >= start);
}

/** Deletes up to `batch` announcements stored more than `retentionHours` ago. */
export async function pruneExperimentEvents(db: Kysely<Database>, retentionHours: number, batch: number) {
  const due = db
    .selectFrom('experiment_events')
    .select('id')
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${retentionHours})`)
    .orderBy('id')
    .limit(batch);
  const result = await db.deleteFrom('experiment_events').where('id', 'in', due).executeTakeFirst();
  return Number(result.numDeletedRows);
}
