import { ConflictError, NotFoundError, PreconditionFailedError } from '@steadfast/errors';
import type { IncidentAlert } from '../alerts/alert-facts.js';
import type { IncidentRow, IncidentStatus, Severity, TimelineEventRow, TimelineKind } from '../db/schema.js';
import { type Actor, PRIORITIES, type Priority } from './status.js';

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

/**
 * An incident with the latest entries of its timeline (`timelineTruncated` when earlier ones exist) and its first
 * alerts, each with its tier, windows and runbook (`alertsTruncated` when it has more).
 */
export interface IncidentWithTimeline extends Incident {
  timeline: TimelineEvent[];
  timelineTruncated: boolean;
  alerts: IncidentAlert[];
  alertsTruncated: boolean;
}

export interface NewIncident {
  title: string;
  description?: string | null;
  severity?: Severity;
  serviceIds?: string[];
  /** Services by name, created in the catalog when none has the name. */
  services?: string[];
}

export interface IncidentChanges {
  title?: string;
  description?: string | null;
  severity?: Severity;
  status?: IncidentStatus;
  serviceIds?: string[];
  /** Services by name, beside `serviceIds`: the incident's services become both together (as on create). */
  services?: string[];
}

export interface IncidentFilter {
  status?: IncidentStatus | undefined;
  severity?: Severity | undefined;
  serviceId?: string | undefined;
  /** A service's name. */
  service?: string | undefined;
  active?: boolean;
}

/** Who made a change, as the timeline records it: a person through the API, or the service itself. */
export type ChangeSource = 'api' | 'alertmanager' | 'quiet-period';
/** The sources that may name services (and so add them to the catalog). */
export type NamingSource = Extract<ChangeSource, 'api' | 'alertmanager'>;

export const actorOf = (source: ChangeSource): Actor => (source === 'api' ? 'person' : 'automation');

export const DEFAULT_SEVERITY: Severity = 'medium';

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

export function toIncident(row: IncidentRow, services: ServiceRef[]): Incident {
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

export const toTimelineEvent = (row: TimelineEventRow): TimelineEvent => ({
  id: row.id,
  incidentId: row.incident_id,
  kind: row.kind,
  message: row.message,
  details: row.details,
  createdAt: row.created_at.toISOString(),
});

/** The cap on an incident's notes (NOTES_PER_INCIDENT_MAX) is reached. */
export const notesLimitReached = (id: string, limit: number) =>
  new ConflictError(
    `Incident ${id} already has ${limit} notes, the most it can hold`,
    'NOTES_LIMIT_REACHED',
    {
      details: { limit },
    },
  );

/** Acknowledging comes too late once the incident is resolved: its time to acknowledge stays unknown. */
export const incidentResolvedUnacknowledged = (id: string) =>
  new ConflictError(
    `Incident ${id} was resolved before anyone acknowledged it; reopen it to take it on`,
    'INCIDENT_RESOLVED',
  );

export const incidentNotFound = (id: string) => new NotFoundError(`Incident ${id} does not exist`);

/** A change that expected another version (If-Match, or a concurrent writer got there first). */
export const incidentChanged = (id: string, version: number) =>
  new PreconditionFailedError(
    `Incident ${id} has changed since you read it (it is at version ${version}); fetch it and try again`,
    { details: { currentVersion: version } },
  );
