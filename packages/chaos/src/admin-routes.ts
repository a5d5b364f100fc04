import { type TSchema, Type } from '@sinclair/typebox';
import { bearerGuard } from '@steadfast/auth';
import { NotFoundError, ValidationError } from '@steadfast/errors';
import { DataEnvelope as Envelope, envelope } from '@steadfast/http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { Announcer } from './announce.js';
import { describeTarget, type Fault, type FaultKind, faultJson } from './fault.js';
import { buildFault, type FaultRules } from './fault-input.js';
import type { FleetSync } from './fleet-sync.js';
import {
  ActiveFaultSchema,
  AuditEntrySchema,
  type AuditQuery,
  AuditQuerySchema,
  type CreateFaultBody,
  CreateFaultBodySchema,
  FaultSchema,
  FaultStateSchema,
  IdParamsSchema,
  LatencyParamsSchema,
  type QuickQuery,
  QuickQuerySchema,
  RateParamsSchema,
  StatusSchema,
  StopWhenSchema,
} from './schemas.js';
import type { ChaosStatus } from './status.js';
import { type StopWhen, stopWhenProblems } from './stop-condition.js';
import {
  type ChaosTables,
  createFault,
  endFaults,
  listAudit,
  loadFault,
  setDefaultStopWhen,
  setInjectionEnabled,
} from './store.js';

export interface AdminRoutesOptions {
  adminToken: string;
  actor: string;
  db: Kysely<ChaosTables>;
  sync: FleetSync;
  status: () => ChaosStatus;
  rules: FaultRules;
  maxActiveFaults: number;
  announce?: Announcer | undefined;
}

// Operational: rate limits and load shedding must never stand between an operator and the kill switch.
const config = { operational: true, bearerAuth: true } as const;
// OpenAPI keywords (@fastify/swagger reads them); spread in so the schemas type-check without swagger's types.
const docs = (summary: string) => ({
  tags: ['chaos'],
  summary,
  description: 'Needs Authorization: Bearer <CHAOS_ADMIN_TOKEN>.',
});

// The error envelope the error handler sends (it registers the schema), documented per status.
const ERROR_ENVELOPE = { $ref: 'ErrorEnvelope#' };
const errors = {
  400: ERROR_ENVELOPE,
  401: ERROR_ENVELOPE,
  403: ERROR_ENVELOPE,
  404: ERROR_ENVELOPE,
  409: ERROR_ENVELOPE,
};

