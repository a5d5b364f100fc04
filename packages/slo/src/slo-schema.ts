import { type Static, type TLiteral, type TNumber, Type } from '@sinclair/typebox';
import { DataEnvelope, ListEnvelope } from '@steadfast/http';
import { BURN_RATE_WINDOWS, type BurnRateWindow } from './alert-windows.js';

const literals = <T extends string>(values: readonly T[]) =>
  Type.Union(values.map((value) => Type.Literal(value)) as TLiteral<T>[]);

const BurnRateWindowSchema = literals(BURN_RATE_WINDOWS);

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
  alerts: Type.Array(
    Type.Object({
      severity: literals(['page', 'ticket']),
      tier: literals(['page-fast', 'page-slow', 'ticket-fast', 'ticket-slow']),
      longWindow: BurnRateWindowSchema,
      shortWindow: BurnRateWindowSchema,
      budgetPercent: Type.Number(),
      factor: Type.Number({ description: 'Burn rate both windows must exceed' }),
      firing: Type.Boolean(),
    }),
  ),
  policy: literals(['normal', 'cautious', 'slow', 'freeze']),
});

export const SloListResponseSchema = ListEnvelope(SloStatusSchema);
export const SloResponseSchema = DataEnvelope(SloStatusSchema);
export const SloParamsSchema = Type.Object({ name: Type.String({ minLength: 1 }) });
export type SloParams = Static<typeof SloParamsSchema>;
