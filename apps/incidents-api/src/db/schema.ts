import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable } from 'kysely';

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type IncidentStatus = 'open' | 'investigating' | 'identified' | 'monitoring' | 'resolved';
export type TimelineKind =
  | 'created'
  | 'status_changed'
  | 'severity_changed'
  | 'alert_firing'
  | 'alert_resolved'
  | 'acknowledged'
  | 'experiment_started'
  | 'experiment_ended'
  | 'note';
export type IncidentEventType = 'incident.created' | 'incident.updated' | 'incident.resolved';

type CreatedAt = ColumnType<Date, never, never>;
type UpdatedAt = ColumnType<Date, never, Date | string>;

export interface ServicesTable {
  id: Generated<string>;
  name: string;
  owner: string | null;
  tier: number | null;
  description: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface IncidentsTable {
  id: Generated<string>;
  title: string;
  description: string | null;
  severity: Severity;
  status: Generated<IncidentStatus>;
  /** Bumped on every change; the ETag. */
  version: Generated<number>;
  /** Alertmanager's groupKey for incidents opened by alerts. */
  group_key: string | null;
  /** What alerts find the incident by: `slo:<service>/<slo>` or `group:<groupKey>` (see alerts/incident-key.ts). */
  incident_key: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
}

export interface IncidentServicesTable {
  incident_id: string;
  service_id: string;
}

export interface TimelineEventsTable {
  id: Generated<number>;
  incident_id: string;
  kind: TimelineKind;
  message: string;
  details: JSONColumnType<Record<string, unknown>>;
  created_at: CreatedAt;
}

export interface AlertsTable {
  id: Generated<number>;
  incident_id: string | null;
  group_key: string;
  fingerprint: string;
  starts_at: Date | string;
  status: 'firing' | 'resolved';
  alertname: string | null;
  labels: JSONColumnType<Record<string, string>>;
  annotations: JSONColumnType<Record<string, string>>;
  ends_at: Date | string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface IdempotencyKeysTable {
  key: string;
  request_hash: string;
  status_code: number | null;
  headers: JSONColumnType<Record<string, string>> | null;
  body: ColumnType<unknown, string | null, string | null>;
  created_at: CreatedAt;
}

export interface IncidentEventsTable {
  id: Generated<number>;
  type: IncidentEventType;
  incident_id: string;
  payload: ColumnType<unknown, string, string>;
  created_at: CreatedAt;
}

export type ExperimentEventKind = 'started' | 'ended';
export type ExperimentEndedBy = 'expired' | 'deleted' | 'kill-switch' | 'stop-condition';

export interface StopCondition {
  description: string;
  value: number;
  threshold: number;
}

export interface ExperimentEventsTable {
  id: Generated<number>;
  experiment_id: string;
  event: ExperimentEventKind;
  service: string;
  description: string;
  at: Date | string;
  ends_at: Date | string | null;
  ended_by: ExperimentEndedBy | null;
  stop_condition: ColumnType<StopCondition | null, string | null, never>;
  created_at: CreatedAt;
}

export interface Database {
  services: ServicesTable;
  incidents: IncidentsTable;
  incident_services: IncidentServicesTable;
  timeline_events: TimelineEventsTable;
  alerts: AlertsTable;
  idempotency_keys: IdempotencyKeysTable;
  incident_events: IncidentEventsTable;
  experiment_events: ExperimentEventsTable;
}

export type ServiceRow = Selectable<ServicesTable>;
export type IncidentRow = Selectable<IncidentsTable>;
export type TimelineEventRow = Selectable<TimelineEventsTable>;
export type IncidentEventRow = Selectable<IncidentEventsTable>;
export type ExperimentEventRow = Selectable<ExperimentEventsTable>;
export type NewIncidentRow = Insertable<IncidentsTable>;
