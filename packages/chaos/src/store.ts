import { ConflictError } from '@steadfast/errors';
import { type ColumnType, type Generated, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { type EndReason, type Fault, type FaultKind, faultJson, type RampStep } from './fault.js';
import type { StopRecord, StopWhen } from './stop-condition.js';

/** The NOTIFY channel every replica listens on; the payload only says that something changed. */
export const CHAOS_CHANNEL = 'steadfast_chaos';

// Two replicas creating faults at once must not both slip under the cap.
const CAP_LOCK_KEY = 0x5ca05;

interface ChaosFaultsTable {
  id: string;
  kind: FaultKind;
  target_route: string | null;
  target_method: string | null;
  target_dependency: string | null;
  target_header: boolean;
  probability: number;
  latency_ms: number | null;
  jitter_ms: number | null;
  status: number | null;
  duration_seconds: number;
  ramp: ColumnType<RampStep[], string, string>;
  origin: Fault['origin'];
  created_by: string;
  created_at: Date;
  expires_at: Date;
  ended_at: Date | null;
  end_reason: EndReason | null;
  ended_by: string | null;
  stop_when: ColumnType<StopWhen | null, string | null, never>;
  stop_verdict: ColumnType<StopRecord | null, never, string | null>;
}

interface ChaosSettingsTable {
  id: number;
  injection_enabled: boolean;
  updated_at: ColumnType<Date, never, Date>;
  updated_by: string;
  default_stop_when: ColumnType<StopWhen | null, string | null, string | null>;
}

interface ChaosAuditTable {
  id: Generated<string>;
  at: Generated<Date>;
  actor: string;
  action: AuditAction;
  fault_id: string | null;
  reason: string | null;
  details: ColumnType<unknown, string | null, never>;
}

export interface ChaosTables {
  chaos_faults: ChaosFaultsTable;
  chaos_settings: ChaosSettingsTable;
  chaos_audit: ChaosAuditTable;
}

export type AuditAction =
  | 'fault.created'
  | 'fault.ended'
  | 'injection.enabled'
  | 'injection.disabled'
  | 'stop-condition.set'
  | 'stop-condition.cleared';

export interface AuditEntry {
  id: string;
  at: Date;
  actor: string;
  action: AuditAction;
  faultId: string | null;
  reason: string | null;
  details: unknown;
}

/** What every replica holds in memory: the global switch, the default stop condition, the faults not yet ended. */
export interface Snapshot {
  enabled: boolean;
  defaultStopWhen: StopWhen | null;
  faults: Fault[];
}

/** A fault as it ended, or undefined while it runs. */
export interface FaultEnd {
  endedAt: Date;
  reason: EndReason;
  endedBy: string;
  stopVerdict: StopRecord | null;
}

type Db = Kysely<ChaosTables> | Transaction<ChaosTables>;

function toFault(row: Selectable<ChaosFaultsTable>): Fault {
  const target: Fault['target'] = {};
  if (row.target_route !== null) target.route = row.target_route;
  if (row.target_method !== null) target.method = row.target_method;
  if (row.target_dependency !== null) target.dependency = row.target_dependency;
  if (row.target_header) target.header = true;
  return {
    id: row.id,
    kind: row.kind,
    target,
    probability: row.probability,
    ...(row.latency_ms === null ? {} : { latencyMs: row.latency_ms }),
    ...(row.jitter_ms === null ? {} : { jitterMs: row.jitter_ms }),
    ...(row.status === null ? {} : { status: row.status }),
    durationSeconds: row.duration_seconds,
    ramp: row.ramp,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    createdBy: row.created_by,
    origin: row.origin,
    ...(row.stop_when === null ? {} : { stopWhen: row.stop_when }),
  };
}

function toEnd(row: Selectable<ChaosFaultsTable>): FaultEnd | undefined {
  if (row.ended_at === null || row.end_reason === null) return undefined;
  return {
    endedAt: row.ended_at,
    reason: row.end_reason,
    endedBy: row.ended_by ?? 'system',
    stopVerdict: row.stop_verdict,
  };
}

/** One fault, active or ended, with how it ended; undefined for an unknown id. */
export async function loadFault(
  db: Kysely<ChaosTables>,
  id: string,
): Promise<{ fault: Fault; end: FaultEnd | undefined } | undefined> {
  const row = await db.selectFrom('chaos_faults').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : { fault: toFault(row), end: toEnd(row) };
}

async function notify(db: Db, event: string): Promise<void> {
  await sql`select pg_notify(${CHAOS_CHANNEL}, ${event})`.execute(db);
}

async function audit(
  db: Db,
  entry: { actor: string; action: AuditAction; faultId?: string; reason?: string; details?: unknown },
): Promise<void> {
  await db
    .insertInto('chaos_audit')
    .values({
      actor: entry.actor,
      action: entry.action,
      fault_id: entry.faultId ?? null,
      reason: entry.reason ?? null,
      details: entry.details === undefined ? null : JSON.stringify(entry.details),
    })
    .execute();
}

export async function loadSnapshot(db: Kysely<ChaosTables>): Promise<Snapshot> {
  const [settings, rows] = await Promise.all([
    db
      .selectFrom('chaos_settings')
      .select(['injection_enabled', 'default_stop_when'])
      .where('id', '=', 1)
      .executeTakeFirst(),
    db.selectFrom('chaos_faults').selectAll().where('ended_at', 'is', null).orderBy('created_at').execute(),
  ]);
  return {
    enabled: settings?.injection_enabled ?? true,
    defaultStopWhen: settings?.default_stop_when ?? null,
    faults: rows.map(toFault),
  };
}

export interface EndSelection {
  /** Fault ids to end; absent = every active fault. */
  ids?: readonly string[];
  /** Only faults past their expiry (the sweep). */
  expiredOnly?: boolean;
  /** Only the quick faults of this kind (the granular endpoints replace their own fault). */
  quickKind?: FaultKind;
}

/** What the audit keeps about an ending: the fault that replaced it, or the stop condition that ended it. */
export interface EndDetails {
  by?: string;
  stopCondition?: StopRecord;
}

/** Ends the selected faults that are still active, one audit row each; returns the ended faults. */
async function endWithin(
  trx: Transaction<ChaosTables>,
  selection: EndSelection,
  reason: EndReason,
  actor: string,
  details?: EndDetails,
): Promise<Fault[]> {
  let query = trx
    .updateTable('chaos_faults')
    .set({
      ended_at: new Date(),
      end_reason: reason,
      ended_by: actor,
      stop_verdict: details?.stopCondition === undefined ? null : JSON.stringify(details.stopCondition),
    })
    .where('ended_at', 'is', null);
  if (selection.ids !== undefined) {
    if (selection.ids.length === 0) return [];
    query = query.where('id', 'in', [...selection.ids]);
  }
  if (selection.expiredOnly) query = query.where('expires_at', '<=', new Date());
  if (selection.quickKind !== undefined) {
    query = query.where('origin', '=', 'quick').where('kind', '=', selection.quickKind);
  }
  const ended = (await query.returningAll().execute()).map(toFault);
  if (ended.length > 0) {
    await trx
      .insertInto('chaos_audit')
      .values(
        ended.map((fault) => ({
          actor,
          action: 'fault.ended' as const,
          fault_id: fault.id,
          reason,
          details: details === undefined ? null : JSON.stringify(details),
        })),
      )
      .execute();
    await notify(trx, `ended:${reason}`);
  }
  return ended;
}

export function endFaults(
  db: Kysely<ChaosTables>,
  selection: EndSelection,
  reason: EndReason,
  actor: string,
  details?: EndDetails,
): Promise<Fault[]> {
  return db.transaction().execute((trx) => endWithin(trx, selection, reason, actor, details));
}

export interface CreateOptions {
  maxActiveFaults: number;
  /** For the granular endpoints: the quick fault of this kind that the new one replaces. */
  replaceQuick?: boolean;
}

/** Stores a new fault unless the cap is reached (409 CHAOS_TOO_MANY_FAULTS); the cap holds across replicas. */
export function createFault(
  db: Kysely<ChaosTables>,
  fault: Fault,
  options: CreateOptions,
): Promise<{ fault: Fault; replaced: Fault[] }> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${CAP_LOCK_KEY})`.execute(trx);
    const replaced = options.replaceQuick
      ? await endWithin(trx, { quickKind: fault.kind }, 'replaced', fault.createdBy, { by: fault.id })
      : [];
    const { active } = await trx
      .selectFrom('chaos_faults')
      .select((eb) => eb.fn.countAll<string>().as('active'))
      .where('ended_at', 'is', null)
      .where('expires_at', '>', new Date())
      .executeTakeFirstOrThrow();
    if (Number(active) >= options.maxActiveFaults) {
      throw new ConflictError(
        `At most ${options.maxActiveFaults} faults may be active at once; remove one first`,
        'CHAOS_TOO_MANY_FAULTS',
        { details: { active: Number(active), maxActiveFaults: options.maxActiveFaults } },
      );
    }
    await trx
      .insertInto('chaos_faults')
      .values({
        id: fault.id,
        kind: fault.kind,
        target_route: fault.target.route ?? null,
        target_method: fault.target.method ?? null,
        target_dependency: fault.target.dependency ?? null,
        target_header: fault.target.header === true,
        probability: fault.probability,
        latency_ms: fault.latencyMs ?? null,
        jitter_ms: fault.jitterMs ?? null,
        status: fault.status ?? null,
        duration_seconds: fault.durationSeconds,
        ramp: JSON.stringify(fault.ramp),
        origin: fault.origin,
        created_by: fault.createdBy,
        created_at: fault.createdAt,
        expires_at: fault.expiresAt,
        stop_when: fault.stopWhen === undefined ? null : JSON.stringify(fault.stopWhen),
      })
      .execute();
    await audit(trx, {
      actor: fault.createdBy,
      action: 'fault.created',
      faultId: fault.id,
      details: faultJson(fault),
    });
    await notify(trx, 'created');
    return { fault, replaced };
  });
}

export function setInjectionEnabled(db: Kysely<ChaosTables>, enabled: boolean, actor: string): Promise<void> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('chaos_settings')
      .values({ id: 1, injection_enabled: enabled, updated_by: actor })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({ injection_enabled: enabled, updated_by: actor, updated_at: new Date() }),
      )
      .execute();
    await audit(trx, { actor, action: enabled ? 'injection.enabled' : 'injection.disabled' });
    await notify(trx, enabled ? 'enabled' : 'disabled');
  });
}

/** Sets (or, with null, clears) the service-wide stop condition of faults that declare none. */
export function setDefaultStopWhen(
  db: Kysely<ChaosTables>,
  condition: StopWhen | null,
  actor: string,
): Promise<void> {
  return db.transaction().execute(async (trx) => {
    const stored = condition === null ? null : JSON.stringify(condition);
    await trx
      .insertInto('chaos_settings')
      .values({ id: 1, injection_enabled: true, updated_by: actor, default_stop_when: stored })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ default_stop_when: stored, updated_by: actor, updated_at: new Date() }),
      )
      .execute();
    await audit(trx, {
      actor,
      action: condition === null ? 'stop-condition.cleared' : 'stop-condition.set',
      ...(condition === null ? {} : { details: condition }),
    });
    await notify(trx, 'stop-condition');
  });
}

export async function listAudit(
  db: Kysely<ChaosTables>,
  filter: { limit: number; faultId?: string | undefined },
): Promise<AuditEntry[]> {
  let query = db.selectFrom('chaos_audit').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.faultId !== undefined) query = query.where('fault_id', '=', filter.faultId);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: String(row.id),
    at: row.at,
    actor: row.actor,
    action: row.action,
    faultId: row.fault_id,
    reason: row.reason,
    details: row.details,
  }));
}
