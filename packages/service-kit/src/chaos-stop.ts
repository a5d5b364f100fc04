import type { BurnRateSource } from '@steadfast/chaos';
import { BURN_RATE_WINDOWS, type LiveSlis } from '@steadfast/slo';

/**
 * What chaos stop conditions are checked against: the service's live SLIs (every replica's flushed counts plus
 * this replica's unflushed ones), by SLO name, with each burn-rate window's burn rate and event count.
 */
export function sloBurnRates(slo: LiveSlis): BurnRateSource {
  return {
    slos: slo.slos.map((entry) => entry.name),
    windows: BURN_RATE_WINDOWS,
    read: async (name) => {
      const [status] = await slo.status([name]);
      if (status === undefined) return undefined;
      const events = Object.fromEntries(
        Object.entries(status.windowEvents).map(([window, counts]) => [window, counts.total]),
      );
      return { burnRates: status.burnRates, events };
    },
  };
}