/** The admin API under `/admin/chaos`; every route needs the bearer token. */
export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions) {
  const { db, sync, actor, rules, announce } = options;
  const authorize = bearerGuard(options.adminToken, { realm: 'the chaos API' });
  // onRequest, so a caller without the token learns nothing about the body schema.
  app.addHook('onRequest', async (request) => authorize(request.headers.authorization, request.ip));

  const create = async (body: CreateFaultBody, origin: Fault['origin'], log: FastifyBaseLogger) => {
    const fault = buildFault(body, rules, { actor, origin, now: Date.now() });
    const { replaced } = await createFault(db, fault, {
      maxActiveFaults: options.maxActiveFaults,
      replaceQuick: origin === 'quick',
    });
    await sync.refresh();
    announce?.ended(replaced, 'replaced');
    announce?.started(fault);
    log.warn(
      {
        faultId: fault.id,
        kind: fault.kind,
        target: describeTarget(fault.target),
        expiresAt: fault.expiresAt,
      },
      'chaos: fault created',
    );
    return fault;
  };

  const removeQuick = async (kind: FaultKind) => {
    // Ended before announcing: `announce?.ended(await …)` would skip the call when there is no announcer.
    const ended = await endFaults(db, { quickKind: kind }, 'removed', actor);
    announce?.ended(ended, 'removed');
    await sync.refresh();
  };

  const switchRoute = (enabled: boolean) => async (_request: unknown, reply: FastifyReply) => {
    await setInjectionEnabled(db, enabled, actor);
    await sync.refresh();
    return envelope(reply, options.status());
  };
  const switchSchema = (enabled: boolean) => ({
    ...docs(
      enabled ? 'Turn injection on across the fleet' : 'Pause injection across the fleet (faults stay)',
    ),
    response: { 200: Envelope(StatusSchema), ...errors },
  });
  app.post('/enable', { config, schema: switchSchema(true) }, switchRoute(true));
  app.post('/disable', { config, schema: switchSchema(false) }, switchRoute(false));

  const QuickFaultSchema = Envelope(Type.Union([FaultSchema, Type.Null()]));
  /** The granular endpoints keep one global fault per kind: a value creates or replaces it, 0 removes it. */
  const quickRoute = (
    kind: 'latency' | 'error',
    url: string,
    params: TSchema,
    summary: string,
    fields: (value: number, query: QuickQuery) => Partial<CreateFaultBody>,
  ) =>
    app.post<{ Params: Record<string, number>; Querystring: QuickQuery }>(
      url,
      {
        config,
        schema: {
          ...docs(summary),
          params,
          querystring: QuickQuerySchema,
          response: { 200: QuickFaultSchema, ...errors },
        },
      },
      async (request, reply) => {
        const value = Object.values(request.params)[0] as number;
        if (value === 0) {
          await removeQuick(kind);
          return envelope(reply, null);
        }
        const { durationSeconds } = request.query;
        const body: CreateFaultBody = {
          kind,
          target: {},
          probability: 1,
          ...(durationSeconds === undefined ? {} : { durationSeconds }),
          ...fields(value, request.query),
        };
        return envelope(reply, faultJson(await create(body, 'quick', request.log)));
      },
    );
  quickRoute(
    'latency',
    '/latency/:ms',
    LatencyParamsSchema,
    'Create or replace the global latency fault, 0–10000 ms (0 removes it)',
    (ms) => ({ latencyMs: ms }),
  );
  quickRoute(
    'error',
    '/errors/:rate',
    RateParamsSchema,
    'Create or replace the global error fault at this rate, 0–1 (0 removes it)',
    (rate, { status }) => ({ probability: rate, ...(status === undefined ? {} : { status }) }),
  );

  app.get(
    '/status',
    {
      config,
      schema: {
        ...docs('The switch, the active faults and this replica’s injection counts'),
        response: { 200: Envelope(StatusSchema), ...errors },
      },
    },
    async (_request, reply) => envelope(reply, options.status()),
  );

  app.post<{ Body: CreateFaultBody }>(
    '/faults',
    {
      config,
      schema: {
        ...docs('Create a fault; it expires after durationSeconds'),
        body: CreateFaultBodySchema,
        response: { 201: Envelope(FaultSchema), ...errors },
      },
    },
    async (request, reply) => {
      const fault = await create(request.body, 'api', request.log);
      reply.code(201);
      return envelope(reply, faultJson(fault));
    },
  );

  app.get(
    '/faults',
    {
      config,
      schema: {
        ...docs('The active faults, with time left and current ramp step'),
        response: { 200: Envelope(Type.Array(ActiveFaultSchema)), ...errors },
      },
    },
    async (_request, reply) => envelope(reply, options.status().faults),
  );

  app.get<{ Params: { id: string } }>(
    '/faults/:id',
    {
      config,
      schema: {
        ...docs('One fault, running or ended, and what ended it'),
        params: IdParamsSchema,
        response: { 200: Envelope(FaultStateSchema), ...errors },
      },
    },
    async (request, reply) => {
      const found = await loadFault(db, request.params.id);
      if (found === undefined) {
        throw new NotFoundError(`No chaos fault ${request.params.id}`, 'CHAOS_FAULT_NOT_FOUND');
      }
      const { fault, end } = found;
      return envelope(reply, {
        ...faultJson(fault),
        state: end === undefined ? 'active' : 'ended',
        ...(end === undefined
          ? {}
          : {
              endedAt: end.endedAt.toISOString(),
              endReason: end.reason,
              endedBy: end.endedBy,
              ...(end.stopVerdict === null ? {} : { stopCondition: end.stopVerdict }),
            }),
      });
    },
  );

  const StopConditionEnvelope = Envelope(Type.Union([StopWhenSchema, Type.Null()]));
  app.get(
    '/stop-condition',
    {
      config,
      schema: {
        ...docs('The stop condition of faults that declare none; null = none'),
        response: { 200: StopConditionEnvelope, ...errors },
      },
    },
    async (_request, reply) => envelope(reply, sync.defaultStopWhen ?? null),
  );

  app.put<{ Body: StopWhen }>(
    '/stop-condition',
    {
      config,
      schema: {
        ...docs('Set the stop condition of every fault, on every replica, that declares none'),
        body: StopWhenSchema,
        response: { 200: StopConditionEnvelope, ...errors },
      },
    },
    async (request, reply) => {
      const problems = stopWhenProblems(request.body, rules.burnRates, 'body');
      if (problems.length > 0) {
        const summary = problems.map((p) => `${p.field} ${p.message}`).join('; ');
        throw new ValidationError(`Invalid stop condition: ${summary}`, problems);
      }
      await setDefaultStopWhen(db, request.body, actor);
      await sync.refresh();
      request.log.warn({ stopWhen: request.body }, 'chaos: default stop condition set');
      return envelope(reply, request.body);
    },
  );

  app.delete(
    '/stop-condition',
    {
      config,
      schema: {
        ...docs('Clear the default stop condition: faults without their own run until they expire'),
        response: { 200: StopConditionEnvelope, ...errors },
      },
    },
    async (request, reply) => {
      await setDefaultStopWhen(db, null, actor);
      await sync.refresh();
      request.log.warn('chaos: default stop condition cleared');
      return envelope(reply, null);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/faults/:id',
    {
      config,
      schema: {
        ...docs('Remove one fault'),
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      sync.forget(new Set([id]));
      const ended = await endFaults(db, { ids: [id] }, 'removed', actor);
      announce?.ended(ended, 'removed');
      await sync.refresh();
      if (ended.length === 0) throw new NotFoundError(`No active chaos fault ${id}`, 'CHAOS_FAULT_NOT_FOUND');
      return reply.code(204).send();
    },
  );

  app.delete(
    '/faults',
    {
      config,
      schema: {
        ...docs('Kill switch: remove every fault on every replica'),
        response: {
          200: Envelope(Type.Object({ removed: Type.Integer(), ids: Type.Array(Type.String()) })),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      // This replica stops at once, even if PostgreSQL cannot be reached to tell the others.
      sync.forget('all');
      const ended = await endFaults(db, {}, 'killed', actor);
      announce?.ended(ended, 'killed');
      await sync.refresh();
      request.log.warn({ removed: ended.length }, 'chaos: kill switch');
      return envelope(reply, { removed: ended.length, ids: ended.map((fault) => fault.id) });
    },
  );

  app.get<{ Querystring: AuditQuery }>(
    '/audit',
    {
      config,
      schema: {
        ...docs('Every change, newest first'),
        querystring: AuditQuerySchema,
        response: { 200: Envelope(Type.Array(AuditEntrySchema)), ...errors },
      },
    },
    async (request, reply) => {
      const entries = await listAudit(db, request.query);
      return envelope(
        reply,
        entries.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
      );
    },
  );
}
