import type { Kysely } from 'kysely';
import type { Database, IncidentStatus, Severity } from '../db/schema.js';
import type { Publish } from '../incidents/effects.js';
import type { IncidentChanges } from '../incidents/incident.js';
import {
  type AlertGroupTransaction,
  type IncidentServiceOptions,
  openOnceForAlerts,
} from '../incidents/incident.service.js';
import { canTransition, worse } from '../incidents/status.js';
import { hasFiringAlerts, insertAlertOnce, lockKnownAlert, markAlertResolved } from './alert.repository.js';
import type { AlertmanagerAlert, AlertmanagerPayload } from './payload.js';
import { severityFromLabel } from './severity.js';

export interface AlertIntakeOptions {
  /** Where an incident goes once every alert of its group has resolved. */
  resolveStatus: Extract<IncidentStatus, 'monitoring' | 'resolved'>;
  incidents: IncidentServiceOptions;
}

/**
 * Alerts applied per transaction. Alertmanager sends a whole group at once (thousands of alerts when `max_alerts`
 * is not set); in batches each transaction stays short and within the database policy's timeout, and since
 * alerts are keyed by (fingerprint, startsAt) a retry after a failed batch applies only what is missing.
 */
export const ALERT_BATCH_SIZE = 50;

/** Room for a group of several thousand alerts; Alertmanager's `max_alerts` keeps notifications below it. */
export const DEFAULT_ALERTS_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export interface AlertIntakeResult {
  incidentId: string | null;
  incidentCreated: boolean;
  alerts: { new: number; resolved: number; duplicate: number };
}

const TITLE_MAX = 200;
const SERVICE_NAME_MAX = 100;
/**
 * The labels that name an alert's affected service, first present wins: `service` (set by hand or by the kit's
 * metrics), `sloth_service` (every generated SLO alert), `job` (Prometheus' own, for alerts on raw targets).
 */
export const SERVICE_LABELS = ['service', 'sloth_service', 'job'] as const;

const labelOf = (payload: AlertmanagerPayload, alert: AlertmanagerAlert | undefined, name: string) =>
  alert?.labels[name] ?? payload.commonLabels[name] ?? payload.groupLabels[name];
const annotationOf = (payload: AlertmanagerPayload, alert: AlertmanagerAlert | undefined, name: string) =>
  payload.commonAnnotations[name] ?? alert?.annotations?.[name];

function titleOf(payload: AlertmanagerPayload, alert: AlertmanagerAlert | undefined): string {
  const title =
    annotationOf(payload, alert, 'summary') ??
    annotationOf(payload, alert, 'title') ??
    labelOf(payload, alert, 'alertname') ??
    `Alert group ${payload.groupKey}`;
  return title.trim().slice(0, TITLE_MAX) || 'Untitled alert';
}

const describe = (alert: AlertmanagerAlert) => {
  const name = alert.labels.alertname ?? 'alert';
  const summary = alert.annotations?.summary ?? alert.annotations?.description;
  return summary ? `${name}: ${summary}` : name;
};

const alertDetails = (alert: AlertmanagerAlert) => ({
  fingerprint: alert.fingerprint,
  startsAt: alert.startsAt,
  ...(alert.status === 'resolved' && alert.endsAt ? { endsAt: alert.endsAt } : {}),
  labels: alert.labels,
  ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
});

interface Resolving {
  alert: AlertmanagerAlert;
  id: number;
  incidentId: string | null;
}

/** Sorts a notification's alerts by what is known of them: new, known and now resolved, or already recorded. */
async function classify({ trx }: AlertGroupTransaction, alerts: AlertmanagerAlert[]) {
  const fresh: AlertmanagerAlert[] = [];
  const resolving: Resolving[] = [];
  let duplicate = 0;
  for (const alert of alerts) {
    const known = await lockKnownAlert(trx, alert.fingerprint, alert.startsAt);
    if (!known) fresh.push(alert);
    else if (known.status === 'firing' && alert.status === 'resolved') {
      resolving.push({ alert, id: known.id, incidentId: known.incident_id });
    } else duplicate++;
  }
  return { fresh, resolving, duplicate };
}

/** Opens the group's incident from its firing alerts, on the services their labels name (see SERVICE_LABELS). */
async function openIncident(
  group: AlertGroupTransaction,
  payload: AlertmanagerPayload,
  firing: AlertmanagerAlert[],
  severity: Severity,
): Promise<string> {
  const services = firing
    .map((alert) =>
      SERVICE_LABELS.map((label) => labelOf(payload, alert, label)?.trim())
        .find((name) => name)
        ?.slice(0, SERVICE_NAME_MAX),
    )
    .filter((name): name is string => name !== undefined);
  const opened = await group.open({
    title: titleOf(payload, firing[0]),
    description: annotationOf(payload, firing[0], 'description') ?? null,
    severity,
    services,
  });
  return opened.id;
}

/** Records new alerts (a concurrent delivery may have just done so: those count as duplicates). */
async function recordFresh(
  group: AlertGroupTransaction,
  payload: AlertmanagerPayload,
  fresh: AlertmanagerAlert[],
  incidentId: string | null,
) {
  let added = 0;
  for (const alert of fresh) {
    const inserted = await insertAlertOnce(group.trx, {
      incident_id: incidentId,
      group_key: payload.groupKey,
      fingerprint: alert.fingerprint,
      starts_at: alert.startsAt,
      status: alert.status,
      alertname: alert.labels.alertname ?? null,
      labels: JSON.stringify(alert.labels),
      annotations: JSON.stringify(alert.annotations ?? {}),
      ends_at: alert.status === 'resolved' ? (alert.endsAt ?? null) : null,
    });
    if (!inserted) continue;
    added++;
    if (incidentId === null) continue;
    const kind = alert.status === 'firing' ? 'alert_firing' : 'alert_resolved';
    await group.record(incidentId, kind, `Alert ${alert.status}: ${describe(alert)}`, alertDetails(alert));
  }
  return added;
}

