import { type PageRequest, pageNewestFirst } from '@steadfast/service-kit';
import { type Kysely, sql, type UpdateObject } from 'kysely';
import type { Database, IncidentRow, NewIncidentRow, Severity, TimelineKind } from '../db/schema.js';
import {
  type Incident,
  type IncidentFilter,
  type ServiceRef,
  type TimelineEvent,
  toIncident,
  toTimelineEvent,
} from './incident.js';
import { decodeTimelineCursor, encodeTimelineCursor } from './timeline-cursor.js';

/** The incident's row, if there is one; locked until the transaction ends when `forUpdate`. */
export function findIncidentRow(
  db: Kysely<Database>,
  id: string,
  { forUpdate = false } = {},
): Promise<IncidentRow | undefined> {
  let query = db.selectFrom('incidents').selectAll().where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The unresolved incident of an incident key (there is at most one), locked until the transaction ends. */
export function lockOpenIncidentRowByKey(
  trx: Kysely<Database>,
  incidentKey: string,
): Promise<IncidentRow | undefined> {
  return (
    trx
      .selectFrom('incidents')
      .selectAll()
      // The md5 is what the unique index of unresolved keys holds (a long key does not fit a btree entry).
      .where(sql`md5(incident_key)`, '=', sql<string>`md5(${incidentKey})`)
      .where('incident_key', '=', incidentKey)
      .where('status', '<>', 'resolved')
      .forUpdate()
      .executeTakeFirst()
  );
}

export function findIncidentRows(db: Kysely<Database>, ids: readonly string[]): Promise<IncidentRow[]> {
  return db.selectFrom('incidents').selectAll().where('id', 'in', ids).execute();
}

/** Unresolved incidents by severity; a severity with none is absent. */
export async function countOpenIncidents(db: Kysely<Database>): Promise<Map<Severity, number>> {
  const rows = await db
    .selectFrom('incidents')
    .select(['severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '<>', 'resolved')
    .groupBy('severity')
    .execute();
  return new Map(rows.map((row) => [row.severity, Number(row.n)]));
}

export async function listIncidentRows(db: Kysely<Database>, filter: IncidentFilter, page: PageRequest) {
  let query = db.selectFrom('incidents').selectAll();
  if (filter.active) query = query.where('status', '<>', 'resolved');
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.severity) query = query.where('severity', '=', filter.severity);
  if (filter.serviceId) {
    const serviceId = filter.serviceId;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('incident_services')
          .select('incident_services.incident_id')
          .whereRef('incident_services.incident_id', '=', 'incidents.id')
          .where('incident_services.service_id', '=', serviceId),
      ),
    );
  }
  if (filter.service) {
    const name = filter.service;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('incident_services')
          .innerJoin('services', 'services.id', 'incident_services.service_id')
          .select('incident_services.incident_id')
          .whereRef('incident_services.incident_id', '=', 'incidents.id')
          .where('services.name', '=', name),
      ),
    );
  }
  return pageNewestFirst(query, page);
}

export function insertIncidentRow(trx: Kysely<Database>, values: NewIncidentRow): Promise<IncidentRow> {
  return trx.insertInto('incidents').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * Writes `set` and the next version, provided the row is still at `current.version`; undefined when it is not
 * (a concurrent writer got there first).
 */
export function updateIncidentRow(
  trx: Kysely<Database>,
  current: Pick<IncidentRow, 'id' | 'version'>,
  set: UpdateObject<Database, 'incidents'>,
): Promise<IncidentRow | undefined> {
  return trx
    .updateTable('incidents')
    .set({ ...set, version: sql<number>`version + 1`, updated_at: sql<Date>`clock_timestamp()` })
    .where('id', '=', current.id)
    .where('version', '=', current.version)
    .returningAll()
    .executeTakeFirst();
}

/** Incidents with their affected services, in the order given. */
export async function withServices(db: Kysely<Database>, rows: IncidentRow[]): Promise<Incident[]> {
  if (rows.length === 0) return [];
  const links = await db
    .selectFrom('incident_services')
    .innerJoin('services', 'services.id', 'incident_services.service_id')
    .select(['incident_services.incident_id', 'services.id', 'services.name'])
    .where(
      'incident_services.incident_id',
      'in',
      rows.map((row) => row.id),
    )
    .orderBy('services.name')
    .execute();
  const byIncident = new Map<string, ServiceRef[]>();
  for (const link of links) {
    const list = byIncident.get(link.incident_id) ?? [];
    list.push({ id: link.id, name: link.name });
    byIncident.set(link.incident_id, list);
  }
  return rows.map((row) => toIncident(row, byIncident.get(row.id) ?? []));
}

/** Which of these service ids exist. */
export async function existingServiceIds(db: Kysely<Database>, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('services').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((row) => row.id));
}

