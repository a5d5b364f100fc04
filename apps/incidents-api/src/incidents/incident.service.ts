import { ValidationError } from '@steadfast/errors';
import { isUniqueViolation } from '@steadfast/http';
import type { PageRequest } from '@steadfast/service-kit';
import { type Kysely, sql, type UpdateObject } from 'kysely';
import { alertsOfIncident } from '../alerts/alert.repository.js';
import type { Database, IncidentEventType, IncidentRow, TimelineKind } from '../db/schema.js';
import { experimentMessage } from '../experiments/experiment.js';
import { activeExperimentsOn, experimentsOverlapping } from '../experiments/experiment.repository.js';
import { ensureServiceNamed } from '../services/service.repository.js';
import { type Effects, markChanged, type Publish } from './effects.js';
import { claimIdempotencyKey, type StoredResponse, storeIdempotentResponse } from './idempotency.js';
import {
  actorOf,
  type ChangeSource,
  DEFAULT_SEVERITY,
  type Incident,
  type IncidentChanges,
  type IncidentFilter,
  type IncidentWithTimeline,
  incidentChanged,
  incidentNotFound,
  incidentResolvedUnacknowledged,
  type NamingSource,
  type NewIncident,
  notesLimitReached,
  type TimelineEvent,
} from './incident.js';
import {
  countNotes,
  existingServiceIds,
  findIncidentRow,
  insertIncidentRow,
  insertTimelineEvent,
  latestTimeline,
  linkedServiceIds,
  linkServices,
  listIncidentRows,
  lockOpenIncidentRowByKey,
  quietIncidentIds,
  timelinePage,
  unlinkServices,
  updateIncidentRow,
  withServices,
} from './incident.repository.js';
import { formatDuration, type Review } from './postmortem.js';
import { assertTransition, SEVERITIES, stampsFor } from './status.js';
import { transact } from './transaction.js';

export interface IdempotentCreate {
  key: string;
  hash: string;
  /** The response to store for the key, built from the new incident inside the transaction. */
  render: (incident: IncidentWithTimeline) => StoredResponse;
}

/** What the Alertmanager intake works with, in the one transaction of a notification. */
export interface AlertGroupTransaction {
  /** For the intake's own tables. */
  trx: Kysely<Database>;
  /** The incident key's unresolved incident (there is at most one), locked until the transaction ends. */
  incident: Pick<Incident, 'id' | 'severity' | 'status'> | undefined;
  /** Opens the incident of the key. */
  open(input: NewIncident): Promise<Incident>;
  change(id: string, changes: IncidentChanges, reasons?: ChangeReasons): Promise<Incident>;
  /** Adds to an incident's timeline; `touch` then gives it its new version. */
  record(id: string, kind: TimelineKind, message: string, details: Record<string, unknown>): Promise<unknown>;
  touch(id: string): Promise<Incident>;
}

/** Why automation changed what it changed, appended to the timeline's entries. */
export interface ChangeReasons {
  severity?: string;
  status?: string;
}

const seconds = (from: Date, to: Date) => Math.max(0, (to.getTime() - from.getTime()) / 1000);

async function requireIncidentRow(db: Kysely<Database>, id: string, options?: { forUpdate: boolean }) {
  const row = await findIncidentRow(db, id, options);
  if (!row) throw incidentNotFound(id);
  return row;
}

async function incidentOf(db: Kysely<Database>, row: IncidentRow): Promise<Incident> {
  const [incident] = await withServices(db, [row]);
  return incident!;
}

export const DEFAULT_TIMELINE_EMBED = 20;
/** Alerts an incident embeds (the first ones by when they fired); a review lists up to REVIEW_ALERTS_MAX. */
export const ALERTS_EMBED_MAX = 50;
export const REVIEW_ALERTS_MAX = 200;
/** Quiet incidents resolved per sweep; the next sweep takes the rest. */
const QUIET_BATCH = 100;
export const DEFAULT_NOTES_MAX = 1000;

