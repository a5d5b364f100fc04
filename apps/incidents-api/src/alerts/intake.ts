import { isUniqueViolation } from '@steadfast/service-kit';
import type { Kysely } from 'kysely';
import type { Database, IncidentRow, IncidentStatus, Severity } from '../db/schema.js';
import type { Effects, Publish } from '../incidents/effects.js';
import {
  appendTimeline,
  applyChanges,
  findIncidentRow,
  type IncidentChanges,
  insertIncident,
  touchIncident,
} from '../incidents/queries.js';
import { canTransition, worse } from '../incidents/status.js';
import { transact } from '../incidents/transaction.js';
import { ensureServiceNamed } from '../services/repository.js';
import type { AlertmanagerAlert, AlertmanagerPayload } from './payload.js';
import { severityFromLabel } from './severity.js';

export interface AlertIntakeOptions {
  /** Where an incident goes once every alert of its group has resolved. */
  resolveStatus: Extract<IncidentStatus, 'monitoring' | 'resolved'>;
}

export interface AlertIntakeResult {
  incidentId: string | null;
  incidentCreated: boolean;
  alerts: { new: number; resolved: number; duplicate: number };
}

const TITLE_MAX = 200;

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
async function classify(trx: Kysely<Database>, alerts: AlertmanagerAlert[]) {
  const fresh: AlertmanagerAlert[] = [];
  const resolving: Resolving[] = [];
  let duplicate = 0;
  for (const alert of alerts) {
    const known = await trx
      .selectFrom('alerts')
      .select(['id', 'status', 'incident_id'])
      .where('fingerprint', '=', alert.fingerprint)
      .where('starts_at', '=', alert.startsAt)
      .forUpdate()
      .executeTakeFirst();
    if (!known) fresh.push(alert);
    else if (known.status === 'firing' && alert.status === 'resolved') {
      resolving.push({ alert, id: known.id, incidentId: known.incident_id });
    } else duplicate++;
  }
  return { fresh, resolving, duplicate };
}

/** Opens the group's incident from its firing alerts, creating the services their `service` labels name. */
async function openIncident(
  trx: Kysely<Database>,
  payload: AlertmanagerPayload,
  firing: AlertmanagerAlert[],
  severity: Severity,
  effects: Effects,
): Promise<IncidentRow> {
  const names = new Set(
    firing.map((alert) => labelOf(payload, alert, 'service')?.trim().slice(0, 100)).filter((name) => name),
  );
  const serviceIds: string[] = [];
  for (const name of names as Set<string>) {
    serviceIds.push((await ensureServiceNamed(trx, name, 'Created from Alertmanager alerts')).id);
  }
  const created = await insertIncident(
    trx,
    {
      title: titleOf(payload, firing[0]),
      description: annotationOf(payload, firing[0], 'description') ?? null,
      severity,
      serviceIds,
      groupKey: payload.groupKey,
      source: 'alertmanager',
    },
    effects,
  );
  return findIncidentRow(trx, created.id);
}