export async function linkedServiceIds(db: Kysely<Database>, incidentId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('incident_services')
    .select('service_id')
    .where('incident_id', '=', incidentId)
    .execute();
  return new Set(rows.map((row) => row.service_id));
}

export async function linkServices(
  trx: Kysely<Database>,
  incidentId: string,
  serviceIds: readonly string[],
): Promise<void> {
  if (serviceIds.length === 0) return;
  await trx
    .insertInto('incident_services')
    .values(serviceIds.map((service_id) => ({ incident_id: incidentId, service_id })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function unlinkServices(trx: Kysely<Database>, incidentId: string): Promise<void> {
  await trx.deleteFrom('incident_services').where('incident_id', '=', incidentId).execute();
}

export async function insertTimelineEvent(
  trx: Kysely<Database>,
  incidentId: string,
  kind: TimelineKind,
  message: string,
  details: Record<string, unknown> = {},
): Promise<TimelineEvent> {
  const row = await trx
    .insertInto('timeline_events')
    .values({ incident_id: incidentId, kind, message, details: JSON.stringify(details) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toTimelineEvent(row);
}

/** The latest `count` entries of a timeline, oldest first, and whether earlier ones exist. */
export async function latestTimeline(db: Kysely<Database>, incidentId: string, count: number) {
  const rows = await db
    .selectFrom('timeline_events')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('id', 'desc')
    .limit(count + 1)
    .execute();
  return { entries: rows.slice(0, count).reverse().map(toTimelineEvent), truncated: rows.length > count };
}

/** One page of a timeline, oldest first, after the entry the cursor names. */
export async function timelinePage(db: Kysely<Database>, incidentId: string, { limit, cursor }: PageRequest) {
  let query = db
    .selectFrom('timeline_events')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('id')
    .limit(limit + 1);
  if (cursor !== undefined) query = query.where('id', '>', decodeTimelineCursor(cursor));
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    entries: page.map(toTimelineEvent),
    nextCursor: rows.length > limit && last ? encodeTimelineCursor(last.id) : null,
  };
}

export async function countNotes(db: Kysely<Database>, incidentId: string): Promise<number> {
  const { n } = await db
    .selectFrom('timeline_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('incident_id', '=', incidentId)
    .where('kind', '=', 'note')
    .executeTakeFirstOrThrow();
  return Number(n);
}

/**
 * `monitoring` incidents that have alerts, none of them firing, and in which nothing (no alert, no change) happened
 * since `before`; only `id` when given.
 */
export async function quietIncidentIds(
  db: Kysely<Database>,
  before: Date,
  limit: number,
  id?: string,
): Promise<string[]> {
  let query = db
    .selectFrom('incidents')
    .select('incidents.id')
    .where('incidents.status', '=', 'monitoring')
    .where('incidents.updated_at', '<', before)
    .where(({ exists, selectFrom }) =>
      exists(selectFrom('alerts').select('alerts.id').whereRef('alerts.incident_id', '=', 'incidents.id')),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('alerts')
            .select('alerts.id')
            .whereRef('alerts.incident_id', '=', 'incidents.id')
            .where((eb) =>
              eb.or([eb('alerts.status', '=', 'firing'), eb('alerts.updated_at', '>=', before)]),
            ),
        ),
      ),
    )
    .orderBy('incidents.updated_at')
    .limit(limit);
  if (id !== undefined) query = query.where('incidents.id', '=', id);
  return (await query.execute()).map((row) => row.id);
}

/** The unresolved incidents that affect the service of this name (at most `limit`, the newest). */
export async function unresolvedIncidentIdsOfService(db: Kysely<Database>, name: string, limit: number) {
  const rows = await db
    .selectFrom('incidents')
    .innerJoin('incident_services', 'incident_services.incident_id', 'incidents.id')
    .innerJoin('services', 'services.id', 'incident_services.service_id')
    .select('incidents.id')
    .where('services.name', '=', name)
    .where('incidents.status', '<>', 'resolved')
    .orderBy('incidents.created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}
