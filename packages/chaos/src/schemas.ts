import { type Static, Type } from '@sinclair/typebox';

export const MAX_LATENCY_MS = 10_000;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const FaultTargetSchema = Type.Object(
  {
    route: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        description:
          'A Fastify route template (/v1/users/:id) or a glob where * matches anything (/v1/users*)',
      }),
    ),
    method: Type.Optional(Type.Union(METHODS.map((m) => Type.Literal(m)))),
    dependency: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'A resilience policy name, such as database',
      }),
    ),
    header: Type.Optional(
      Type.Boolean({
        description: 'Only requests carrying x-chaos-fault: <fault id> (headerTargeting option)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RampStepSchema = Type.Object(
  {
    afterSeconds: Type.Number({ exclusiveMinimum: 0, description: 'Seconds after the fault was created' }),
    probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_LATENCY_MS })),
  },
  { additionalProperties: false },
);

export const StopWhenSchema = Type.Object(
  {
    slo: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'One of the service’s live SLOs (GET /v1/slo)',
    }),
    burnRate: Type.Number({
      exclusiveMinimum: 0,
      maximum: 100_000,
      description: 'Stop once both windows burn the error budget at least this fast',
    }),
    longWindow: Type.String({
      minLength: 1,
      maxLength: 10,
      description: 'A burn-rate window: 5m, 30m, 1h, 2h, 6h, 1d, 3d',
    }),
    shortWindow: Type.String({ minLength: 1, maxLength: 10, description: 'A shorter burn-rate window' }),
    minEvents: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Events the short window must hold before the condition may stop anything',
    }),
  },
  { additionalProperties: false },
);

const KindSchema = Type.Union([Type.Literal('latency'), Type.Literal('error'), Type.Literal('abort')]);

export const CreateFaultBodySchema = Type.Object(
  {
    kind: KindSchema,
    target: FaultTargetSchema,
    probability: Type.Number({ minimum: 0, maximum: 1 }),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_LATENCY_MS })),
    jitterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_LATENCY_MS })),
    status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599, description: 'For error faults' })),
    durationSeconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Defaults to defaultDurationSeconds; at most maxDurationSeconds',
      }),
    ),
    ramp: Type.Optional(Type.Array(RampStepSchema, { maxItems: 20 })),
    stopWhen: Type.Optional(StopWhenSchema),
  },
  { additionalProperties: false },
);
export type CreateFaultBody = Static<typeof CreateFaultBodySchema>;

export const FaultSchema = Type.Object({
  id: Type.String(),
  kind: KindSchema,
  target: FaultTargetSchema,
  probability: Type.Number(),
  latencyMs: Type.Optional(Type.Integer()),
  jitterMs: Type.Optional(Type.Integer()),
  status: Type.Optional(Type.Integer()),
  durationSeconds: Type.Integer(),
  ramp: Type.Array(RampStepSchema),
  origin: Type.Union([Type.Literal('api'), Type.Literal('quick')]),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  stopWhen: Type.Optional(StopWhenSchema),
});

export const StopVerdictSchema = Type.Object({
  description: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()], { description: 'The lower burn rate of the two windows' }),
  threshold: Type.Number(),
});

/** One fault, running or ended, and how it ended. */
export const FaultStateSchema = Type.Composite([
  FaultSchema,
  Type.Object({
    state: Type.Union([Type.Literal('active'), Type.Literal('ended')]),
    endedAt: Type.Optional(Type.String({ format: 'date-time' })),
    endReason: Type.Optional(Type.String()),
    endedBy: Type.Optional(Type.String()),
    stopCondition: Type.Optional(StopVerdictSchema),
  }),
]);

export const ActiveFaultSchema = Type.Composite([
  FaultSchema,
  Type.Object({
    remainingSeconds: Type.Number(),
    currentStep: Type.Object({
      index: Type.Integer({ description: '0 = the fault itself, n = the n-th ramp step' }),
      probability: Type.Number(),
      latencyMs: Type.Optional(Type.Integer()),
    }),
  }),
]);

export const StatusSchema = Type.Object({
  enabled: Type.Boolean({ description: 'The global injection switch (POST /enable, /disable)' }),
  defaultStopWhen: Type.Union([StopWhenSchema, Type.Null()], {
    description: 'The stop condition of faults that declare none (PUT /stop-condition); null = none',
  }),
  faults: Type.Array(ActiveFaultSchema),
  injections: Type.Object({
    total: Type.Integer({ description: 'Injections made by this replica since it started' }),
    byKind: Type.Record(Type.String(), Type.Integer()),
    byFault: Type.Record(Type.String(), Type.Integer()),
  }),
});

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  action: Type.String(),
  faultId: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  details: Type.Unknown(),
});

export const AuditQuerySchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    faultId: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuerySchema>;

export const IdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export const LatencyParamsSchema = Type.Object({ ms: Type.Integer({ minimum: 0, maximum: MAX_LATENCY_MS }) });
export const RateParamsSchema = Type.Object({ rate: Type.Number({ minimum: 0, maximum: 1 }) });
export const QuickQuerySchema = Type.Object(
  {
    durationSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    status: Type.Optional(
      Type.Integer({ minimum: 400, maximum: 599, description: 'For /errors; 500 by default' }),
    ),
  },
  { additionalProperties: false },
);
export type QuickQuery = Static<typeof QuickQuerySchema>;