/** Records new alerts (a concurrent delivery may have just done so: those count as duplicates). */
async function recordFresh(
  trx: Kysely<Database>,
  payload: AlertmanagerPayload,
  fresh: AlertmanagerAlert[],
  incidentId: string | null,
) {
  let added = 0;
  for (const alert of fresh) {
    const inserted = await trx
      .insertInto('alerts')
      .values({
        incident_id: incidentId,
        group_key: payload.groupKey,
        fingerprint: alert.fingerprint,
        starts_at: alert.startsAt,
        status: alert.status,
        alertname: alert.labels.alertname ?? null,
        labels: JSON.stringify(alert.labels),
        annotations: JSON.stringify(alert.annotations ?? {}),
        ends_at: alert.status === 'resolved' ? (alert.endsAt ?? null) : null,
      })
      .onConflict((oc) => oc.constraint('alerts_fingerprint_starts_at_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) continue;
    added++;
    if (incidentId === null) continue;
    const kind = alert.status === 'firing' ? 'alert_firing' : 'alert_resolved';
    await appendTimeline(
      trx,
      incidentId,
      kind,
      `Alert ${alert.status}: ${describe(alert)}`,
      alertDetails(alert),
    );
  }
  return added;
}

async function recordResolved(trx: Kysely<Database>, resolving: Resolving[]) {
  for (const { alert, id, incidentId } of resolving) {
    await trx
      .updateTable('alerts')
      .set({ status: 'resolved', ends_at: alert.endsAt ?? null, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
    if (incidentId !== null) {
      await appendTimeline(
        trx,
        incidentId,
        'alert_resolved',
        `Alert resolved: ${describe(alert)}`,
        alertDetails(alert),
      );
    }
  }
}

/**
 * What the group's alerts now say about an incident that was already open: a worse new alert raises its
 * severity, and when none is firing any more it moves on to `resolveStatus`. Returns whether it changed.
 */
async function settle(
  trx: Kysely<Database>,
  incidentId: string,
  severity: Severity | undefined,
  resolveStatus: IncidentStatus,
  effects: Effects,
): Promise<boolean> {
  const current = await findIncidentRow(trx, incidentId, { forUpdate: true });
  const changes: IncidentChanges = {};
  if (severity && worse(severity, current.severity) !== current.severity) changes.severity = severity;
  const stillFiring = await trx
    .selectFrom('alerts')
    .select('id')
    .where('incident_id', '=', current.id)
    .where('status', '=', 'firing')
    .limit(1)
    .executeTakeFirst();
  if (!stillFiring && canTransition(current.status, resolveStatus)) changes.status = resolveStatus;
  if (Object.keys(changes).length === 0) return false;
  await applyChanges(trx, current, changes, effects, 'alertmanager');
  return true;
}

/**
 * Turns Alertmanager notifications into incidents, in one transaction per notification. Alerts are keyed by
 * (fingerprint, startsAt), so re-sent notifications change nothing; a group has at most one unresolved incident.
 */
export function alertIntake(db: Kysely<Database>, publish: Publish, options: AlertIntakeOptions) {
  async function process(
    trx: Kysely<Database>,
    payload: AlertmanagerPayload,
    effects: Effects,
  ): Promise<AlertIntakeResult> {
    let incident = await trx
      .selectFrom('incidents')
      .selectAll()
      .where('group_key', '=', payload.groupKey)
      .where('status', '<>', 'resolved')
      .forUpdate()
      .executeTakeFirst();
    const { fresh, resolving, duplicate } = await classify(trx, payload.alerts);
    const firing = fresh.filter((alert) => alert.status === 'firing');
    const severity = firing
      .map((alert) => severityFromLabel(labelOf(payload, alert, 'severity')))
      .reduce<Severity | undefined>((a, b) => (a === undefined ? b : worse(a, b)), undefined);

    const incidentCreated = !incident && severity !== undefined;
    if (!incident && severity !== undefined)
      incident = await openIncident(trx, payload, firing, severity, effects);
    const added = await recordFresh(trx, payload, fresh, incident?.id ?? null);
    await recordResolved(trx, resolving);

    // Every incident whose timeline grew gets a new version, once.
    const touched = new Set(resolving.map((r) => r.incidentId).filter((id): id is string => id !== null));
    if (incident && added > 0) touched.add(incident.id);
    // Only this notification's alerts may move the incident on: a human's reopening stands until they change.
    const settled =
      incident !== undefined &&
      (incidentCreated ||
        (touched.has(incident.id) &&
          (await settle(trx, incident.id, severity, options.resolveStatus, effects))));
    if (incident && settled) touched.delete(incident.id);
    for (const id of touched) {
      await touchIncident(trx, await findIncidentRow(trx, id, { forUpdate: true }), effects);
    }

    return {
      incidentId: incident?.id ?? resolving.find((r) => r.incidentId)?.incidentId ?? null,
      incidentCreated,
      alerts: { new: added, resolved: resolving.length, duplicate: duplicate + fresh.length - added },
    };
  }

  const attempt = (payload: AlertmanagerPayload) =>
    transact(db, publish, (trx, effects) => process(trx, payload, effects));

  return {
    /** Applies a notification; a concurrent one that opened the group's incident first makes this one retry. */
    async receive(payload: AlertmanagerPayload): Promise<AlertIntakeResult> {
      try {
        return await attempt(payload);
      } catch (error) {
        if (!isUniqueViolation(error, 'incidents_open_group_key')) throw error;
        return attempt(payload);
      }
    },
  };
}

export type AlertIntake = ReturnType<typeof alertIntake>;
