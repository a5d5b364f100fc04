import type { Kysely } from 'kysely';
import type { Database, IncidentStatus, Severity } from '../db/schema.js';
import type { Publish } from '../incidents/effects.js';
import type { IncidentChanges } from '../incidents/incident.js';
import {
  type AlertGroupTransaction,
  type IncidentServiceOptions,
  openOnceForAlerts,
} from '../incidents/incident.service.js';
import { canTransition, SEVERITIES, worse } from '../incidents/status.js';
import {
  type FiringAlert,
  firingAlertKinds,
  insertAlertOnce,
  lockKnownAlert,
  markAlertResolved,
} from './alert.repository.js';
import { pages } from './alert-facts.js';
import type { AlertmanagerAlert, AlertmanagerPayload } from './payload.js';
import { severityOfAlert } from './severity.js';

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

const serviceOf = (payload: AlertmanagerPayload, alert: AlertmanagerAlert) =>
  SERVICE_LABELS.map((label) => labelOf(payload, alert, label)?.trim())
    .find((name) => name)
    ?.slice(0, SERVICE_NAME_MAX);

/**
 * What finds an alert's incident: its SLO (`slo:<service>/<sloth_slo>`) when it is a generated SLO alert, so that
 * every tier of one SLO, page and ticket, joins one incident although Alertmanager routes them separately (different
 * groupKeys); else its Alertmanager group (`group:<groupKey>`).
 */
export function incidentKeyOf(payload: AlertmanagerPayload, alert: AlertmanagerAlert): string {
  const service = serviceOf(payload, alert);
  const slo = labelOf(payload, alert, 'sloth_slo')?.trim();
  return service && slo ? `slo:${service}/${slo}` : `group:${payload.groupKey}`;
}

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
    .map((alert) => serviceOf(payload, alert))
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

const kindOf = (alert: FiringAlert) =>
  [alert.alertname ?? 'alert', alert.tier ? `(${alert.tier})` : undefined].filter(Boolean).join(' ');

/** The most severe of the firing alerts, or undefined when none fires. */
function worstFiring(firing: FiringAlert[]): { severity: Severity; alert: FiringAlert } | undefined {
  const ranked = firing
    .map((alert) => ({ severity: severityOfAlert(alert), alert }))
    .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  return ranked[0];
}

/**
 * What the incident's alerts (all of them, of every tier and group) now say about it: its severity is that of the
 * most severe firing alert (a page joining raises it, the page resolving lowers it; once none fires it stays as it
 * was); with none firing it moves on to `resolveStatus`; a new paging alert re-opens a `monitoring` incident to
 * `investigating`. Returns whether it changed.
 */
async function settle(
  group: AlertGroupTransaction,
  incident: NonNullable<AlertGroupTransaction['incident']>,
  newPage: boolean,
  resolveStatus: IncidentStatus,
): Promise<boolean> {
  const changes: IncidentChanges = {};
  const reasons: { severity?: string; status?: string } = {};
  const worst = worstFiring(await firingAlertKinds(group.trx, incident.id));
  if (worst && worst.severity !== incident.severity) {
    changes.severity = worst.severity;
    reasons.severity = `the most severe firing alert is ${kindOf(worst.alert)}`;
  }
  if (!worst && canTransition(incident.status, resolveStatus, 'automation')) {
    changes.status = resolveStatus;
    reasons.status = 'every alert has resolved';
  } else if (worst && newPage && incident.status === 'monitoring') {
    changes.status = 'investigating';
    reasons.status = `${kindOf(worst.alert)} is firing again`;
  }
  if (Object.keys(changes).length === 0) return false;
  await group.change(incident.id, changes, reasons);
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
    .map((alert) => severityOfAlert(alert.labels))
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
      (await settle(
        group,
        existing,
        firing.some((alert) => pages(alert.labels)),
        resolveStatus,
      )));
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
    /** Applies one batch of alerts that share one incident key (see incidentKeyOf). */
    receive(payload: AlertmanagerPayload, incidentKey: string): Promise<AlertIntakeResult> {
      return openOnceForAlerts(
        db,
        publish,
        options.incidents,
        { incidentKey, groupKey: payload.groupKey },
        (group) => apply(group, payload, options),
      );
    },
  };
}

export type AlertIntake = ReturnType<typeof alertIntake>;

/**
 * Applies a notification batch by batch (each its own guarded call, so each gets the database policy's budget),
 * the alerts of each incident key apart. Firing alerts go first, so that only the last batches can find every
 * alert of an incident resolved.
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
  const byKey = new Map<string, AlertmanagerAlert[]>();
  for (const alert of ordered) {
    const key = incidentKeyOf(payload, alert);
    const alerts = byKey.get(key) ?? [];
    alerts.push(alert);
    byKey.set(key, alerts);
  }
  const batches = [...byKey].flatMap(([key, alerts]) =>
    Array.from({ length: Math.ceil(alerts.length / ALERT_BATCH_SIZE) }, (_, i) => ({
      key,
      alerts: alerts.slice(i * ALERT_BATCH_SIZE, (i + 1) * ALERT_BATCH_SIZE),
    })),
  );
  for (const { key, alerts } of batches) {
    const result = await intake.receive({ ...payload, alerts }, key);
    total.incidentId ??= result.incidentId;
    total.incidentCreated ||= result.incidentCreated;
    total.alerts.new += result.alerts.new;
    total.alerts.resolved += result.alerts.resolved;
    total.alerts.duplicate += result.alerts.duplicate;
  }
  return total;
}
