import { type SchemaOptions, type Static, type TLiteral, type TNumber, Type } from '@sinclair/typebox';
import { DataEnvelope, ListEnvelope } from '@steadfast/http';
import { BURN_RATE_WINDOWS, type BurnRateWindow } from './alert-windows.js';
import { DEFAULT_HISTORY_WINDOW, HISTORY_WINDOWS, MAX_HISTORY_POINTS } from './sli-history.js';

const literals = <T extends string>(values: readonly T[], options?: SchemaOptions) =>
  Type.Union(values.map((value) => Type.Literal(value)) as TLiteral<T>[], options);

const BurnRateWindowSchema = literals(BURN_RATE_WINDOWS);

const AlertWindowSchema = Type.Object({
  severity: literals(['page', 'ticket']),
  tier: literals(['page-fast', 'page-slow', 'ticket-fast', 'ticket-slow']),
  longWindow: BurnRateWindowSchema,
  shortWindow: BurnRateWindowSchema,
  budgetPercent: Type.Number(),
  factor: Type.Number({ description: 'Burn rate both windows must exceed' }),
});

export const SloStatusSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  kind: literals(['availability', 'latency']),
  thresholdMs: Type.Union([Type.Number(), Type.Null()], {
    description: 'Latency SLOs: requests answered within it are good',
  }),
  objective: Type.Number({ description: 'A ratio: 0.999 for 99.9 %' }),
  periodDays: Type.Integer(),
  sli: Type.Number({ description: 'Good events over all events in the period; 1 without traffic' }),
  events: Type.Object(
    { good: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }) },
    { description: 'Events over the period: flushed by every replica, plus this one’s not yet flushed' },
  ),
  errorBudget: Type.Object({
    totalMinutes: Type.Number(),
    consumedMinutes: Type.Number(),
    remainingMinutes: Type.Number({ description: 'Negative once the budget is overspent' }),
    remainingRatio: Type.Number({ description: '1 untouched, 0 spent, below 0 overspent' }),
  }),
  burnRates: Type.Object(
    Object.fromEntries(BURN_RATE_WINDOWS.map((w) => [w, Type.Number()])) as Record<BurnRateWindow, TNumber>,
  ),
  alerts: Type.Array(Type.Composite([AlertWindowSchema, Type.Object({ firing: Type.Boolean() })])),
  policy: literals(['normal', 'cautious', 'slow', 'freeze']),
});

export const SloListResponseSchema = ListEnvelope(SloStatusSchema);
export const SloResponseSchema = DataEnvelope(SloStatusSchema);
export const SloParamsSchema = Type.Object({ name: Type.String({ minLength: 1 }) });
export type SloParams = Static<typeof SloParamsSchema>;

export const SloHistoryQuerySchema = Type.Object(
  { window: literals(HISTORY_WINDOWS, { default: DEFAULT_HISTORY_WINDOW }) },
  { additionalProperties: false },
);
export type SloHistoryQuery = Static<typeof SloHistoryQuerySchema>;

export const SloHistorySchema = Type.Object({
  name: Type.String(),
  window: literals(HISTORY_WINDOWS),
  stepMinutes: Type.Integer({ minimum: 1, description: 'Width of each point' }),
  objective: Type.Number(),
  alerts: Type.Array(AlertWindowSchema, { description: 'Burn-rate thresholds to draw on the chart' }),
  points: Type.Array(
    Type.Object({
      at: Type.Integer({ description: 'Start of the step, ms since the epoch' }),
      good: Type.Integer({ minimum: 0 }),
      total: Type.Integer({ minimum: 0 }),
      sli: Type.Union([Type.Number(), Type.Null()], { description: 'null without traffic' }),
      burnRate: Type.Union([Type.Number(), Type.Null()], { description: 'null without traffic' }),
    }),
    {
      maxItems: MAX_HISTORY_POINTS,
      description: 'Oldest first, one per step, steps without traffic included',
    },
  ),
});
export const SloHistoryResponseSchema = DataEnvelope(SloHistorySchema);