export interface IncidentServiceOptions {
  /** How many of the latest timeline entries an incident embeds (the rest are paged at /timeline). */
  timelineEmbed: number;
  /** The most notes one incident may hold. */
  notesMax: number;
}

/** Who a service created from a name says created it, by the source of the change. */
const CREATED_BY: Record<NamingSource, string> = {
  api: 'Created when an incident named it',
  alertmanager: 'Created from Alertmanager alerts',
};

async function detailed(
  db: Kysely<Database>,
  incident: Incident,
  embed: number,
): Promise<IncidentWithTimeline> {
  const { entries, truncated } = await latestTimeline(db, incident.id, embed);
  const { alerts, truncated: alertsTruncated } = await alertsOfIncident(db, incident.id, ALERTS_EMBED_MAX);
  return { ...incident, timeline: entries, timelineTruncated: truncated, alerts, alertsTruncated };
}

/** Rejects service ids that do not exist, naming each one. */
async function assertServicesExist(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  const known = await existingServiceIds(db, ids);
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

/**
 * The commands of one transaction, which every entry point changes incidents with; each marks what it changed
 * for the events the transaction stores and publishes.
 */
function commandsIn(trx: Kysely<Database>, effects: Effects, options: IncidentServiceOptions) {
  const lock = (id: string) => requireIncidentRow(trx, id, { forUpdate: true });

  async function attachServices(incidentId: string, serviceIds: readonly string[]) {
    const unique = [...new Set(serviceIds)];
    await assertServicesExist(trx, unique);
    await linkServices(trx, incidentId, unique);
  }

  /** The ids of the services with these names, each created when the catalog has no such name. */
  async function serviceIdsNamed(names: readonly string[], source: NamingSource): Promise<string[]> {
    const ids: string[] = [];
    for (const name of new Set(names.map((n) => n.trim()).filter((n) => n !== ''))) {
      ids.push((await ensureServiceNamed(trx, name, CREATED_BY[source])).id);
    }
    return ids;
  }

  async function servicesDiffer(incidentId: string, serviceIds: readonly string[]) {
    const current = await linkedServiceIds(trx, incidentId);
    const wanted = new Set(serviceIds);
    return current.size !== wanted.size || [...wanted].some((id) => !current.has(id));
  }

  /** Writes `set` and the next version, provided the row is still at `current.version` (412 otherwise). */
  async function bumpVersion(
    current: IncidentRow,
    set: UpdateObject<Database, 'incidents'>,
    type: IncidentEventType,
  ) {
    const row = await updateIncidentRow(trx, current, set);
    if (!row) throw incidentChanged(current.id, current.version + 1);
    markChanged(effects, row.id, type);
    return { row, incident: await incidentOf(trx, row) };
  }

  /**
   * Validates the transition, stamps its times, writes the timeline and the next version. Fields that would not
   * change are no-ops; with none left, nothing is written.
   */
  async function applyChanges(
    current: IncidentRow,
    changes: IncidentChanges,
    source: ChangeSource,
    reasons: ChangeReasons = {},
  ): Promise<Incident> {
    const because = (reason: string | undefined) => (reason ? `: ${reason}` : '');
    const set: UpdateObject<Database, 'incidents'> = {};
    const entries: Array<[TimelineKind, string, Record<string, unknown>]> = [];
    if (changes.title !== undefined && changes.title.trim() !== current.title)
      set.title = changes.title.trim();
    if (changes.description !== undefined && changes.description !== current.description) {
      set.description = changes.description;
    }
    if (changes.severity !== undefined && changes.severity !== current.severity) {
      set.severity = changes.severity;
      const raised = SEVERITIES.indexOf(changes.severity) < SEVERITIES.indexOf(current.severity);
      entries.push([
        'severity_changed',
        `Severity ${raised ? 'raised' : 'lowered'} from ${current.severity} to ${changes.severity}${because(reasons.severity)}`,
        { from: current.severity, to: changes.severity, source },
      ]);
    }
    const to = changes.status;
    const statusChanges = to !== undefined && to !== current.status;
    if (statusChanges) {
      assertTransition(current.status, to, actorOf(source));
      set.status = to;
      const stamps = stampsFor(current, to);
      if (stamps.resolves) set.resolved_at = sql<Date>`clock_timestamp()`;
      else if (stamps.reopens) set.resolved_at = null;
      entries.push([
        'status_changed',
        `Status changed from ${current.status} to ${to}${because(reasons.status)}`,
        { from: current.status, to, source },
      ]);
    }
    // By id and by name together, as on create: the names the catalog does not know are added to it.
    const wanted =
      changes.serviceIds === undefined && changes.services === undefined
        ? undefined
        : [...(changes.serviceIds ?? []), ...(await serviceIdsNamed(changes.services ?? [], 'api'))];
    const servicesChange = wanted !== undefined && (await servicesDiffer(current.id, wanted));
    if (Object.keys(set).length === 0 && !servicesChange) return incidentOf(trx, current);

    if (servicesChange && wanted) {
      await unlinkServices(trx, current.id);
      await attachServices(current.id, wanted);
    }
    const type = statusChanges && to === 'resolved' ? 'incident.resolved' : 'incident.updated';
    const { row, incident } = await bumpVersion(current, set, type);
    for (const [kind, message, details] of entries) {
      await insertTimelineEvent(trx, row.id, kind, message, details);
    }

    if (statusChanges && to === 'resolved' && row.resolved_at !== null) {
      effects.resolvedAfter.push(seconds(row.created_at, row.resolved_at));
    }
    return incident;
  }

  return {
    detailed: (incident: Incident) => detailed(trx, incident, options.timelineEmbed),

    /** Inserts an incident, its services (by id and by name) and its `created` timeline entry. */
    /**
     * Inserts an incident, its services (by id and by name) and its `created` timeline entry, then an
     * `experiment_started` entry for each experiment running on its services right now.
     */
    async open(
      input: NewIncident,
      {
        groupKey = null,
        incidentKey = null,
        source = 'api',
      }: { groupKey?: string | null; incidentKey?: string | null; source?: NamingSource } = {},
    ): Promise<Incident> {
      const row = await insertIncidentRow(trx, {
        title: input.title.trim(),
        description: input.description ?? null,
        severity: input.severity ?? DEFAULT_SEVERITY,
        group_key: groupKey,
        incident_key: incidentKey,
      });
      const named = await serviceIdsNamed(input.services ?? [], source);
      await attachServices(row.id, [...(input.serviceIds ?? []), ...named]);
      await insertTimelineEvent(trx, row.id, 'created', `Incident opened (${row.severity}, via ${source})`, {
        severity: row.severity,
        source,
      });
      const incident = await incidentOf(trx, row);
      const running = await activeExperimentsOn(
        trx,
        incident.services.map((service) => service.name),
      );
      for (const experiment of running) {
        await insertTimelineEvent(
          trx,
          row.id,
          'experiment_started',
          experimentMessage({
            event: 'started',
            experimentId: experiment.experiment_id,
            description: experiment.description,
          }),
          {
            experimentId: experiment.experiment_id,
            service: experiment.service,
            at: new Date(experiment.at).toISOString(),
          },
        );
      }
      markChanged(effects, row.id, 'incident.created');
      return incident;
    },

    /** Applies changes; with `expectedVersion` (If-Match) a stale version is 412 and changes nothing. */
    async change(
      id: string,
      changes: IncidentChanges,
      {
        expectedVersion,
        source = 'api',
        reasons,
      }: { expectedVersion?: number | undefined; source?: ChangeSource; reasons?: ChangeReasons } = {},
    ): Promise<Incident> {
      const current = await lock(id);
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw incidentChanged(id, current.version);
      }
      return applyChanges(current, changes, source, reasons);
    },

    /**
     * A person taking the incident on: stamps `acknowledgedAt` (what time to acknowledge counts) and moves an
     * `open` incident to `investigating`. Acknowledging again changes nothing, whatever If-Match says (there is
     * nothing to overwrite); a resolved incident that no one acknowledged cannot be any more (409).
     */
    async acknowledge(
      id: string,
      { expectedVersion, by }: { expectedVersion?: number | undefined; by: string },
    ) {
      const current = await lock(id);
      if (current.acknowledged_at !== null) return incidentOf(trx, current);
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw incidentChanged(id, current.version);
      }
      if (current.status === 'resolved') throw incidentResolvedUnacknowledged(id);
      const set: UpdateObject<Database, 'incidents'> = { acknowledged_at: sql<Date>`clock_timestamp()` };
      if (current.status === 'open') set.status = 'investigating';
      const { row, incident } = await bumpVersion(current, set, 'incident.updated');
      await insertTimelineEvent(trx, id, 'acknowledged', `Acknowledged by ${by}`, { by });
      if (set.status) {
        await insertTimelineEvent(
          trx,
          id,
          'status_changed',
          'Status changed from open to investigating: acknowledged',
          {
            from: 'open',
            to: 'investigating',
            source: 'api',
          },
        );
      }
      if (row.acknowledged_at !== null)
        effects.acknowledgedAfter.push(seconds(row.created_at, row.acknowledged_at));
      return incident;
    },

    async addNote(id: string, message: string): Promise<{ event: TimelineEvent; incident: Incident }> {
      const current = await lock(id);
      // Counted under the incident's row lock: concurrent notes cannot pass the cap together.
      if ((await countNotes(trx, id)) >= options.notesMax) throw notesLimitReached(id, options.notesMax);
      const event = await insertTimelineEvent(trx, id, 'note', message.trim());
      return { event, incident: (await bumpVersion(current, {}, 'incident.updated')).incident };
    },

    record: (id: string, kind: TimelineKind, message: string, details: Record<string, unknown>) =>
      insertTimelineEvent(trx, id, kind, message, details),

    /** Gives an incident whose timeline grew its next version. */
    async touch(id: string): Promise<Incident> {
      return (await bumpVersion(await lock(id), {}, 'incident.updated')).incident;
    },
  };
}

