import { NotFoundError, PreconditionFailedError, ValidationError } from '@steadfast/errors';
import { type PageRequest, pageNewestFirst } from '@steadfast/service-kit';
import { type Kysely, sql, type UpdateObject } from 'kysely';
import type {
  Database,
  IncidentEventType,
  IncidentRow,
  IncidentStatus,
  Severity,
  TimelineEventRow,
  TimelineKind,
} from '../db/schema.js';
import { type Effects, markChanged } from './effects.js';
import { assertTransition, PRIORITIES, type Priority, stampsFor } from './status.js';

export interface ServiceRef {
  id: string;
  name: string;
}

export interface Incident {
  id: string;
  title: string;
  description: string | null;
  severity: Severity;
  priority: Priority;
  status: IncidentStatus;
  version: number;
  serviceIds: string[];
  services: ServiceRef[];
  groupKey: string | null;
  createdAt: string;
  updatedAt: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
}

export interface TimelineEvent {
  id: number;
  incidentId: string;
  kind: TimelineKind;
  message: string;
  details: Record<string, unknown>;
  createdAt: string;
}

export interface IncidentWithTimeline extends Incident {
  timeline: TimelineEvent[];
}

export interface NewIncident {
  title: string;
  description?: string | null;
  severity?: Severity;
  serviceIds?: string[];
}

export interface IncidentChanges {
  title?: string;
  description?: string | null;
  severity?: Severity;
  status?: IncidentStatus;
  serviceIds?: string[];
}

export interface IncidentFilter {
  status?: IncidentStatus | undefined;
  severity?: Severity | undefined;
  serviceId?: string | undefined;
  active?: boolean;
}

export const DEFAULT_SEVERITY: Severity = 'medium';

const iso = (date: Date | null) => (date === null ? null : date.toISOString());
const seconds = (from: Date, to: Date) => Math.max(0, (to.getTime() - from.getTime()) / 1000);

function toIncident(row: IncidentRow, services: ServiceRef[]): Incident {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    severity: row.severity,
    priority: PRIORITIES[row.severity],
    status: row.status,
    version: row.version,
    serviceIds: services.map((s) => s.id),
    services,
    groupKey: row.group_key,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    acknowledgedAt: iso(row.acknowledged_at),
    resolvedAt: iso(row.resolved_at),
  };
}

const toTimelineEvent = (row: TimelineEventRow): TimelineEvent => ({
  id: row.id,
  incidentId: row.incident_id,
  kind: row.kind,
  message: row.message,
  details: row.details,
  createdAt: row.created_at.toISOString(),
});

export const incidentNotFound = (id: string) => new NotFoundError(`Incident ${id} does not exist`);

export const preconditionFailed = (id: string, version: number) =>
  new PreconditionFailedError(
    `Incident ${id} has changed since you read it (it is at version ${version}); fetch it and try again`,
    { details: { currentVersion: version } },
  );

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

export async function toIncidentOf(db: Kysely<Database>, row: IncidentRow): Promise<Incident> {
  const [incident] = await withServices(db, [row]);
  return incident!;
}

/** The incident's row; locked until the transaction ends when `forUpdate`. */
export async function findIncidentRow(
  db: Kysely<Database>,
  id: string,
  { forUpdate = false } = {},
): Promise<IncidentRow> {
  let query = db.selectFrom('incidents').selectAll().where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw incidentNotFound(id);
  return row;
}