async function recordResolved(group: AlertGroupTransaction, resolving: Resolving[]) {
  for (const { alert, id, incidentId } of resolving) {
    await markAlertResolved(group.trx, id, alert.endsAt ?? null);
    if (incidentId !== null) {
      await group.record(
        incidentId,
        'alert_resolved',
        `Alert resolved: ${describe(alert)}`,
        alertDetails(alert),
      );
    }
  }
}

/**
 * What the group's alerts now say about its incident that was already open: a worse new alert raises its
 * severity, and when none is firing any more it moves on to `resolveStatus`. Returns whether it changed.
 */
async function settle(
  group: AlertGroupTransaction,
  incident: NonNullable<AlertGroupTransaction['incident']>,
  severity: Severity | undefined,
  resolveStatus: IncidentStatus,
): Promise<boolean> {
  const changes: IncidentChanges = {};
  if (severity && worse(severity, incident.severity) !== incident.severity) changes.severity = severity;
  const stillFiring = await hasFiringAlerts(group.trx, incident.id);
  if (!stillFiring && canTransition(incident.status, resolveStatus)) changes.status = resolveStatus;
  if (Object.keys(changes).length === 0) return false;
  await group.change(incident.id, changes);
  return true;
}

/** Applies one notification in the transaction the incident service opened for its group. */
async function apply(
  group: AlertGroupTransaction,
  payload: AlertmanagerPayload,
  { resolveStatus }: AlertIntakeOptions,
): Promise<AlertIntakeResult> {
  const { fresh, resolving, duplicate } = await classify(group, payload.alerts);
  const firing = fresh.filter((alert) => alert.status === 'firing');
  const severity = firing
    .map((alert) => severityFromLabel(labelOf(payload, alert, 'severity')))
    .reduce<Severity | undefined>((a, b) => (a === undefined ? b : worse(a, b)), undefined);

  const existing = group.incident;
  const incidentCreated = !existing && severity !== undefined;
  let incidentId = existing?.id;
  if (!existing && severity !== undefined) incidentId = await openIncident(group, payload, firing, severity);
  const added = await recordFresh(group, payload, fresh, incidentId ?? null);
  await recordResolved(group, resolving);

  // Every incident whose timeline grew gets a new version, once.
  const touched = new Set(resolving.map((r) => r.incidentId).filter((id): id is string => id !== null));
  if (incidentId && added > 0) touched.add(incidentId);
  // Only this notification's alerts may move the incident on: a human's reopening stands until they change.
  const settled =
    incidentCreated ||
    (existing !== undefined &&
      touched.has(existing.id) &&
      (await settle(group, existing, severity, resolveStatus)));
  if (incidentId && settled) touched.delete(incidentId);
  for (const id of touched) await group.touch(id);

  return {
    incidentId: incidentId ?? resolving.find((r) => r.incidentId)?.incidentId ?? null,
    incidentCreated,
    alerts: { new: added, resolved: resolving.length, duplicate: duplicate + fresh.length - added },
  };
}

/**
 * Turns Alertmanager notifications into incidents, one transaction per batch of a notification's alerts (see
 * `receiveInBatches`). Alerts are keyed by (fingerprint, startsAt), so re-sent notifications change nothing; a
 * group has at most one unresolved incident.
 */
export function alertIntake(db: Kysely<Database>, publish: Publish, options: AlertIntakeOptions) {
  return {
    /** Applies one batch: a notification with at most ALERT_BATCH_SIZE alerts. */
    receive(payload: AlertmanagerPayload): Promise<AlertIntakeResult> {
      return openOnceForAlerts(db, publish, options.incidents, payload.groupKey, (group) =>
        apply(group, payload, options),
      );
    },
  };
}

export type AlertIntake = ReturnType<typeof alertIntake>;

/**
 * Applies a notification batch by batch (each its own guarded call, so each gets the database policy's budget).
 * Firing alerts go first, so that only the last batches can find every alert of the group resolved.
 */
export async function receiveInBatches(
  intake: AlertIntake,
  payload: AlertmanagerPayload,
): Promise<AlertIntakeResult> {
  const ordered = [
    ...payload.alerts.filter((alert) => alert.status === 'firing'),
    ...payload.alerts.filter((alert) => alert.status !== 'firing'),
  ];
  const total: AlertIntakeResult = {
    incidentId: null,
    incidentCreated: false,
    alerts: { new: 0, resolved: 0, duplicate: 0 },
  };
  for (let start = 0; start < ordered.length; start += ALERT_BATCH_SIZE) {
    const alerts = ordered.slice(start, start + ALERT_BATCH_SIZE);
    const result = await intake.receive({ ...payload, alerts });
    total.incidentId ??= result.incidentId;
    total.incidentCreated ||= result.incidentCreated;
    total.alerts.new += result.alerts.new;
    total.alerts.resolved += result.alerts.resolved;
    total.alerts.duplicate += result.alerts.duplicate;
  }
  return total;
}