type Work<T> = (commands: ReturnType<typeof commandsIn>, trx: Kysely<Database>) => Promise<T>;

/** Runs `work` with the incident commands in one transaction; its events are published once it has committed. */
export const runCommands = <T>(
  db: Kysely<Database>,
  publish: Publish,
  options: IncidentServiceOptions,
  work: Work<T>,
) => transact(db, publish, (trx, effects) => work(commandsIn(trx, effects, options), trx));

/**
 * Incidents as every entry point changes and reads them: each command in one transaction, its events published
 * once it has committed.
 */
export function incidentService(db: Kysely<Database>, publish: Publish, options: IncidentServiceOptions) {
  const inTransaction = <T>(work: Work<T>) => runCommands(db, publish, options, work);

  return {
    async open(input: NewIncident): Promise<IncidentWithTimeline> {
      return inTransaction(async (commands) => commands.detailed(await commands.open(input)));
    },

    /** Opens once per key: a retry gets the first response, even when both arrive at the same time. */
    async openOnce(
      input: NewIncident,
      { key, hash, render }: IdempotentCreate,
    ): Promise<StoredResponse & { replayed: boolean }> {
      return inTransaction(async (commands, trx) => {
        const earlier = await claimIdempotencyKey(trx, key, hash);
        if (earlier) return { ...earlier, replayed: true };
        const response = render(await commands.detailed(await commands.open(input)));
        await storeIdempotentResponse(trx, key, response);
        return { ...response, replayed: false };
      });
    },

    async acknowledge(id: string, by: string, expectedVersion?: number): Promise<IncidentWithTimeline> {
      return inTransaction(async (commands) =>
        commands.detailed(await commands.acknowledge(id, { expectedVersion, by })),
      );
    },

    /**
     * Resolves the `monitoring` incidents whose alerts all resolved and that nothing changed for `quietMs` before
     * `now` (a person's note or status restarts the wait); each in its own transaction, re-checked under its lock.
     * Returns how many it resolved.
     */
    async resolveQuiet(quietMs: number, now: Date = new Date()): Promise<number> {
      const before = new Date(now.getTime() - quietMs);
      let resolved = 0;
      for (const id of await quietIncidentIds(db, before, QUIET_BATCH)) {
        const done = await inTransaction(async (commands, trx) => {
          await requireIncidentRow(trx, id, { forUpdate: true });
          if ((await quietIncidentIds(trx, before, 1, id)).length === 0) return false;
          await commands.change(
            id,
            { status: 'resolved' },
            {
              source: 'quiet-period',
              reasons: { status: `every alert stayed resolved for ${formatDuration(quietMs / 1000)}` },
            },
          );
          return true;
        });
        if (done) resolved++;
      }
      return resolved;
    },

    async get(id: string): Promise<IncidentWithTimeline> {
      return detailed(db, await incidentOf(db, await requireIncidentRow(db, id)), options.timelineEmbed);
    },

    /**
     * The incident with the first `count` entries of its timeline (`truncated` when more exist), its alerts and the
     * experiments that overlapped it on its services, for a review.
     */
    async review(id: string, count: number): Promise<Review> {
      const incident = await incidentOf(db, await requireIncidentRow(db, id));
      const { entries, nextCursor } = await timelinePage(db, id, { limit: count });
      const { alerts, truncated: alertsTruncated } = await alertsOfIncident(db, id, REVIEW_ALERTS_MAX);
      // The fault shows in the alerts before the incident opens: an experiment counts from the first alert on.
      const from = [incident.createdAt, ...alerts.map((alert) => alert.startsAt)].sort()[0] as string;
      const experiments = await experimentsOverlapping(
        db,
        incident.services.map((service) => service.name),
        from,
        incident.resolvedAt,
      );
      return {
        incident,
        timeline: entries,
        truncated: nextCursor !== null,
        alerts,
        alertsTruncated,
        experiments,
      };
    },

    async list(filter: IncidentFilter, page: PageRequest) {
      const { rows, nextCursor } = await listIncidentRows(db, filter, page);
      return { incidents: await withServices(db, rows), nextCursor };
    },

    async change(
      id: string,
      changes: IncidentChanges,
      expectedVersion?: number,
    ): Promise<IncidentWithTimeline> {
      return inTransaction(async (commands) =>
        commands.detailed(await commands.change(id, changes, { expectedVersion })),
      );
    },

    async addNote(id: string, message: string): Promise<{ event: TimelineEvent; incident: Incident }> {
      return inTransaction((commands) => commands.addNote(id, message));
    },

    /** One page of the timeline, oldest first. */
    async timeline(id: string, page: PageRequest) {
      await requireIncidentRow(db, id);
      return timelinePage(db, id, page);
    },
  };
}