/** Rejects service ids that do not exist, naming each one. */
export async function assertServicesExist(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await db.selectFrom('services').select('id').where('id', 'in', ids).execute();
  const known = new Set(found.map((row) => row.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new ValidationError(
      `Unknown service id(s): ${unknown.join(', ')}`,
      unknown.map((id) => ({
        field: `body.serviceIds[${ids.indexOf(id)}]`,
        message: `no service has id ${id}`,
      })),
      'UNKNOWN_SERVICE',
    );
  }
}

async function linkServices(db: Kysely<Database>, incidentId: string, serviceIds: readonly string[]) {
  const unique = [...new Set(serviceIds)];
  await assertServicesExist(db, unique);
  if (unique.length === 0) return;
  await db
    .insertInto('incident_services')
    .values(unique.map((service_id) => ({ incident_id: incidentId, service_id })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function appendTimeline(
  db: Kysely<Database>,
  incidentId: string,
  kind: TimelineKind,
  message: string,
  details: Record<string, unknown> = {},
): Promise<TimelineEvent> {
  const row = await db
    .insertInto('timeline_events')
    .values({ incident_id: incidentId, kind, message, details: JSON.stringify(details) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toTimelineEvent(row);
}

export async function timelineOf(db: Kysely<Database>, incidentId: string): Promise<TimelineEvent[]> {
  const rows = await db
    .selectFrom('timeline_events')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('id')
    .execute();
  return rows.map(toTimelineEvent);
}

/** Inserts an incident, its services and its `created` timeline entry, and marks it for `incident.created`. */
export async function insertIncident(
  trx: Kysely<Database>,
  input: NewIncident & { groupKey?: string | null; source?: string },
  effects: Effects,
): Promise<Incident> {
  const row = await trx
    .insertInto('incidents')
    .values({
      title: input.title.trim(),
      description: input.description ?? null,
      severity: input.severity ?? DEFAULT_SEVERITY,
      group_key: input.groupKey ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await linkServices(trx, row.id, input.serviceIds ?? []);
  const source = input.source ?? 'api';
  await appendTimeline(trx, row.id, 'created', `Incident opened (${row.severity}, via ${source})`, {
    severity: row.severity,
    source,
  });
  markChanged(effects, row.id, 'incident.created');
  return toIncidentOf(trx, row);
}

/**
 * Applies changes to a locked incident row: validates the transition, stamps its times, writes the timeline,
 * bumps the version (only if it is still `current.version`) and marks the incident for its event. Fields that
 * would not change are no-ops; with none left, nothing is written.
 */
export async function applyChanges(
  trx: Kysely<Database>,
  current: IncidentRow,
  changes: IncidentChanges,
  effects: Effects,
  source = 'api',
): Promise<Incident> {
  const set: UpdateObject<Database, 'incidents'> = {};
  const entries: Array<[TimelineKind, string, Record<string, unknown>]> = [];
  if (changes.title !== undefined && changes.title.trim() !== current.title) set.title = changes.title.trim();
  if (changes.description !== undefined && changes.description !== current.description) {
    set.description = changes.description;
  }
  if (changes.severity !== undefined && changes.severity !== current.severity) {
    set.severity = changes.severity;
    entries.push([
      'severity_changed',
      `Severity changed from ${current.severity} to ${changes.severity}`,
      { from: current.severity, to: changes.severity, source },
    ]);
  }
  const to = changes.status;
  const statusChanges = to !== undefined && to !== current.status;
  if (statusChanges) {
    assertTransition(current.status, to);
    set.status = to;
    const stamps = stampsFor(current, to);
    if (stamps.acknowledges) set.acknowledged_at = sql<Date>`clock_timestamp()`;
    if (stamps.resolves) set.resolved_at = sql<Date>`clock_timestamp()`;
    else if (stamps.reopens) set.resolved_at = null;
    entries.push([
      'status_changed',
      `Status changed from ${current.status} to ${to}`,
      { from: current.status, to, source },
    ]);
  }
  const servicesChange =
    changes.serviceIds !== undefined && (await servicesDiffer(trx, current.id, changes.serviceIds));
  if (Object.keys(set).length === 0 && !servicesChange) return toIncidentOf(trx, current);

  if (servicesChange && changes.serviceIds) {
    await trx.deleteFrom('incident_services').where('incident_id', '=', current.id).execute();
    await linkServices(trx, current.id, changes.serviceIds);
  }
  const type = statusChanges && to === 'resolved' ? 'incident.resolved' : 'incident.updated';
  const { row, incident } = await bumpVersion(trx, current, set, type, effects);
  for (const [kind, message, details] of entries) await appendTimeline(trx, row.id, kind, message, details);

  if (current.acknowledged_at === null && row.acknowledged_at !== null) {
    effects.acknowledgedAfter.push(seconds(row.created_at, row.acknowledged_at));
  }
  if (statusChanges && to === 'resolved' && row.resolved_at !== null) {
    effects.resolvedAfter.push(seconds(row.created_at, row.resolved_at));
  }
  return incident;
}

async function servicesDiffer(db: Kysely<Database>, incidentId: string, serviceIds: readonly string[]) {
  const rows = await db
    .selectFrom('incident_services')
    .select('service_id')
    .where('incident_id', '=', incidentId)
    .execute();
  const current = new Set(rows.map((row) => row.service_id));
  const wanted = new Set(serviceIds);
  return current.size !== wanted.size || [...wanted].some((id) => !current.has(id));
}

/**
 * Writes `set` and the next version, provided the row is still at `current.version` (412 otherwise), and marks
 * the incident for its event.
 */
async function bumpVersion(
  trx: Kysely<Database>,
  current: IncidentRow,
  set: UpdateObject<Database, 'incidents'>,
  type: IncidentEventType,
  effects: Effects,
) {
  const row = await trx
    .updateTable('incidents')
    .set({ ...set, version: sql<number>`version + 1`, updated_at: sql<Date>`clock_timestamp()` })
    .where('id', '=', current.id)
    .where('version', '=', current.version)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw preconditionFailed(current.id, current.version + 1);
  markChanged(effects, row.id, type);
  return { row, incident: await toIncidentOf(trx, row) };
}

/** Bumps the version of an incident whose timeline grew, and marks it for `incident.updated`. */
export async function touchIncident(trx: Kysely<Database>, current: IncidentRow, effects: Effects) {
  return (await bumpVersion(trx, current, {}, 'incident.updated', effects)).incident;
}

export async function listIncidents(db: Kysely<Database>, filter: IncidentFilter, page: PageRequest) {
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
  const { rows, nextCursor } = await pageNewestFirst(query, page);
  return { incidents: await withServices(db, rows), nextCursor };
}
