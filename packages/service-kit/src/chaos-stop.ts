import { Type } from '@sinclair/typebox';
import type { StopCondition } from '@steadfast/chaos';
import { configFragment } from '@steadfast/http';
import type { LiveSlis } from '@steadfast/slo';

export const DEFAULT_CHAOS_STOP_BURN_RATE = 14.4;

export const chaosStopConfig = configFragment({
  CHAOS_STOP_BURN_RATE: Type.Number({
    exclusiveMinimum: 0,
    default: DEFAULT_CHAOS_STOP_BURN_RATE,
    description: 'All faults stop when an SLO burns its error budget this fast over 5 minutes',
  }),
});

/** The chaos stop condition: any SLO burning its error budget at `threshold`x or more over the last 5 minutes. */
export function sloBurnStopCondition(slo: LiveSlis, threshold: number): StopCondition {
  return {
    check: async () => {
      const burning = (await slo.status()).find((status) => status.burnRates['5m'] >= threshold);
      return burning
        ? {
            stop: true,
            reason: `SLO ${burning.name} burns its error budget at ${burning.burnRates['5m']}x over 5m (limit ${threshold}x)`,
          }
        : { stop: false, reason: '' };
    },
  };
}