export type IncidentService = ReturnType<typeof incidentService>;

/**
 * The command the Alertmanager intake applies a batch of alerts with: runs `work` in one transaction with the
 * unresolved incident of their incident key (their SLO, or their group) locked. Opening that incident is unique per
 * key: when a concurrent notification opened it first, `work` runs again and finds it.
 */
export async function openOnceForAlerts<T>(
  db: Kysely<Database>,
  publish: Publish,
  options: IncidentServiceOptions,
  { incidentKey, groupKey }: { incidentKey: string; groupKey: string },
  work: (group: AlertGroupTransaction) => Promise<T>,
): Promise<T> {
  const attempt = () =>
    runCommands(db, publish, options, async (commands, trx) => {
      const row = await lockOpenIncidentRowByKey(trx, incidentKey);
      return work({
        trx,
        incident: row && { id: row.id, severity: row.severity, status: row.status },
        open: (input) => commands.open(input, { groupKey, incidentKey, source: 'alertmanager' }),
        change: (id, changes, reasons) => commands.change(id, changes, { source: 'alertmanager', reasons }),
        record: commands.record,
        touch: commands.touch,
      });
    });
  try {
    return await attempt();
  } catch (error) {
    if (!isUniqueViolation(error, 'incidents_open_incident_key')) throw error;
    return attempt();
  }
}
